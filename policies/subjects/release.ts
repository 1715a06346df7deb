import { type Actor, communitiesWithRole } from '../actor.ts';
import type { RuleBuilder } from '../builder.ts';

export function releaseRules({ can }: RuleBuilder, actor: Actor): void {
  can('read', 'Release', { status: 'published', datasetStatus: 'published', datasetTier: { $ne: 'closed' } });
  const member = communitiesWithRole(actor, 'steward', 'reviewer', 'auditor', 'member');
  if (member.length) can('read', 'Release', { communityId: { $in: member } });
  const steward = communitiesWithRole(actor, 'steward');
  if (steward.length) {
    can('create', 'Release', { communityId: { $in: steward } });
    // A published release is immutable: only drafts change.
    can(['update', 'publish'], 'Release', { communityId: { $in: steward }, status: 'draft' });
  }
}
