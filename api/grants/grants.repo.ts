import { and, asc, desc, eq, inArray, isNull, or, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/index.ts';
import {
  communities,
  datasets,
  grantees,
  grants,
  licenceVersions,
  obligations,
  users,
} from '../../db/schema/index.ts';
import type { GrantRef } from '../../policies/index.ts';

/**
 * The grants in force for a user, as a JSON array, for the principal queries: active, started, not
 * expired (`now()` in SQL, so an expired grant stops downloads at its end time without any job), under a
 * licence version not withdrawn, and with no obligation overdue (marked so, or pending past its due date).
 */
export function grantsInForce(userId: AnyPgColumn | SQL): SQL<GrantRef[]> {
  return sql<GrantRef[]>`coalesce((
    select json_agg(json_build_object('id', g.id, 'datasetId', g.dataset_id, 'scope', g.scope_type, 'scopeIds', g.scope_ids, 'purpose', g.purpose_category))
    from ${grants} g
    join ${grantees} ge on ge.grant_id = g.id
    join ${licenceVersions} lv on lv.id = g.licence_version_id
    where ge.user_id = ${userId}
      and g.status = 'active' and g.starts_at <= now() and g.expires_at > now()
      and lv.status = 'published'
      and not exists (
        select 1 from ${obligations} o
        where o.grant_id = g.id and (o.status = 'overdue' or (o.status = 'pending' and o.due_at < now()))
      )
  ), '[]'::json)`;
}

export type GrantRow = typeof grants.$inferSelect;
export type ObligationRow = typeof obligations.$inferSelect;

const NIL = '00000000-0000-0000-0000-000000000000';

/**
 * Where the Grant policy's fields live, for `accessibleWhere`, seen by `viewerId`: `granteeId` is the
 * viewer when they are one of the grant's grantees, else the nil UUID (as in `grantSubject`), so that
 * one row per grant agrees with the in-memory decision (the rules only compare it with the viewer).
 */
export const grantColumns = (viewerId: string | undefined) => ({
  id: grants.id,
  datasetId: grants.datasetId,
  communityId: datasets.communityId,
  status: grants.status,
  granteeId: sql`(case when exists (select 1 from ${grantees} ge where ge.grant_id = ${grants.id}
    and ge.user_id = ${viewerId ?? NIL}::uuid) then ${viewerId ?? NIL}::uuid else ${NIL}::uuid end)`,
});

const grantFields = {
  grant: grants,
  datasetSlug: datasets.slug,
  datasetTitle: datasets.title,
  communityId: datasets.communityId,
  communitySlug: communities.slug,
  licenceVersion: licenceVersions.version,
};

function selectGrants(db: Db) {
  return db
    .select(grantFields)
    .from(grants)
    .innerJoin(datasets, eq(datasets.id, grants.datasetId))
    .innerJoin(communities, eq(communities.id, datasets.communityId))
    .innerJoin(licenceVersions, eq(licenceVersions.id, grants.licenceVersionId));
}
export type GrantListRow = NonNullable<Awaited<ReturnType<typeof findGrant>>>;

/** One grant with its dataset, community and licence version number. */
export async function findGrant(db: Db, id: string, opts: { lock?: boolean } = {}) {
  const q = selectGrants(db).where(eq(grants.id, id));
  const [row] = opts.lock ? await q.for('update', { of: grants }) : await q;
  return row;
}

/** Grants matching `where` (the policy's `accessibleWhere` and the caller's filters), newest first. */
/** What `GET /grants` narrows by, beside the policy's `visible`. */
export interface GrantFilter {
  /** Only grants this user holds (as grantee). */
  granteeId?: string;
  communityId?: string;
  datasetSlug?: string;
  status?: (typeof grants.status.enumValues)[number];
  limit: number;
}

export function listGrants(db: Db, visible: SQL | undefined, f: GrantFilter) {
  return selectGrants(db)
    .where(
      and(
        visible,
        f.granteeId
          ? sql`exists (select 1 from ${grantees} ge where ge.grant_id = ${grants.id} and ge.user_id = ${f.granteeId}::uuid)`
          : undefined,
        f.communityId ? eq(datasets.communityId, f.communityId) : undefined,
        f.status ? eq(grants.status, f.status) : undefined,
        f.datasetSlug ? eq(datasets.slug, f.datasetSlug) : undefined,
      ),
    )
    .orderBy(desc(grants.createdAt), desc(grants.id))
    .limit(f.limit);
}

/** The grantees of grants, with their names and e-mails. */
export function granteesOf(db: Db, grantIds: string[]) {
  if (!grantIds.length) return Promise.resolve([]);
  return db
    .select({ grantId: grantees.grantId, id: users.id, name: users.name, email: users.email })
    .from(grantees)
    .innerJoin(users, eq(users.id, grantees.userId))
    .where(inArray(grantees.grantId, grantIds))
    .orderBy(asc(users.name));
}

export function obligationsOf(db: Db, grantIds: string[]) {
  if (!grantIds.length) return Promise.resolve([] as ObligationRow[]);
  return db
    .select()
    .from(obligations)
    .where(inArray(obligations.grantId, grantIds))
    .orderBy(asc(obligations.dueAt), asc(obligations.kind));
}

export async function insertGrant(
  db: Db,
  values: typeof grants.$inferInsert,
  userIds: string[],
  obligationValues: Omit<typeof obligations.$inferInsert, 'grantId'>[],
) {
  const [g] = await db.insert(grants).values(values).returning();
  await db.insert(grantees).values(userIds.map((userId) => ({ grantId: g.id, userId })));
  if (obligationValues.length)
    await db.insert(obligations).values(obligationValues.map((o) => ({ ...o, grantId: g.id })));
  return g;
}

export async function updateGrant(db: Db, id: string, values: Partial<typeof grants.$inferInsert>) {
  const [row] = await db
    .update(grants)
    .set({ ...values, updatedAt: sql`now()` })
    .where(eq(grants.id, id))
    .returning();
  return row;
}

/**
 * Moves the open at-end obligations of a grant to its new end (after a renewal), returning those moved:
 * the pending ones, and those marked overdue with no evidence given (e.g. by a job before the rule that
 * leaves at-end terms of ended grants alone), which become pending again. Otherwise a renewed grant would
 * stay paused by a term that is only due at its new end. Overdue ones with evidence await the steward.
 */
export function moveAtEndObligations(db: Db, grantId: string, dueAt: Date) {
  return db
    .update(obligations)
    .set({ dueAt, status: 'pending', updatedAt: sql`now()` })
    .where(
      and(
        eq(obligations.grantId, grantId),
        eq(obligations.timing, 'at-end'),
        or(
          eq(obligations.status, 'pending'),
          and(eq(obligations.status, 'overdue'), isNull(obligations.submittedAt)),
        ),
      ),
    )
    .returning({ id: obligations.id });
}

/**
 * The user's click-through grant on a dataset's licence version that is still active and unexpired
 * (`now()` in SQL), if any.
 */
export async function clickThroughInForce(
  db: Db,
  userId: string,
  datasetId: string,
  licenceVersionId: string,
) {
  const [row] = await db
    .select({ id: grants.id })
    .from(grants)
    .innerJoin(grantees, eq(grantees.grantId, grants.id))
    .where(
      and(
        eq(grantees.userId, userId),
        eq(grants.datasetId, datasetId),
        eq(grants.licenceVersionId, licenceVersionId),
        eq(grants.kind, 'click_through'),
        eq(grants.status, 'active'),
        sql`${grants.expiresAt} > now()`,
      ),
    )
    .limit(1);
  return row;
}

/** Serialises acts on one (user, dataset) pair for the rest of the transaction (e.g. click-through accepts). */
export async function lockPair(db: Db, a: string, b: string) {
  await db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`${a}|${b}`}, 0))`);
}
