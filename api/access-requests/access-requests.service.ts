import { ForbiddenError } from '@casl/ability';
import type { Db } from '../../db/index.ts';
import type { FormField } from '../../db/schema/datasets.ts';
import { type AccessRequestSubject, accessibleWhere, communitiesWithRole } from '../../policies/index.ts';
import { matchTerms } from '../../policies/purposes.ts';
import { subjectOf } from '../../policies/subject.ts';
import { record } from '../audit/audit.ts';
import { getCommunity } from '../communities/communities.service.ts';
import type { Ctx } from '../context.ts';
import { datasetSubject } from '../datasets/datasets.present.ts';
import * as datasetsRepo from '../datasets/datasets.repo.ts';
import { loadReadable } from '../datasets/datasets.service.ts';
import { AppError, badRequest, conflict, notFound } from '../errors.ts';
import type { GrantIssuer } from '../grants/grants.agreement.ts';
import { issueGrant, requireCurrentLicence } from '../grants/grants.service.ts';
import type { LicenceRow } from '../licences/licences.repo.ts';
import * as licencesRepo from '../licences/licences.repo.ts';
import { notifyRequest } from '../notifications/notifications.service.ts';
import * as usersRepo from '../users/users.repo.ts';
import * as repo from './access-requests.repo.ts';
import type {
  CastReview,
  CreateAccessRequest,
  ListAccessRequests,
  ResubmitAccessRequest,
} from './access-requests.schema.ts';

type Status = AccessRequestSubject['status'];
const OPEN: Status[] = ['submitted', 'in_review', 'returned'];

const viewer = (ctx: Ctx) => (ctx.actor.kind === 'user' ? ctx.actor.userId : undefined);

/** The policy subject of a request seen by the caller (see `accessRequestColumns` for the SQL twin). */
export function accessRequestSubject(ctx: Ctx, row: repo.RequestListRow): AccessRequestSubject {
  const me = viewer(ctx);
  const r = row.request;
  return {
    id: r.id,
    datasetId: r.datasetId,
    communityId: row.communityId,
    requesterId: r.requesterId,
    teamMemberId: me && r.teamUserIds.includes(me) ? me : '',
    status: r.status,
  };
}

/** Loads a request the caller may read; 404 otherwise (and for anyone outside it and its community). */
export async function loadRequest(ctx: Ctx, id: string, opts: { lock?: boolean } = {}) {
  const row = await repo.find(ctx.db, id, opts);
  if (!row) throw notFound('access_request');
  const s = accessRequestSubject(ctx, row);
  if (!ctx.ability.can('read', subjectOf('AccessRequest', s))) throw notFound('access_request');
  return { row, subject: s };
}

const regions = new Intl.DisplayNames(['en'], { type: 'region' });
const isCountry = (v: string) =>
  /^[A-Z]{2}$/.test(v) && regions.of(v) !== v && regions.of(v) !== 'Unknown Region';
const isDate = (v: string) =>
  /^\d{4}-\d{2}-\d{2}$/.test(v) &&
  !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) &&
  new Date(`${v}T00:00:00Z`).toISOString().startsWith(v);

/**
 * Checks the answers against the licence's custom form fields: no unknown names, every required field
 * answered (a required checkbox must be ticked), each answer of its field's type. 400 with a stable code.
 */
