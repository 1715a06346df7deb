import { type Actor, communitiesWithRole } from '../actor.ts';
import type { RuleBuilder } from '../builder.ts';

/**
 * Grantees read their grants, submit evidence for open obligations and register derived works; stewards
 * suspend, revoke, reinstate, renew, and verify, waive or send back (reject) the evidence of open obligations.
 */
export function grantRules({ can }: RuleBuilder, actor: Actor): void {
  if (actor.kind !== 'user') return;
  can('read', 'Grant', { granteeId: actor.userId });
  can('read', 'Obligation', { granteeId: actor.userId });
  can('submitEvidence', 'Obligation', { granteeId: actor.userId, status: { $in: ['pending', 'overdue'] } });
  // Obligations outlive a suspension or the grant's end (an at-end term is due when the grant ends), and a
  // derived work can meet them: register one under any grant not revoked.
  can('registerDerivedWork', 'Grant', {
    granteeId: actor.userId,
    status: { $in: ['active', 'suspended', 'expired'] },
  });
  const steward = communitiesWithRole(actor, 'steward');
  if (steward.length) {
    can('read', ['Grant', 'Obligation'], { communityId: { $in: steward } });
    can('suspend', 'Grant', { communityId: { $in: steward }, status: 'active' });
    can('reinstate', 'Grant', { communityId: { $in: steward }, status: 'suspended' });
    can('revoke', 'Grant', { communityId: { $in: steward }, status: { $in: ['active', 'suspended'] } });
    can('renew', 'Grant', { communityId: { $in: steward }, status: { $in: ['active', 'expired'] } });
    can(['verify', 'waive', 'reject'], 'Obligation', {
      communityId: { $in: steward },
      status: { $in: ['pending', 'overdue'] },
    });
  }
}
