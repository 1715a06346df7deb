import { randomUUID } from 'node:crypto';
import { ForbiddenError } from '@casl/ability';
import type { Db } from '../../db/index.ts';
import type { grants } from '../../db/schema/index.ts';
import { accessibleWhere, type GrantSubject } from '../../policies/index.ts';
import { MAX_GRANT_DAYS } from '../../policies/licence-terms.ts';
import { subjectOf } from '../../policies/subject.ts';
import { record } from '../audit/audit.ts';
import { getCommunity } from '../communities/communities.service.ts';
import type { Ctx } from '../context.ts';
import { datasetSubject } from '../datasets/datasets.present.ts';
import type { DatasetWithCommunity } from '../datasets/datasets.repo.ts';
import { loadReadable } from '../datasets/datasets.service.ts';
import { AppError, conflict, notFound } from '../errors.ts';
import * as licencesRepo from '../licences/licences.repo.ts';
import { currentLicence, type LicenceRow } from '../licences/licences.repo.ts';
import * as usersRepo from '../users/users.repo.ts';
import { agreementFor, type GrantIssuer, signAgreement } from './grants.agreement.ts';
import * as repo from './grants.repo.ts';
import type { GrantAct, ListGrants, RenewGrant } from './grants.schema.ts';

const DAY = 86_400_000;
/** A grant's length when neither the request nor the licence names one. */
export const DEFAULT_GRANT_DAYS = 365;

const viewer = (ctx: Ctx) => (ctx.actor.kind === 'user' ? ctx.actor.userId : undefined);

/** The policy subject of a grant seen by the caller (see `grantColumns` for the SQL twin). */
export function grantSubject(
  ctx: Ctx,
  row: { grant: Pick<repo.GrantRow, 'id' | 'datasetId' | 'status'>; communityId: string },
  granteeIds: string[],
): GrantSubject {
  const me = viewer(ctx);
  return {
    id: row.grant.id,
    datasetId: row.grant.datasetId,
    communityId: row.communityId,
    status: row.grant.status,
    granteeId: me && granteeIds.includes(me) ? me : '00000000-0000-0000-0000-000000000000',
  };
}

/**
 * The obligations a licence's reciprocity terms put on a grant, with their due dates:
 * - `after-grant`: `dueDays` after the start;
 * - `every-n-months`: the first due date, `everyMonths` after the start (verifying or waiving one
 *   schedules the next: see `actOnObligation`);
 * - `at-end`: the grant's expiry (moved by a renewal);
 * - `before-download`: due at issue, so the grant downloads nothing until it is met (the policy treats a
 *   pending obligation past its due date as overdue). A term that asks for evidence stays pending until
 *   the evidence is verified or the steward waives it. A term that asks for none (e.g. "attribute") is an
 *   undertaking: the requester's explicit acceptance of this licence version is the undertaking, so it is
 *   created fulfilled, dated at that acceptance.
 */
export function obligationsFor(l: LicenceRow, startsAt: Date, expiresAt: Date, acceptedAt: Date) {
  return l.reciprocity.map((t) => {
    const base = { kind: t.kind, timing: t.timing, evidenceKind: t.evidence ?? null };
    switch (t.timing) {
      case 'after-grant':
        return { ...base, dueAt: new Date(startsAt.getTime() + (t.dueDays ?? 0) * DAY) };
      case 'every-n-months': {
        const due = new Date(startsAt);
        due.setUTCMonth(due.getUTCMonth() + (t.everyMonths ?? 1));
        return { ...base, dueAt: due };
      }
      case 'at-end':
        return { ...base, dueAt: expiresAt };
      default:
        // before-download
        return t.evidence
          ? { ...base, dueAt: startsAt }
          : {
              ...base,
              dueAt: startsAt,
              status: 'fulfilled' as const,
              submittedAt: acceptedAt,
              evidence: { text: `Undertaken by accepting licence version ${l.version}.` },
            };
    }
  });
}

/** The licence's cap on a grant's length, in days. */
export const capDays = (l: LicenceRow) => Math.min(l.maxGrantDays ?? MAX_GRANT_DAYS, MAX_GRANT_DAYS);

export interface IssueInput {
  d: DatasetWithCommunity;
  l: LicenceRow;
  kind: 'request' | 'click_through';
  requestId?: string;
  /** The requester first, then the team. */
  users: { id: string; name: string }[];
  scope: { type: 'dataset' | 'release' | 'file'; ids: string[] };
  purpose: string | null;
  requestedDays?: number | null;
  acceptedAt: Date;
}

/**
 * Issues a grant inside the caller's transaction: the row, its grantees, its obligations, the signed
 * ODRL Agreement, and the `grant.issued` event carrying the Agreement's SHA-256. The length is the
 * requested one (else the licence's maximum, else a year), capped by the licence's `maxGrantDays`.
 */
