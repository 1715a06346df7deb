import { type Actor, communitiesWithRole } from '../actor.ts';
import type { RuleBuilder } from '../builder.ts';

/** The audit log and reports belong to the community: stewards and auditors; members when shared; anyone when public. */
export function auditRules({ can }: RuleBuilder, actor: Actor): void {
  can('read', 'Report', { public: true });
  const readers = communitiesWithRole(actor, 'steward', 'auditor');
  if (readers.length) {
    can('read', 'AuditEvent', { communityId: { $in: readers } });
    can('read', 'Report', { communityId: { $in: readers } });
  }
  const members = communitiesWithRole(actor, 'member', 'reviewer');
  if (members.length) can('read', 'Report', { communityId: { $in: members }, sharedWithMembers: true });
}
