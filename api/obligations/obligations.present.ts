import type { AppAbility, GrantSubject, ObligationSubject } from '../../policies/index.ts';
import { subjectOf } from '../../policies/subject.ts';
import type { ObligationRow } from './obligations.repo.ts';

/** The policy subject of an obligation, seen by the viewer its grant's subject was built for. */
export const obligationSubject = (
  o: Pick<ObligationRow, 'id' | 'grantId' | 'status'>,
  g: Pick<GrantSubject, 'communityId' | 'granteeId'>,
): ObligationSubject => ({
  id: o.id,
  grantId: o.grantId,
  communityId: g.communityId,
  granteeId: g.granteeId,
  status: o.status,
});

/** A pending obligation past its due date is overdue already (the policy says so in SQL), job or no job. */
export const shownStatus = (o: Pick<ObligationRow, 'status' | 'dueAt'>, now = Date.now()) =>
  o.status === 'pending' && o.dueAt && o.dueAt.getTime() < now ? 'overdue' : o.status;

/**
 * An obligation as clients read it. `evidenceSubmitted` says evidence waits for a steward; `statusReason`
 * is the waiver's reason or why evidence was sent back. With `ability` and the grant's subject, `can`
 * says which acts the caller may take.
 */
export function presentObligation(
  o: ObligationRow,
  who?: { ability: AppAbility; grant: Pick<GrantSubject, 'communityId' | 'granteeId'> },
) {
  const s = who ? subjectOf('Obligation', obligationSubject(o, who.grant)) : undefined;
  return {
    id: o.id,
    grantId: o.grantId,
    kind: o.kind,
    timing: o.timing,
    evidence: o.evidenceKind,
    dueAt: o.dueAt,
    status: shownStatus(o),
    evidenceSubmitted: o.submittedAt !== null,
    submitted: o.evidence
      ? {
          link: o.evidence.link ?? null,
          text: o.evidence.text ?? null,
          derivedWorkId: o.evidence.derivedWorkId ?? null,
          file: o.evidence.fileKey
            ? {
                name: o.evidence.fileName ?? 'evidence',
                size: o.evidence.fileSize ?? null,
                mediaType: o.evidence.fileType ?? null,
                url: `/api/v1/obligations/${o.id}/evidence/file`,
              }
            : null,
        }
      : null,
    submittedAt: o.submittedAt,
    verifiedAt: o.verifiedAt,
    statusReason: o.statusReason,
    ...(s && who
      ? {
          /** The policy subject, for the web app's `can(…, 'Obligation', subject)`. */
          subject: obligationSubject(o, who.grant),
          can: {
            submitEvidence: who.ability.can('submitEvidence', s),
            verify: who.ability.can('verify', s),
            waive: who.ability.can('waive', s),
            reject: who.ability.can('reject', s),
          },
        }
      : {}),
  };
}