export function validateAnswers(defs: FormField[], answers: Record<string, unknown>) {
  const byName = new Map(defs.map((f) => [f.name, f]));
  for (const name of Object.keys(answers))
    if (!byName.has(name))
      throw badRequest('unknown_field', `The licence asks no question named "${name}".`, { field: name });
  const out: Record<string, unknown> = {};
  for (const f of defs) {
    const v = answers[f.name];
    const empty = v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
    if (empty) {
      if (f.required)
        throw badRequest('answer_required', `"${f.label}" must be answered.`, { field: f.name });
      continue;
    }
    const bad = (why: string) => badRequest('invalid_answer', `"${f.label}": ${why}.`, { field: f.name });
    switch (f.type) {
      case 'text':
        if (typeof v !== 'string' || v.length > 5000) throw bad('expected text (at most 5,000 characters)');
        out[f.name] = v.trim();
        break;
      case 'choice':
        if (typeof v !== 'string' || !(f.options ?? []).includes(v))
          throw bad(`expected one of ${(f.options ?? []).map((o) => `"${o}"`).join(', ')}`);
        out[f.name] = v;
        break;
      case 'checkbox':
        if (typeof v !== 'boolean') throw bad('expected true or false');
        if (f.required && !v)
          throw badRequest('answer_required', `"${f.label}" must be ticked.`, { field: f.name });
        out[f.name] = v;
        break;
      case 'date':
        if (typeof v !== 'string' || !isDate(v)) throw bad('expected a date as YYYY-MM-DD');
        out[f.name] = v;
        break;
      case 'country':
        if (typeof v !== 'string' || !isCountry(v))
          throw bad('expected an ISO 3166-1 alpha-2 country code (e.g. "NZ")');
        out[f.name] = v;
        break;
    }
  }
  return out;
}

/** The users named by e-mail (the requester's own e-mail is ignored); an unknown one is 400. */
async function resolveTeam(db: Db, requesterId: string, emails: string[]) {
  const ids: string[] = [];
  for (const email of [...new Set(emails)]) {
    const u = await usersRepo.findByEmail(db, email);
    if (!u)
      throw badRequest(
        'unknown_team_member',
        `No user has the e-mail ${email}: team members must have signed in once.`,
        {
          email,
        },
      );
    if (u.id !== requesterId && !ids.includes(u.id)) ids.push(u.id);
  }
  return ids;
}

/** Release tags or file ids → the ids stored on the request; an unknown one is 400. */
async function resolveScope(db: Db, datasetId: string, scope: CreateAccessRequest['scope']) {
  if (scope?.releases) {
    const found = await repo.publishedReleases(db, datasetId, scope.releases);
    const missing = scope.releases.filter((t) => !found.some((r) => r.tag === t));
    if (missing.length)
      throw badRequest('unknown_release', `The dataset has no published release ${missing.join(', ')}.`, {
        releases: missing,
      });
    return { releases: found.map((r) => r.id) };
  }
  if (scope?.files) {
    const ids = [...new Set(scope.files)];
    const found = await repo.publishedFiles(db, datasetId, ids);
    const missing = ids.filter((id) => !found.some((f) => f.id === id));
    if (missing.length)
      throw badRequest('unknown_file', 'Some files are not in a published release of this dataset.', {
        files: missing,
      });
    return { files: ids };
  }
  return {};
}

const grantScopeOf = (s: { releases?: string[]; files?: string[] }) =>
  s.releases?.length
    ? { type: 'release' as const, ids: s.releases }
    : s.files?.length
      ? { type: 'file' as const, ids: s.files }
      : { type: 'dataset' as const, ids: [] };

interface Transition {
  to: Status;
  reason?: string | null;
  details?: Record<string, unknown>;
}

/** Moves a request to `to` and records `request.<verb>` with where it came from, where it went and why. */
async function transition(tx: Db, ctx: Ctx, row: repo.RequestListRow, action: string, t: Transition) {
  const updated = await repo.update(tx, row.request.id, {
    status: t.to,
    statusReason: t.reason ?? null,
    statusChangedAt: ctx.now,
    ...(t.details?.round ? { round: t.details.round as number } : {}),
  });
  await record(tx, ctx, action, {
    subjectType: 'AccessRequest',
    subjectId: row.request.id,
    communityId: row.communityId,
    datasetId: row.request.datasetId,
    purpose: updated.purposeCategory,
    details: { from: row.request.status, to: t.to, reason: t.reason ?? null, ...t.details },
  });
  row.request = updated;
  if (t.to === 'approved' || t.to === 'denied' || t.to === 'returned') await notifyRequest(tx, row, t.to);
}

