import type { AccessRequestSubject, AppAbility } from '../../policies/index.ts';
import { subjectOf } from '../../policies/subject.ts';
import type { RequestListRow } from './access-requests.repo.ts';
import type { LoadedRequest } from './access-requests.service.ts';

const can = (ability: AppAbility, s: AccessRequestSubject) => {
  const x = subjectOf('AccessRequest', { ...s });
  return {
    withdraw: ability.can('withdraw', x),
    resubmit: ability.can('resubmit', x),
    review: ability.can('review', x) && (s.status === 'submitted' || s.status === 'in_review'),
  };
};

/** A request in a list: where it stands and since when. */
export function presentRequestSummary(ability: AppAbility, row: RequestListRow, s: AccessRequestSubject) {
  const r = row.request;
  return {
    id: r.id,
    status: r.status,
    statusReason: r.statusReason,
    since: r.statusChangedAt,
    datasetSlug: row.datasetSlug,
    datasetTitle: row.datasetTitle,
    communitySlug: row.communitySlug,
    requester: { id: r.requesterId, name: row.requesterName, organisation: row.requesterOrganisation },
    purpose: { category: r.purposeCategory, commercial: r.commercial, forProfit: r.forProfit },
    match: { result: r.matchResult, reasons: r.matchReasons },
    round: r.round,
    grant: row.grantId ? { id: row.grantId } : null,
    createdAt: r.createdAt,
    /** The fields the policy reads: with `GET /me`'s rules the page decides as the API does. */
    subject: s,
    can: can(ability, s),
  };
}

/**
 * A request as its requester, team and the community's deciders read it: the whole body, the terms
 * match, where it stands and since when, its history of transitions, and — for deciders — the reviews.
 */
export function presentRequest(ability: AppAbility, x: LoadedRequest) {
  const r = x.row.request;
  return {
    ...presentRequestSummary(ability, x.row, x.subject),
    requester: {
      id: r.requesterId,
      name: x.row.requesterName,
      email: x.row.requesterEmail,
      organisation: x.row.requesterOrganisation,
    },
    team: x.team.map((u) => ({ id: u.id, name: u.name, email: u.email })),
    purpose: {
      category: r.purposeCategory,
      description: r.purposeDescription,
      commercial: r.commercial,
      forProfit: r.forProfit,
    },
    intendedOutputs: r.intendedOutputs,
    requestedDays: r.requestedDays,
    answers: r.answers,
    scope: r.scope,
    licenceVersion: x.row.licenceVersion,
    licenceAcceptedAt: r.licenceAcceptedAt,
    history: x.history.map((h) => ({
      status: (h.details as { to?: string }).to ?? null,
      action: h.action,
      at: h.at,
      reason: (h.details as { reason?: string | null }).reason ?? null,
    })),
    reviews: x.deciders
      ? x.reviews.map(({ review, reviewerName }) => ({
          id: review.id,
          round: review.round,
          reviewer: { id: review.reviewerId, name: reviewerName },
          decision: review.decision,
          comment: review.comment,
          conflictOfInterest: review.conflictOfInterest,
          createdAt: review.createdAt,
        }))
      : undefined,
  };
}
