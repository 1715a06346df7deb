import type { Actor } from '../actor.ts';
import type { RuleBuilder } from '../builder.ts';

export function tokenRules({ can }: RuleBuilder, actor: Actor): void {
  if (actor.kind !== 'user') return;
  can(['create', 'read', 'delete'], 'Token', { userId: actor.userId });
}
