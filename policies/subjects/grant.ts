import { type Actor, communitiesWithRole } from '../actor.ts';
import type { RuleBuilder } from '../builder.ts';

/** Grantees read their grants and fulfil obligations; stewards suspend, revoke, reinstate, renew and verify. */
export function grantRules({ can }: RuleBuilder, actor: Actor): void {
  if (actor.kind !== 'user') return;
  can('read', 'Grant', { granteeId: actor.userId });
  can('read', 'Obligation', { granteeId: actor.userId });
  can('submitEvidence', 'Obligation', { granteeId: actor.userId, status: { $in: ['pending', 'overdue'] } });
  can('registerDerivedWork', 'Grant', { granteeId: actor.userId, status: 'active' });
  const steward = communitiesWithRole(actor, 'steward');
  if (steward.length) {
    can('read', ['Grant', 'Obligation'], { communityId: { $in: steward } });
    can('suspend', 'Grant', { communityId: { $in: steward }, status: 'active' });
    can('reinstate', 'Grant', { communityId: { $in: steward }, status: 'suspended' });
    can('revoke', 'Grant', { communityId: { $in: steward }, status: { $in: ['active', 'suspended'] } });
    can('renew', 'Grant', { communityId: { $in: steward }, status: { $in: ['active', 'expired'] } });
    can(['verify', 'waive'], 'Obligation', {
      communityId: { $in: steward },
      status: { $in: ['pending', 'overdue'] },
    });
  }
}
