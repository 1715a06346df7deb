import type { AppAbility } from '../../policies/index.ts';
import { subjectOf } from '../../policies/subject.ts';
import { agreementPath } from './grants.agreement.ts';
import type { ObligationRow } from './grants.repo.ts';
import type { LoadedGrant } from './grants.service.ts';

export const presentObligation = (o: ObligationRow) => ({
  id: o.id,
  kind: o.kind,
  timing: o.timing,
  evidence: o.evidenceKind,
  dueAt: o.dueAt,
  // A pending obligation past its due date is overdue already (the policy says so in SQL), job or no job.
  status: o.status === 'pending' && o.dueAt && o.dueAt.getTime() < Date.now() ? 'overdue' : o.status,
  submittedAt: o.submittedAt,
});

/** A grant as clients read it (API.md: `{ id, status, datasetSlug, expiresAt, obligations }` and more). */
export function presentGrant(ability: AppAbility, g: Omit<LoadedGrant, 'row'> & { row: LoadedGrant['row'] }) {
  const { grant } = g.row;
  const s = subjectOf('Grant', { ...g.subject });
  const expired = grant.status === 'active' && grant.expiresAt.getTime() <= Date.now();
  return {
    id: grant.id,
    kind: grant.kind,
    // An active grant past its end is expired at once (downloads stop in SQL), before any job marks it so.
    status: expired ? 'expired' : grant.status,
    statusReason: grant.statusReason,
    datasetSlug: g.row.datasetSlug,
    datasetTitle: g.row.datasetTitle,
    communitySlug: g.row.communitySlug,
    requestId: grant.requestId,
    licenceVersion: g.row.licenceVersion,
    scope: { type: grant.scopeType, ids: grant.scopeIds },
    purpose: grant.purposeCategory,
    startsAt: grant.startsAt,
    expiresAt: grant.expiresAt,
    grantees: g.grantees.map((p) => ({ id: p.id, name: p.name, email: p.email })),
    obligations: g.obligations.map(presentObligation),
    agreement: grant.agreementJws ? { url: agreementPath(grant.id), sha256: grant.agreementHash } : null,
    createdAt: grant.createdAt,
    can: {
      suspend: ability.can('suspend', s),
      reinstate: ability.can('reinstate', s),
      revoke: ability.can('revoke', s),
      renew: ability.can('renew', s),
    },
  };
}