/** Approves inside the transaction and issues the grant (unique per request: a second one cannot exist). */
async function approve(
  tx: Db,
  ctx: Ctx,
  issuer: GrantIssuer,
  row: repo.RequestListRow,
  l: LicenceRow,
  reason: string,
) {
  const d = await datasetsRepo.findBySlug(tx, row.datasetSlug);
  if (!d) throw notFound('dataset');
  await transition(tx, ctx, row, 'request.approved', { to: 'approved', reason });
  const r = row.request;
  const people = await repo.usersByIds(tx, [r.requesterId, ...r.teamUserIds]);
  const ordered = [r.requesterId, ...r.teamUserIds]
    .map((id) => people.find((p) => p.id === id)!)
    .filter(Boolean);
  const g = await issueGrant(tx, ctx, issuer, {
    d,
    l,
    kind: 'request',
    requestId: r.id,
    users: ordered,
    scope: grantScopeOf(r.scope),
    purpose: r.purposeCategory,
    requestedDays: r.requestedDays,
    acceptedAt: r.licenceAcceptedAt,
  });
  row.grantId = g.id;
}

/** The terms match, and auto-approval where the licence turns it on and the match is `match`. */
async function matchAndMaybeApprove(
  tx: Db,
  ctx: Ctx,
  issuer: GrantIssuer,
  row: repo.RequestListRow,
  l: LicenceRow,
  tier: string,
) {
  // A restricted dataset is decided by a committee: never automatically, whatever the licence says.
  if (l.autoApprove && tier === 'gated' && row.request.matchResult === 'match')
    await approve(
      tx,
      ctx,
      issuer,
      row,
      l,
      `Approved automatically: the licence allows it and the terms match (${row.request.matchReasons.join('; ')}).`,
    );
}

/** Guards shared by submit and resubmit: what the dataset and licence allow, and the body's references. */
async function prepare(
  tx: Db,
  ctx: Ctx,
  d: datasetsRepo.DatasetWithCommunity,
  requesterId: string,
  input: {
    licenceVersion: number;
    answers: Record<string, unknown>;
    team: string[];
    scope: CreateAccessRequest['scope'];
    purpose: CreateAccessRequest['purpose'];
  },
) {
  if (d.status !== 'published' || (d.tier !== 'gated' && d.tier !== 'restricted'))
    throw conflict(
      'dataset_not_requestable',
      d.tier === 'registered'
        ? `This dataset is registered: accept its licence instead (POST /datasets/${d.slug}/accept).`
        : d.tier === 'open'
          ? 'This dataset is open: anyone may download it without a request.'
          : 'This dataset takes no access requests.',
    );
  ForbiddenError.from(ctx.ability).throwUnlessCan('request', subjectOf('Dataset', datasetSubject(d)));
  const l = await requireCurrentLicence(tx, d.id, input.licenceVersion);
  const answers = validateAnswers(l.fields, input.answers);
  const team = await resolveTeam(tx, requesterId, input.team);
  const scope = await resolveScope(tx, d.id, input.scope);
  const match = matchTerms(input.purpose, { purposes: l.purposes, duo: l.duo, prohibitions: l.prohibitions });
  return { l, answers, team, scope, match };
}

/** `POST /datasets/:slug/access-requests`: submits a request, runs the terms match, maybe auto-approves. */
export async function createRequest(ctx: Ctx, issuer: GrantIssuer, slug: string, input: CreateAccessRequest) {
  const me = viewer(ctx);
  if (!me) throw new AppError(401, 'unauthenticated', 'Sign in first.');
  const id = await ctx.db.transaction(async (tx) => {
    const t = { ...ctx, db: tx };
    const d = await loadReadable(t, slug);
    const { l, answers, team, scope, match } = await prepare(tx, t, d, me, { ...input, scope: input.scope });
    const inserted = await repo.insert(tx, {
      datasetId: d.id,
      requesterId: me,
      teamUserIds: team,
      scope,
      purposeCategory: input.purpose.category,
      purposeDescription: input.purpose.description,
      commercial: input.purpose.commercial,
      forProfit: input.purpose.forProfit,
      intendedOutputs: input.intendedOutputs,
      requestedDays: input.requestedDays ?? null,
      answers,
      licenceVersionId: l.id,
      licenceAcceptedAt: ctx.now,
      status: 'submitted',
      statusChangedAt: ctx.now,
      matchResult: match.result,
      matchReasons: match.reasons,
    });
    if (!inserted)
      throw conflict(
        'request_already_open',
        'You already have an open request for this dataset: follow it, resubmit it or withdraw it first.',
      );
    await record(tx, ctx, 'request.submitted', {
      subjectType: 'AccessRequest',
      subjectId: inserted.id,
      communityId: d.communityId,
      datasetId: d.id,
      purpose: inserted.purposeCategory,
      details: {
        to: 'submitted',
        reason: null,
        licenceVersion: l.version,
        match: match.result,
        team: team.length,
        scope: grantScopeOf(scope).type,
      },
    });
    const row = (await repo.find(tx, inserted.id))!;
    await matchAndMaybeApprove(tx, t, issuer, row, l, d.tier);
    if (row.request.status === 'submitted') await notifyRequest(tx, row, 'submitted');
    return inserted.id;
  });
  return getRequest(ctx, id);
}

