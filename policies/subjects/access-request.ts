import { type Actor, communitiesWithRole } from '../actor.ts';
import type { RuleBuilder } from '../builder.ts';

/** Requesters follow and change their own requests; reviewers and stewards of the community review them. */
export function accessRequestRules({ can, cannot }: RuleBuilder, actor: Actor): void {
  if (actor.kind !== 'user') return;
  can('read', 'AccessRequest', { requesterId: actor.userId });
  // Named team members follow the request they would become co-grantees of; only the requester acts on it.
  can('read', 'AccessRequest', { teamMemberId: actor.userId });
  can('withdraw', 'AccessRequest', {
    requesterId: actor.userId,
    status: { $in: ['submitted', 'in_review', 'returned'] },
  });
  can('resubmit', 'AccessRequest', { requesterId: actor.userId, status: 'returned' });
  const deciders = communitiesWithRole(actor, 'steward', 'reviewer');
  if (deciders.length) {
    can('read', 'AccessRequest', { communityId: { $in: deciders } });
    can('review', 'AccessRequest', {
      communityId: { $in: deciders },
      status: { $in: ['submitted', 'in_review'] },
    });
    // Nobody reviews their own request, nor one that would make them a grantee.
    cannot('review', 'AccessRequest', { requesterId: actor.userId });
    cannot('review', 'AccessRequest', { teamMemberId: actor.userId });
  }
}