export async function issueGrant(tx: Db, ctx: Ctx, issuer: GrantIssuer, input: IssueInput) {
  const { d, l } = input;
  const id = randomUUID();
  const days = Math.min(input.requestedDays ?? l.maxGrantDays ?? DEFAULT_GRANT_DAYS, capDays(l));
  const startsAt = new Date(ctx.now);
  const expiresAt = new Date(startsAt.getTime() + days * DAY);
  const agreement = agreementFor(issuer.publicUrl, {
    grantId: id,
    d,
    l,
    grantees: input.users,
    scope: input.scope,
    purpose: input.purpose,
    startsAt,
    expiresAt,
  });
  const { jws, hash } = await signAgreement(issuer.signingKey, agreement);
  const g = await repo.insertGrant(
    tx,
    {
      id,
      datasetId: d.id,
      requestId: input.requestId ?? null,
      kind: input.kind,
      licenceVersionId: l.id,
      scopeType: input.scope.type,
      scopeIds: input.scope.ids,
      purposeCategory: input.purpose,
      startsAt,
      expiresAt,
      agreementJws: jws,
      agreementHash: hash,
    },
    input.users.map((u) => u.id),
    obligationsFor(l, startsAt, expiresAt, input.acceptedAt),
  );
  await record(tx, ctx, 'grant.issued', {
    subjectType: 'Grant',
    subjectId: g.id,
    communityId: d.communityId,
    datasetId: d.id,
    purpose: input.purpose,
    details: {
      kind: input.kind,
      requestId: input.requestId ?? null,
      grantees: input.users.map((u) => u.id),
      licenceVersion: l.version,
      scope: input.scope,
      startsAt: startsAt.toISOString(),
      expiresAt: expiresAt.toISOString(),
      obligations: l.reciprocity.map((t) => t.kind),
      agreementSha256: hash,
    },
  });
  return g;
}

/** Loads a grant the caller may read, with its grantees and obligations; 404 otherwise. */
export async function loadGrant(ctx: Ctx, id: string, opts: { lock?: boolean } = {}) {
  const row = await repo.findGrant(ctx.db, id, opts);
  if (!row) throw notFound('grant');
  const people = await repo.granteesOf(ctx.db, [id]);
  const s = grantSubject(
    ctx,
    row,
    people.map((p) => p.id),
  );
  if (!ctx.ability.can('read', subjectOf('Grant', s))) throw notFound('grant');
  const obligations = await repo.obligationsOf(ctx.db, [id]);
  return { row, subject: s, grantees: people, obligations };
}
export type LoadedGrant = Awaited<ReturnType<typeof loadGrant>>;

/**
 * `GET /grants`: `mine` (grants where the caller is a grantee) or `community` (a community's grants, for
 * its stewards), filtered in SQL by the policy — never in JavaScript after loading.
 */
export async function listGrants(ctx: Ctx, q: ListGrants) {
  const me = viewer(ctx);
  if (q.mine && !me) return [];
  const community = q.community ? await getCommunity(ctx, q.community) : undefined;
  const rows = await repo.listGrants(
    ctx.db,
    accessibleWhere(ctx.ability, 'read', 'Grant', repo.grantColumns(me)),
    {
      granteeId: q.mine ? (me ?? undefined) : undefined,
      communityId: community?.id,
      status: q.status,
      datasetSlug: q.dataset,
      limit: q.limit,
    },
  );
  const ids = rows.map((r) => r.grant.id);
  const [people, obligations] = await Promise.all([
    repo.granteesOf(ctx.db, ids),
    repo.obligationsOf(ctx.db, ids),
  ]);
  return rows.map((row) => {
    const gp = people.filter((p) => p.grantId === row.grant.id);
    return {
      row,
      subject: grantSubject(
        ctx,
        row,
        gp.map((p) => p.id),
      ),
      grantees: gp,
      obligations: obligations.filter((o) => o.grantId === row.grant.id),
    };
  });
}

const invalidTransition = (action: string, status: string) =>
  conflict('grant_state_conflict', `A grant that is ${status} cannot be ${action}.`);

const verbs = { suspend: 'suspended', reinstate: 'reinstated', revoke: 'revoked', renew: 'renewed' } as const;

/**
 * A steward's act on a grant (suspend, reinstate, revoke, renew), with its reason, audited in the act's
 * transaction. The grant row is locked so that two acts at once apply one after the other.
 */
