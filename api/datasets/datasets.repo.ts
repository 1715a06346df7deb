import { and, desc, eq, ilike, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { communities, datasets, releases } from '../../db/schema/index.ts';

export type DatasetRow = typeof datasets.$inferSelect;
export type DatasetWithCommunity = DatasetRow & { communitySlug: string; communityName: string };

function selectWithCommunity(db: Db) {
  return db
    .select({ dataset: datasets, communitySlug: communities.slug, communityName: communities.name })
    .from(datasets)
    .innerJoin(communities, eq(communities.id, datasets.communityId));
}

const flatten = (r: {
  dataset: DatasetRow;
  communitySlug: string;
  communityName: string;
}): DatasetWithCommunity => ({
  ...r.dataset,
  communitySlug: r.communitySlug,
  communityName: r.communityName,
});

export async function findBySlug(db: Db, slug: string): Promise<DatasetWithCommunity | undefined> {
  const [row] = await selectWithCommunity(db).where(eq(datasets.slug, slug));
  return row && flatten(row);
}

/** Inserts unless the slug is taken; undefined when it is. */
export async function insert(db: Db, values: typeof datasets.$inferInsert) {
  const [row] = await db.insert(datasets).values(values).onConflictDoNothing().returning();
  return row;
}

export async function update(db: Db, id: string, values: Partial<typeof datasets.$inferInsert>) {
  const [row] = await db
    .update(datasets)
    .set({ ...values, updatedAt: sql`now()` })
    .where(eq(datasets.id, id))
    .returning();
  return row;
}

/** Where the Dataset policy's fields live, for `accessibleWhere`. */
export const datasetColumns = {
  id: datasets.id,
  communityId: datasets.communityId,
  status: datasets.status,
  tier: datasets.tier,
};

export interface ListFilter {
  /** What the caller may read, from the policy (`accessibleWhere`). */
  visible: SQL;
  /** Only published datasets (the public catalog), even where the caller could see drafts. */
  publishedOnly: boolean;
  q?: string;
  tier?: DatasetRow['tier'];
  communitySlug?: string;
  after?: { createdAt: Date; id: string };
  limit: number;
}

/** The catalog: what the caller may see, filtered in SQL, newest first, keyset-paginated. */
export async function list(db: Db, f: ListFilter): Promise<DatasetWithCommunity[]> {
  const where: (SQL | undefined)[] = [f.visible];
  if (f.publishedOnly) where.push(eq(datasets.status, 'published'));
  if (f.q) {
    const like = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.push(
      or(
        ilike(datasets.title, like),
        ilike(datasets.summary, like),
        sql`${like} ilike any(${datasets.keywords})`,
      ),
    );
  }
  if (f.tier) where.push(eq(datasets.tier, f.tier));
  if (f.communitySlug) where.push(eq(communities.slug, f.communitySlug));
  if (f.after) {
    where.push(
      sql`(${datasets.createdAt}, ${datasets.id}) < (${f.after.createdAt.toISOString()}::timestamptz, ${f.after.id}::uuid)`,
    );
  }
  const rows = await selectWithCommunity(db)
    .where(and(...where))
    .orderBy(desc(datasets.createdAt), desc(datasets.id))
    .limit(f.limit);
  return rows.map(flatten);
}

/** Releases of a dataset; drafts only when `includeDrafts`. */
export function releasesOf(db: Db, datasetId: string, includeDrafts: boolean) {
  return db
    .select()
    .from(releases)
    .where(
      and(eq(releases.datasetId, datasetId), includeDrafts ? undefined : eq(releases.status, 'published')),
    )
    .orderBy(desc(releases.createdAt));
}