/** `PATCH /access-requests/:id`: the requester resubmits a returned request (a new review round). */
export async function resubmitRequest(
  ctx: Ctx,
  issuer: GrantIssuer,
  id: string,
  input: ResubmitAccessRequest,
) {
  await ctx.db.transaction(async (tx) => {
    const t = { ...ctx, db: tx };
    const { row, subject: s } = await loadRequest(t, id, { lock: true });
    const r = row.request;
    if (!ctx.ability.can('resubmit', subjectOf('AccessRequest', s))) {
      if (r.requesterId !== viewer(ctx))
        ForbiddenError.from(ctx.ability).throwUnlessCan('resubmit', subjectOf('AccessRequest', s));
      if (r.status !== 'returned')
        throw conflict(
          'request_not_returned',
          `Only a returned request can be resubmitted; this one is ${r.status}.`,
        );
      ForbiddenError.from(ctx.ability).throwUnlessCan('resubmit', subjectOf('AccessRequest', s));
    }
    const d = await datasetsRepo.findBySlug(tx, row.datasetSlug);
    if (!d) throw notFound('dataset');
    const purpose = input.purpose ?? {
      category: r.purposeCategory,
      description: r.purposeDescription,
      commercial: r.commercial,
      forProfit: r.forProfit,
    };
    const teamEmails = input.team ?? (await repo.usersByIds(tx, r.teamUserIds)).map((u) => u.email);
    const { l, answers, team, scope, match } = await prepare(tx, t, d, r.requesterId, {
      licenceVersion: input.licenceVersion,
      answers: input.answers ?? r.answers,
      team: teamEmails,
      scope: input.scope,
      purpose,
    });
    await repo.update(tx, id, {
      teamUserIds: team,
      scope: input.scope ? scope : r.scope,
      purposeCategory: purpose.category,
      purposeDescription: purpose.description,
      commercial: purpose.commercial,
      forProfit: purpose.forProfit,
      intendedOutputs: input.intendedOutputs ?? r.intendedOutputs,
      requestedDays: input.requestedDays ?? r.requestedDays,
      answers,
      licenceVersionId: l.id,
      licenceAcceptedAt: ctx.now,
      matchResult: match.result,
      matchReasons: match.reasons,
    });
    const fresh = (await repo.find(tx, id))!;
    await transition(tx, t, fresh, 'request.resubmitted', {
      to: 'submitted',
      details: { round: r.round + 1, licenceVersion: l.version, match: match.result },
    });
    await matchAndMaybeApprove(tx, t, issuer, fresh, l, d.tier);
    if (fresh.request.status === 'submitted') await notifyRequest(tx, fresh, 'resubmitted');
  });
  return getRequest(ctx, id);
}

