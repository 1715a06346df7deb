import { type Actor, communitiesWithRole } from '../actor.ts';
import type { RuleBuilder } from '../builder.ts';

/** Datasets: anyone reads published, non-closed ones; the community's members read all of theirs; stewards manage. */
export function datasetRules({ can }: RuleBuilder, actor: Actor): void {
  can('read', 'Dataset', { status: 'published', tier: { $ne: 'closed' } });
  if (actor.kind === 'user') {
    // Signed-in users accept a `registered` licence (a click-through grant) or request gated access.
    can('accept', 'Dataset', { status: 'published', tier: 'registered' });
    can('request', 'Dataset', { status: 'published', tier: { $in: ['gated', 'restricted'] } });
  }
  const member = communitiesWithRole(actor, 'steward', 'reviewer', 'auditor', 'member');
  if (member.length) can('read', 'Dataset', { communityId: { $in: member } });
  const steward = communitiesWithRole(actor, 'steward');
  if (steward.length) {
    // Named actions, never `manage`: CASL's `manage` is a wildcard that would also grant download.
    can(['create', 'update', 'publish', 'withdraw'], 'Dataset', { communityId: { $in: steward } });
  }
}
