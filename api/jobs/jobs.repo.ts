import { and, asc, eq, gt, inArray, isNull, lte, ne, or, sql } from 'drizzle-orm';
import { type Db, tryXactLock } from '../../db/index.ts';
import { datasets, grants, notifications, obligations } from '../../db/schema/index.ts';

/** The advisory lock whose holder runs the periodic job's steps; the other processes skip the run. */
export const JOBS_LOCK = 7263103;

/** Takes the job's transaction-scoped advisory lock if free: true when this process leads this step. */
export async function tryLead(tx: Db): Promise<boolean> {
  return tryXactLock(tx, JOBS_LOCK);
}

/**
 * Marks `expired` up to `limit` active grants whose end has passed, returning them. Downloads stopped at
 * the end time already (the grants-in-force query compares `expires_at` with `now()`); this records it.
 * The `status = 'active'` re-check in the UPDATE makes a second, concurrent run change nothing.
 * Suspended grants stay suspended (a reinstated one expires on the next run).
 */
export function expireGrants(tx: Db, now: Date, limit: number) {
  const due = tx
    .select({ id: grants.id })
    .from(grants)
    .where(and(eq(grants.status, 'active'), lte(grants.expiresAt, now)))
    .orderBy(asc(grants.expiresAt))
    .limit(limit);
  return tx
    .update(grants)
    .set({ status: 'expired', statusReason: 'The grant reached its end date.', updatedAt: sql`now()` })
    .where(and(inArray(grants.id, due), eq(grants.status, 'active')))
    .returning({
      id: grants.id,
      datasetId: grants.datasetId,
      purpose: grants.purposeCategory,
      expiresAt: grants.expiresAt,
    });
}

/** What the job tells people about an obligation: which, of which grant, what, due when. */
const obligationRef = {
  id: obligations.id,
  grantId: obligations.grantId,
  kind: obligations.kind,
  dueAt: obligations.dueAt,
};

/**
 * Marks `overdue` up to `limit` pending obligations past their due date, returning them. Left alone:
 * `before-download` terms (a condition of downloading, checked by the grants-in-force query, not a duty
 * that can be late), obligations whose evidence awaits the steward's verification, those of revoked
 * grants, and `at-end` terms of grants no longer active and unexpired: an at-end term falls due when the
 * grant ends, when downloads stop anyway, so marking it overdue would pause nothing but a renewal (which
 * moves it to the new end). It stays pending, past its date, until it is met, waived or moved.
 */
export function markOverdue(tx: Db, now: Date, limit: number) {
  const due = tx
    .select({ id: obligations.id })
    .from(obligations)
    .innerJoin(grants, eq(grants.id, obligations.grantId))
    .where(
      and(
        eq(obligations.status, 'pending'),
        lte(obligations.dueAt, now),
        ne(obligations.timing, 'before-download'),
        isNull(obligations.submittedAt),
        ne(grants.status, 'revoked'),
        or(ne(obligations.timing, 'at-end'), and(eq(grants.status, 'active'), gt(grants.expiresAt, now))),
      ),
    )
    .orderBy(asc(obligations.dueAt))
    .limit(limit);
  return tx
    .update(obligations)
    .set({ status: 'overdue', updatedAt: sql`now()` })
    .where(and(inArray(obligations.id, due), eq(obligations.status, 'pending')))
    .returning(obligationRef);
}

/** No notification of `kind` yet about `subjectId` for the date `occasion` (to any user). */
const notNotified = (kind: string, subjectId: unknown, occasion: unknown) =>
  sql`not exists (select 1 from ${notifications} n where n.subject_id = ${subjectId}
    and n.kind = ${kind} and n.occasion = ${occasion})`;

/** Pending obligations of active grants due within `days` and not yet announced for that due date. */
export function obligationsDueSoon(tx: Db, now: Date, days: number, limit: number) {
  return tx
    .select(obligationRef)
    .from(obligations)
    .innerJoin(grants, eq(grants.id, obligations.grantId))
    .where(
      and(
        eq(obligations.status, 'pending'),
        gt(obligations.dueAt, now),
        lte(obligations.dueAt, new Date(now.getTime() + days * 86_400_000)),
        ne(obligations.timing, 'before-download'),
        isNull(obligations.submittedAt),
        eq(grants.status, 'active'),
        notNotified('obligation.due_soon', obligations.id, obligations.dueAt),
      ),
    )
    .orderBy(asc(obligations.dueAt))
    .limit(limit);
}

/** Active grants ending within `days` and not yet announced for that end date. */
export function grantsExpiringSoon(tx: Db, now: Date, days: number, limit: number) {
  return tx
    .select({ id: grants.id, expiresAt: grants.expiresAt })
    .from(grants)
    .where(
      and(
        eq(grants.status, 'active'),
        gt(grants.expiresAt, now),
        lte(grants.expiresAt, new Date(now.getTime() + days * 86_400_000)),
        notNotified('grant.expiring', grants.id, grants.expiresAt),
      ),
    )
    .orderBy(asc(grants.expiresAt))
    .limit(limit);
}

/** The dataset, community and purpose of grants, by grant id. */
export async function grantContext(tx: Db, grantIds: string[]) {
  if (!grantIds.length) return new Map();
  const rows = await tx
    .select({
      id: grants.id,
      datasetId: grants.datasetId,
      purpose: grants.purposeCategory,
      communityId: datasets.communityId,
      datasetTitle: datasets.title,
    })
    .from(grants)
    .innerJoin(datasets, eq(datasets.id, grants.datasetId))
    .where(inArray(grants.id, grantIds));
  return new Map(rows.map((r) => [r.id, r]));
}
export type GrantContext = Awaited<ReturnType<typeof grantContext>> extends Map<string, infer V> ? V : never;
