import { type Actor, communitiesWithRole } from '../actor.ts';
import type { RuleBuilder } from '../builder.ts';

export function fileRules({ can }: RuleBuilder, actor: Actor): void {
  const visible = {
    releaseStatus: 'published',
    datasetStatus: 'published',
    datasetTier: { $ne: 'closed' },
  } as const;
  can('read', 'File', visible);
  // Open files: anyone, no login (still logged).
  can('download', 'File', { ...visible, tier: 'open', status: 'available' });
  const member = communitiesWithRole(actor, 'steward', 'reviewer', 'auditor', 'member');
  if (member.length) can('read', 'File', { communityId: { $in: member } });
  const steward = communitiesWithRole(actor, 'steward');
  if (steward.length) {
    can('create', 'File', { communityId: { $in: steward }, releaseStatus: 'draft' });
    can('complete', 'File', { communityId: { $in: steward }, releaseStatus: 'draft' });
    // Stewards download their community's files (logged like any download).
    can('download', 'File', { communityId: { $in: steward }, status: 'available' });
  }
}
