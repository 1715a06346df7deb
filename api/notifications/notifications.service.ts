import { ForbiddenError } from '@casl/ability';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/index.ts';
import { notifications } from '../../db/schema/index.ts';
import { accessibleWhere } from '../../policies/sql.ts';
import { subjectOf } from '../../policies/subject.ts';
import type { RequestListRow } from '../access-requests/access-requests.repo.ts';
import { CursorTime } from '../common.schema.ts';
import type { Ctx } from '../context.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { notFound, unauthorized } from '../errors.ts';
import * as repo from './notifications.repo.ts';
import type { ListNotifications } from './notifications.schema.ts';

/** Where a notification leads in the web app (made absolute with PUBLIC_URL in e-mails). */
export const links = {
  request: (id: string) => `/requests/${id}`,
  grant: (id: string) => `/grants/${id}`,
  obligation: (grantId: string, id: string) => `/grants/${grantId}#obligation-${id}`,
};

const clip = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export type RequestEvent = 'submitted' | 'resubmitted' | 'approved' | 'denied' | 'returned';

/**
 * Notifies the people a request's change concerns, inside the act's transaction (so a notice exists
 * exactly when its act committed): a submission or resubmission goes to the community's stewards and
 * reviewers (never to the requester or team, should they hold a role there); a decision or a return to
 * the requester and the named team.
 */
export async function notifyRequest(tx: Db, row: RequestListRow, event: RequestEvent) {
  const r = row.request;
  const parties = [r.requesterId, ...r.teamUserIds];
  const base = { subjectType: 'AccessRequest', subjectId: r.id, link: links.request(r.id) };
  if (event === 'submitted' || event === 'resubmitted') {
    const deciders = (await repo.decidersOf(tx, row.communityId)).filter((id) => !parties.includes(id));
    await repo.insertMany(
      tx,
      deciders.map((userId) => ({
        ...base,
        userId,
        kind: 'request.submitted',
        title: `${event === 'submitted' ? 'New access request' : 'Access request resubmitted'}: ${row.datasetTitle}`,
        body: clip(
          `${row.requesterName} asks for access to "${row.datasetTitle}" for ${r.purposeCategory}: ${r.purposeDescription}`,
        ),
      })),
    );
    return;
  }
  const what = { approved: 'was approved', denied: 'was denied', returned: 'was returned to you' }[event];
  await repo.insertMany(
    tx,
    parties.map((userId) => ({
      ...base,
      userId,
      kind: `request.${event}`,
      title: `Your access request for ${row.datasetTitle} ${what}`,
      body: clip(
        [
          userId === r.requesterId ? '' : `The request by ${row.requesterName}, which names you, ${what}.`,
          r.statusReason ?? '',
          event === 'returned' ? 'Change it and resubmit it, or withdraw it.' : '',
        ]
          .filter(Boolean)
          .join(' '),
        1000,
      ),
    })),
  );
}

function me(ctx: Ctx) {
  if (ctx.actor.kind !== 'user') throw unauthorized();
  return ctx.actor.userId;
}

// `t` is the row's created_at in UTC ISO 8601 with microseconds (kept, unlike a JS Date): a real date and
// time, so that PostgreSQL never meets one it refuses (a 500) — `2024-99-99 99:99:99` is a 400.
const Cursor = z.strictObject({ t: CursorTime, i: z.uuid() });

function decodeInboxCursor(cursor: string) {
  const c = decodeCursor(cursor, Cursor);
  return { createdAt: c.t, id: c.i };
}

/** `GET /me/notifications`: a page of the caller's inbox, newest first, and how many are unread. */
export async function listNotifications(ctx: Ctx, q: ListNotifications) {
  me(ctx);
  const after = q.cursor ? decodeInboxCursor(q.cursor) : undefined;
  const visible = accessibleWhere(ctx.ability, 'read', 'Notification', repo.notificationColumns);
  const [rows, unread] = await Promise.all([
    repo.listVisible(ctx.db, visible, { unread: q.unread, after, limit: q.limit + 1 }),
    repo.unreadCount(ctx.db, visible),
  ]);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => r.n),
    unread,
    nextCursor: rows.length > q.limit && last ? encodeCursor({ t: last.createdAtKey, i: last.n.id }) : null,
  };
}

/**
 * `POST /me/notifications/:id/read`: marks one of the caller's notifications read (idempotent). Someone
 * else's is 404. Not audited: reading one's inbox is no act on the community's data.
 */
export async function markRead(ctx: Ctx, id: string) {
  me(ctx);
  const row = await repo.findById(ctx.db, id);
  const s = row && subjectOf('Notification', { id: row.id, userId: row.userId });
  if (!row || !s || !ctx.ability.can('read', s)) throw notFound('notification');
  ForbiddenError.from(ctx.ability).throwUnlessCan('update', s);
  await repo.markRead(ctx.db, eq(notifications.id, id), ctx.now);
  return (await repo.findById(ctx.db, id))!;
}

/** `POST /me/notifications/read-all`: marks every unread notification of the caller read. */
export async function markAllRead(ctx: Ctx) {
  me(ctx);
  const marked = await repo.markRead(
    ctx.db,
    and(
      accessibleWhere(ctx.ability, 'read', 'Notification', repo.notificationColumns),
      accessibleWhere(ctx.ability, 'update', 'Notification', repo.notificationColumns),
    ),
    ctx.now,
  );
  return { marked };
}
