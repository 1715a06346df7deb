import { type Actor, communitiesWithRole } from '../actor.ts';
import type { RuleBuilder } from '../builder.ts';

export function communityRules({ can }: RuleBuilder, actor: Actor): void {
  can('read', 'Community');
  if (actor.kind !== 'user') return;
  // The admin creates communities and appoints their first stewards, and nothing more (CARE: authority to
  // control stays with the community).
  if (actor.isAdmin) can(['create', 'appoint'], 'Community');
  const steward = communitiesWithRole(actor, 'steward');
  if (steward.length) can(['update', 'appoint'], 'Community', { id: { $in: steward } });
}