export async function actOnGrant(
  ctx: Ctx,
  id: string,
  action: keyof typeof verbs,
  input: GrantAct & Partial<RenewGrant>,
) {
  return ctx.db.transaction(async (tx) => {
    const t = { ...ctx, db: tx };
    const g = await loadGrant(t, id, { lock: true });
    if (!ctx.ability.can(action, subjectOf('Grant', g.subject))) {
      // A steward facing the wrong state learns why; anyone else is simply refused.
      const anyState = (['active', 'suspended', 'revoked', 'expired'] as const).some((status) =>
        ctx.ability.can(action, subjectOf('Grant', { ...g.subject, status })),
      );
      if (anyState) throw invalidTransition(verbs[action], g.row.grant.status);
      ForbiddenError.from(ctx.ability).throwUnlessCan(action, subjectOf('Grant', g.subject));
    }
    const values: Partial<typeof grants.$inferInsert> = { statusReason: input.reason };
    const details: Record<string, unknown> = { reason: input.reason, from: g.row.grant.status };
    if (action === 'suspend') values.status = 'suspended';
    if (action === 'reinstate') values.status = 'active';
    if (action === 'revoke') values.status = 'revoked';
    if (action === 'renew') {
      // The grant's licence version always exists: the foreign key restricts its deletion.
      const l = (await licencesRepo.findById(tx, g.row.grant.licenceVersionId))!;
      if (l.status === 'withdrawn')
        throw conflict(
          'licence_withdrawn',
          'The licence version of this grant is withdrawn: it cannot be renewed.',
        );
      // Renewal extends from the later of now and the current end, but never beyond the licence's cap from now.
      const from = Math.max(ctx.now.getTime(), g.row.grant.expiresAt.getTime());
      const cap = ctx.now.getTime() + capDays(l) * DAY;
      const wanted = from + (input.days ?? capDays(l)) * DAY;
      const expiresAt = new Date(Math.min(wanted, cap));
      // Less than a day's extension is no renewal: the grant already runs to (about) its cap.
      if (expiresAt.getTime() - g.row.grant.expiresAt.getTime() < DAY)
        throw new AppError(
          422,
          'renewal_exceeds_cap',
          `The grant already runs to the licence's limit of ${capDays(l)} days from today.`,
        );
      values.expiresAt = expiresAt;
      values.status = 'active';
      details.expiresAt = expiresAt.toISOString();
      details.previousExpiresAt = g.row.grant.expiresAt.toISOString();
      const moved = await repo.moveAtEndObligations(tx, id, expiresAt);
      const reopened = moved.filter((m) =>
        g.obligations.some((o) => o.id === m.id && o.status === 'overdue'),
      );
      // Recorded with the renewal: these were overdue (no evidence) and are pending again, due at the new end.
      if (reopened.length) details.obligationsReopened = reopened.map((m) => m.id);
    }
    details.to = values.status;
    await repo.updateGrant(tx, id, values);
    await record(tx, ctx, `grant.${verbs[action]}`, {
      subjectType: 'Grant',
      subjectId: id,
      communityId: g.row.communityId,
      datasetId: g.row.grant.datasetId,
      purpose: g.row.grant.purposeCategory,
      details,
    });
    return loadGrant(t, id);
  });
}

/**
 * `POST /datasets/:slug/accept`: the `registered` tier's click-through. Records a grant of kind
 * `click_through` on the licence version in force, after which the user downloads the dataset's
 * `registered` files. Idempotent: while one is in force, a second accept answers it (created: false).
 */
export async function acceptLicence(ctx: Ctx, issuer: GrantIssuer, slug: string, licenceVersion: number) {
  if (ctx.actor.kind !== 'user') throw new AppError(401, 'unauthenticated', 'Sign in first.');
  const me = ctx.actor.userId;
  return ctx.db.transaction(async (tx) => {
    const t = { ...ctx, db: tx };
    const d = await loadReadable(t, slug);
    if (d.status !== 'published' || d.tier !== 'registered')
      throw conflict(
        'not_click_through',
        d.tier === 'gated' || d.tier === 'restricted'
          ? `This dataset is ${d.tier}: request access instead (POST /datasets/${d.slug}/access-requests).`
          : `A ${d.status === 'published' ? d.tier : d.status} dataset has no licence to accept.`,
      );
    ForbiddenError.from(ctx.ability).throwUnlessCan('accept', subjectOf('Dataset', datasetSubject(d)));
    const l = await requireCurrentLicence(tx, d.id, licenceVersion);
    await repo.lockPair(tx, me, d.id);
    const held = await repo.clickThroughInForce(tx, me, d.id, l.id);
    if (held) return { grantId: held.id, created: false };
    const u = await usersRepo.findById(tx, me);
    const g = await issueGrant(tx, ctx, issuer, {
      d,
      l,
      kind: 'click_through',
      users: [{ id: me, name: u?.name ?? '' }],
      scope: { type: 'dataset', ids: [] },
      purpose: null,
      acceptedAt: ctx.now,
    });
    return { grantId: g.id, created: true };
  });
}

/**
 * The current licence version of a dataset, which `version` must name: accepting anything else is 409
 * `licence_version_not_current` (the client re-reads the terms), no licence at all 409 `no_licence`.
 */
export async function requireCurrentLicence(db: Db, datasetId: string, version: number) {
  const l = await currentLicence(db, datasetId);
  if (!l) throw conflict('no_licence', 'This dataset has no licence in force yet: nothing can be accepted.');
  if (l.version !== version)
    throw new AppError(
      409,
      'licence_version_not_current',
      `Licence version ${version} is not the one in force (${l.version}): read the current terms and accept them.`,
      { currentVersion: l.version },
    );
  return l;
}
