import { and, asc, desc, eq, inArray, like, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import {
  accessRequests,
  auditEvents,
  communities,
  datasets,
  files,
  grants,
  licenceVersions,
  releases,
  reviews,
  users,
} from '../../db/schema/index.ts';

export type AccessRequestRow = typeof accessRequests.$inferSelect;
export type ReviewRow = typeof reviews.$inferSelect;

const NIL = '00000000-0000-0000-0000-000000000000';

/**
 * Where the AccessRequest policy's fields live, for `accessibleWhere`, seen by `viewerId`: `teamMemberId`
 * is the viewer when they are a named team member, else `''` — as `accessRequestSubject` computes it.
 */
export const accessRequestColumns = (viewerId: string | undefined) => ({
  id: accessRequests.id,
  datasetId: accessRequests.datasetId,
  communityId: datasets.communityId,
  requesterId: accessRequests.requesterId,
  status: accessRequests.status,
  teamMemberId: sql`(case when ${accessRequests.teamUserIds} @> array[${viewerId ?? NIL}::uuid]
    then ${viewerId ?? NIL}::text else '' end)`,
});

const fields = {
  request: accessRequests,
  datasetSlug: datasets.slug,
  datasetTitle: datasets.title,
  datasetTier: datasets.tier,
  communityId: datasets.communityId,
  communitySlug: communities.slug,
  licenceVersion: licenceVersions.version,
  requesterName: users.name,
  requesterEmail: users.email,
  requesterOrganisation: users.homeOrganization,
  grantId: grants.id,
};

function select(db: Db) {
  return db
    .select(fields)
    .from(accessRequests)
    .innerJoin(datasets, eq(datasets.id, accessRequests.datasetId))
    .innerJoin(communities, eq(communities.id, datasets.communityId))
    .innerJoin(licenceVersions, eq(licenceVersions.id, accessRequests.licenceVersionId))
    .innerJoin(users, eq(users.id, accessRequests.requesterId))
    .leftJoin(grants, eq(grants.requestId, accessRequests.id));
}
export type RequestListRow = NonNullable<Awaited<ReturnType<typeof find>>>;

/** One request with its dataset, community, licence version and grant; `lock` takes the row lock. */
export async function find(db: Db, id: string, opts: { lock?: boolean } = {}) {
  const q = select(db).where(eq(accessRequests.id, id));
  const [row] = opts.lock ? await q.for('update', { of: accessRequests }) : await q;
  return row;
}

/** What `GET /access-requests` narrows by, beside the policy's `visible`. */
export interface RequestFilter {
  /** Only requests this user made or is a team member of. */
  participantId?: string;
  communityId?: string;
  datasetSlug?: string;
  status?: (typeof accessRequests.status.enumValues)[number][];
  /** `oldest`: the longest-waiting first (a review queue); default newest first. */
  order?: 'newest' | 'oldest';
  limit: number;
}

/** Requests the caller may read (`visible`, the policy's `accessibleWhere`) matching the filters. */
export function list(db: Db, visible: SQL | undefined, f: RequestFilter) {
  return select(db)
    .where(
      and(
        visible,
        f.participantId
          ? sql`(${accessRequests.requesterId} = ${f.participantId}::uuid or ${accessRequests.teamUserIds} @> array[${f.participantId}::uuid])`
          : undefined,
        f.communityId ? eq(datasets.communityId, f.communityId) : undefined,
        f.datasetSlug ? eq(datasets.slug, f.datasetSlug) : undefined,
        f.status?.length ? inArray(accessRequests.status, f.status) : undefined,
      ),
    )
    .orderBy(
      ...(f.order === 'oldest'
        ? [asc(accessRequests.createdAt), asc(accessRequests.id)]
        : [desc(accessRequests.createdAt), desc(accessRequests.id)]),
    )
    .limit(f.limit);
}

/** Inserts unless the requester already has an open request for the dataset; undefined when they have. */
export async function insert(db: Db, values: typeof accessRequests.$inferInsert) {
  const [row] = await db
    .insert(accessRequests)
    .values(values)
    .onConflictDoNothing({
      target: [accessRequests.datasetId, accessRequests.requesterId],
      where: sql`status in ('submitted', 'in_review', 'returned')`,
    })
    .returning();
  return row;
}

export async function update(db: Db, id: string, values: Partial<typeof accessRequests.$inferInsert>) {
  const [row] = await db
    .update(accessRequests)
    .set({ ...values, updatedAt: sql`now()` })
    .where(eq(accessRequests.id, id))
    .returning();
  return row;
}

/** Inserts a review unless the reviewer already reviewed this round; undefined when they have. */
export async function insertReview(db: Db, values: typeof reviews.$inferInsert) {
  const [row] = await db.insert(reviews).values(values).onConflictDoNothing().returning();
  return row;
}

/** The reviews of requests (all rounds), with reviewer names, oldest first. */
export function reviewsOf(db: Db, requestIds: string[]) {
  if (!requestIds.length) return Promise.resolve([]);
  return db
    .select({ review: reviews, reviewerName: users.name })
    .from(reviews)
    .innerJoin(users, eq(users.id, reviews.reviewerId))
    .where(inArray(reviews.requestId, requestIds))
    .orderBy(asc(reviews.createdAt), asc(reviews.id));
}

/** Users by id, for a request's team. */
export function usersByIds(db: Db, ids: string[]) {
  if (!ids.length) return Promise.resolve([]);
  return db
    .select({ id: users.id, name: users.name, email: users.email })
    .from(users)
    .where(inArray(users.id, ids));
}

/** The release ids of a dataset's published releases with these tags. */
export function publishedReleases(db: Db, datasetId: string, tags: string[]) {
  return db
    .select({ id: releases.id, tag: releases.tag })
    .from(releases)
    .where(
      and(eq(releases.datasetId, datasetId), eq(releases.status, 'published'), inArray(releases.tag, tags)),
    );
}

/** The ids among `ids` of files in the dataset's published releases. */
export function publishedFiles(db: Db, datasetId: string, ids: string[]) {
  return db
    .select({ id: files.id })
    .from(files)
    .innerJoin(releases, eq(releases.id, files.releaseId))
    .where(and(eq(releases.datasetId, datasetId), eq(releases.status, 'published'), inArray(files.id, ids)));
}

/**
 * A request's transitions, oldest first, read back from its audit events (the record of every
 * transition is written in the transition's transaction, so the history cannot disagree with the acts).
 */
export function history(db: Db, datasetId: string, requestId: string) {
  return db
    .select({ action: auditEvents.action, at: auditEvents.at, details: auditEvents.details })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.datasetId, datasetId),
        // A literal, not a parameter: the planner must see it to use the partial index on it.
        sql`${auditEvents.subjectType} = 'AccessRequest'`,
        eq(auditEvents.subjectId, requestId),
        like(auditEvents.action, 'request.%'),
      ),
    )
    .orderBy(asc(auditEvents.seq));
}