/** `POST /access-requests/:id/withdraw`: the requester withdraws an open request. */
export async function withdrawRequest(ctx: Ctx, id: string, reason: string | undefined) {
  await ctx.db.transaction(async (tx) => {
    const t = { ...ctx, db: tx };
    const { row, subject: s } = await loadRequest(t, id, { lock: true });
    if (!ctx.ability.can('withdraw', subjectOf('AccessRequest', s))) {
      if (row.request.requesterId === viewer(ctx) && !OPEN.includes(row.request.status))
        throw conflict(
          'request_closed',
          `This request is ${row.request.status}: it can no longer be withdrawn.`,
        );
      ForbiddenError.from(ctx.ability).throwUnlessCan('withdraw', subjectOf('AccessRequest', s));
    }
    await transition(tx, t, row, 'request.withdrawn', { to: 'withdrawn', reason: reason || null });
  });
  return getRequest(ctx, id);
}

type Outcome = { to: 'approved' | 'denied' | 'returned' | 'in_review'; reason: string };

/**
 * The licence's decision rule, applied to this round's reviews after the review just cast.
 * Reviews with a declared conflict of interest are recorded but count for nothing.
 * - `single`: the first review by a steward of the community decides (approve, deny or return); a
 *   reviewer's review is advice and puts the request in review.
 * - `quorum`: a return returns; a deny denies at once when the rule has a veto; k approvals approve;
 *   without a veto, k denials deny, and so does reaching the point where n reviewers can no longer give k
 *   approvals (when n is set).
 */
export function decide(
  rule: LicenceRow['decision'],
  cast: { decision: 'approve' | 'deny' | 'return'; conflicted: boolean; bySteward: boolean; comment: string },
  round: { decision: 'approve' | 'deny' | 'return'; conflicted: boolean }[],
): Outcome {
  const why = (what: string) => (cast.comment ? `${what}: ${cast.comment}` : what);
  if (cast.conflicted)
    return { to: 'in_review', reason: 'A review with a declared conflict of interest (not counted).' };
  if (rule.rule === 'single') {
    if (!cast.bySteward) return { to: 'in_review', reason: "A reviewer's advice; a steward decides." };
    const to = ({ approve: 'approved', deny: 'denied', return: 'returned' } as const)[cast.decision];
    return { to, reason: why(`Decided by a steward (${cast.decision})`) };
  }
  const counted = round.filter((r) => !r.conflicted);
  const approvals = counted.filter((r) => r.decision === 'approve').length;
  const denials = counted.filter((r) => r.decision === 'deny').length;
  if (cast.decision === 'return') return { to: 'returned', reason: why('Returned by a reviewer') };
  if (cast.decision === 'deny' && rule.veto) return { to: 'denied', reason: why('Denied by a veto') };
  if (approvals >= rule.k) return { to: 'approved', reason: `${approvals} of ${rule.k} approvals needed` };
  if (denials >= rule.k) return { to: 'denied', reason: why(`${denials} denials`) };
  if (rule.n !== undefined && rule.n - denials < rule.k)
    return {
      to: 'denied',
      reason: why(`${rule.k} approvals can no longer be reached among ${rule.n} reviewers`),
    };
  return { to: 'in_review', reason: `${approvals} of ${rule.k} approvals so far` };
}

/**
 * `POST /access-requests/:id/reviews`: casts a review and applies the decision rule, in one transaction
 * that holds the request's row lock (`SELECT … FOR UPDATE`), so that reviews cast at the same moment are
 * counted one after another: two approvals racing issue exactly one grant (and `grants.request_id` is
 * unique as well).
 */
