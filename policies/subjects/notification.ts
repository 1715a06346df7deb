import type { Actor } from '../actor.ts';
import type { RuleBuilder } from '../builder.ts';

/** A user's inbox is theirs alone: they read their notifications and mark them read. */
export function notificationRules({ can }: RuleBuilder, actor: Actor): void {
  if (actor.kind !== 'user') return;
  can(['read', 'update'], 'Notification', { userId: actor.userId });
}
