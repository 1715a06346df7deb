import type { AppAbility } from '../../policies/index.ts';
import { subjectOf } from '../../policies/subject.ts';
import type { NotificationRow } from './notifications.repo.ts';

/** The fields of a notification that leave the server (not its e-mail bookkeeping), with what the caller may do. */
export function presentNotification(ability: AppAbility, n: NotificationRow) {
  return {
    id: n.id,
    kind: n.kind,
    subjectType: n.subjectType,
    subjectId: n.subjectId,
    title: n.title,
    body: n.body,
    link: n.link,
    createdAt: n.createdAt,
    readAt: n.readAt,
    can: { markRead: n.readAt === null && ability.can('update', subjectOf('Notification', n)) },
  };
}
