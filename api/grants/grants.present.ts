import type { AppAbility } from '../../policies/index.ts';
import { subjectOf } from '../../policies/subject.ts';
import { presentObligation } from '../obligations/obligations.present.ts';
import { agreementPath } from './grants.agreement.ts';
import type { LoadedGrant } from './grants.service.ts';

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
    obligations: g.obligations.map((o) => presentObligation(o, { ability, grant: g.subject })),
    agreement: grant.agreementJws ? { url: agreementPath(grant.id), sha256: grant.agreementHash } : null,
    createdAt: grant.createdAt,
    /** The policy subject, for the web app's `can(…, 'Grant', subject)`. */
    subject: g.subject,
    can: {
      suspend: ability.can('suspend', s),
      reinstate: ability.can('reinstate', s),
      revoke: ability.can('revoke', s),
      renew: ability.can('renew', s),
      registerDerivedWork: ability.can('registerDerivedWork', s),
    },
  };
}