export async function castReview(ctx: Ctx, issuer: GrantIssuer, id: string, input: CastReview) {
  const me = viewer(ctx);
  if (!me) throw new AppError(401, 'unauthenticated', 'Sign in first.');
  await ctx.db.transaction(async (tx) => {
    const t = { ...ctx, db: tx };
    const { row, subject: s } = await loadRequest(t, id, { lock: true });
    const r = row.request;
    const deciders = communitiesWithRole(ctx.actor, 'steward', 'reviewer');
    if (!deciders.includes(row.communityId))
      // The requester or a team member reads the request but is no reviewer of its community.
      throw new AppError(
        403,
        'not_a_reviewer',
        'Only the stewards and reviewers of the community review requests.',
      );
    if (r.requesterId === me || r.teamUserIds.includes(me))
      throw new AppError(
        403,
        'own_request',
        'You cannot review a request you made or would be a grantee of.',
      );
    if (r.status !== 'submitted' && r.status !== 'in_review')
      throw conflict(
        'request_not_reviewable',
        r.status === 'returned'
          ? 'This request was returned to its requester: it can be reviewed again once resubmitted.'
          : `This request is ${r.status}: it takes no more reviews.`,
      );
    ForbiddenError.from(ctx.ability).throwUnlessCan('review', subjectOf('AccessRequest', s));
    const conflicted = input.conflictOfInterest !== undefined && input.conflictOfInterest !== false;
    const review = await repo.insertReview(tx, {
      requestId: id,
      reviewerId: me,
      round: r.round,
      decision: input.decision,
      comment: input.comment,
      conflictOfInterest: conflicted
        ? typeof input.conflictOfInterest === 'string'
          ? input.conflictOfInterest
          : 'declared'
        : null,
    });
    if (!review) throw conflict('already_reviewed', 'You have already reviewed this round of the request.');
    const l = (await licencesRepo.findVersion(tx, r.datasetId, row.licenceVersion))!;
    const round = (await repo.reviewsOf(tx, [id]))
      .filter((x) => x.review.round === r.round)
      .map((x) => ({ decision: x.review.decision, conflicted: x.review.conflictOfInterest !== null }));
    const outcome = decide(
      l.decision,
      {
        decision: input.decision,
        conflicted,
        bySteward: communitiesWithRole(ctx.actor, 'steward').includes(row.communityId),
        comment: input.comment,
      },
      round,
    );
    await record(tx, ctx, 'review.cast', {
      subjectType: 'AccessRequest',
      subjectId: id,
      communityId: row.communityId,
      datasetId: r.datasetId,
      purpose: r.purposeCategory,
      details: {
        reviewId: review.id,
        round: r.round,
        decision: input.decision,
        conflictOfInterest: conflicted,
      },
    });
    if (outcome.to === 'approved') {
      if (l.status === 'withdrawn')
        throw conflict(
          'licence_withdrawn',
          'The licence version this request accepted was withdrawn: return the request so that the requester accepts the current terms.',
        );
      await approve(tx, t, issuer, row, l, outcome.reason);
    } else if (outcome.to !== r.status) {
      const verb = {
        in_review: 'request.review_started',
        denied: 'request.denied',
        returned: 'request.returned',
      }[outcome.to];
      await transition(tx, t, row, verb, { to: outcome.to, reason: outcome.reason });
    }
  });
  return getRequest(ctx, id);
}

/**
 * `GET /access-requests`: `mine` (as requester or team member), or a community's queue (`community`,
 * `status`), filtered in SQL by the policy — never in JavaScript after loading.
 */
export async function listRequests(ctx: Ctx, q: ListAccessRequests) {
  const me = viewer(ctx);
  if (q.mine && !me) return [];
  const community = q.community ? await getCommunity(ctx, q.community) : undefined;
  const rows = await repo.list(
    ctx.db,
    accessibleWhere(ctx.ability, 'read', 'AccessRequest', repo.accessRequestColumns(me)),
    {
      participantId: q.mine ? (me ?? undefined) : undefined,
      communityId: community?.id,
      datasetSlug: q.dataset,
      status: q.status,
      order: q.order,
      limit: q.limit,
    },
  );
  return rows.map((row) => ({ row, subject: accessRequestSubject(ctx, row) }));
}

/** One request with its team, its reviews (for the community's deciders) and its history. */
export async function getRequest(ctx: Ctx, id: string) {
  const { row, subject: s } = await loadRequest(ctx, id);
  const r = row.request;
  const deciders = communitiesWithRole(ctx.actor, 'steward', 'reviewer').includes(row.communityId);
  const [team, reviews, history] = await Promise.all([
    repo.usersByIds(ctx.db, r.teamUserIds),
    deciders ? repo.reviewsOf(ctx.db, [id]) : Promise.resolve([]),
    repo.history(ctx.db, r.datasetId, id),
  ]);
  return { row, subject: s, team, reviews, history, deciders };
}
export type LoadedRequest = Awaited<ReturnType<typeof getRequest>>;
