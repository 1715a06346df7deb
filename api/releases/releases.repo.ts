import { and, desc, eq, getTableColumns, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { datasets, files, releases } from '../../db/schema/index.ts';

export type ReleaseRow = typeof releases.$inferSelect;

/** Where the Release policy's fields live (a release joined to its dataset), for `accessibleWhere`. */
export const releaseColumns = {
  id: releases.id,
  datasetId: releases.datasetId,
  communityId: datasets.communityId,
  status: releases.status,
  datasetStatus: datasets.status,
  datasetTier: datasets.tier,
};

/** The releases of a dataset that pass `visible` (the Release policy in SQL), newest first. */
export function listForDataset(db: Db, datasetId: string, visible: SQL | undefined) {
  return db
    .select(getTableColumns(releases))
    .from(releases)
    .innerJoin(datasets, eq(datasets.id, releases.datasetId))
    .where(and(eq(releases.datasetId, datasetId), visible))
    .orderBy(desc(releases.createdAt));
}

export async function findByTag(db: Db, datasetId: string, tag: string) {
  const [row] = await db
    .select()
    .from(releases)
    .where(and(eq(releases.datasetId, datasetId), eq(releases.tag, tag)));
  return row;
}

/** Inserts unless the tag is taken; undefined when it is. */
export async function insert(db: Db, values: typeof releases.$inferInsert) {
  const [row] = await db.insert(releases).values(values).onConflictDoNothing().returning();
  return row;
}

/** Publishes a draft; undefined when it was no longer a draft (a concurrent publish won). */
export async function publish(db: Db, id: string) {
  const [row] = await db
    .update(releases)
    .set({ status: 'published', publishedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(releases.id, id), eq(releases.status, 'draft')))
    .returning();
  return row;
}

export async function fileCounts(db: Db, releaseId: string) {
  const [row] = await db
    .select({
      total: sql<number>`count(*)::int`,
      available: sql<number>`(count(*) filter (where ${files.status} = 'available'))::int`,
    })
    .from(files)
    .where(eq(files.releaseId, releaseId));
  return row;
}
