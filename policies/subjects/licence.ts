import { type Actor, communitiesWithRole } from '../actor.ts';
import type { RuleBuilder } from '../builder.ts';

/** Licence versions are public wherever their dataset is; stewards write new versions and withdraw old ones. */
export function licenceRules({ can }: RuleBuilder, actor: Actor): void {
  can('read', 'LicenceVersion', { datasetStatus: 'published', datasetTier: { $ne: 'closed' } });
  const member = communitiesWithRole(actor, 'steward', 'reviewer', 'auditor', 'member');
  if (member.length) can('read', 'LicenceVersion', { communityId: { $in: member } });
  const steward = communitiesWithRole(actor, 'steward');
  if (steward.length) {
    can('create', 'LicenceVersion', { communityId: { $in: steward } });
    can('withdraw', 'LicenceVersion', { communityId: { $in: steward }, status: 'published' });
  }
}
