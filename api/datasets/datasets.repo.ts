import { and, desc, eq, getTableColumns, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { communities, datasets, licenceVersions, releases } from '../../db/schema/index.ts';

// Every column but the search document, which only the database reads (it can be large).
const { search: _search, ...rowColumns } = getTableColumns(datasets);

export type DatasetRow = Omit<typeof datasets.$inferSelect, 'search'>;
export type DatasetWithCommunity = DatasetRow & { communitySlug: string; communityName: string };

function selectWithCommunity(db: Db) {
  return db
    .select({ dataset: rowColumns, communitySlug: communities.slug, communityName: communities.name })
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
  const [row] = await db.insert(datasets).values(values).onConflictDoNothing().returning(rowColumns);
  return row;
}

export async function update(db: Db, id: string, values: Partial<typeof datasets.$inferInsert>) {
  const [row] = await db
    .update(datasets)
    .set({ ...values, updatedAt: sql`now()` })
    .where(eq(datasets.id, id))
    .returning(rowColumns);
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
  /** Full-text query (websearch syntax), parsed with each of `configs` and OR-ed. */
  text?: { q: string; configs: string[] };
  tier?: DatasetRow['tier'];
  communitySlug?: string;
  /** Matches when the latest published licence version permits any of these. */
  purposes?: string[];
  labelType?: string;
  /** Lower-case BCP 47 tag; matches itself and its subtags (`mi` → `mi`, `mi-NZ`). */
  language?: string;
  /** Keyset: the sort key of the last row of the previous page (`rank` with a text query). */
  after?: { rank?: number; createdAt: string; id: string };
  limit: number;
}

/** A catalog row: the summary fields, plus the sort key that the next page's cursor carries. */
export type CatalogRow = Awaited<ReturnType<typeof listQuery>>[number];

const summaryColumns = {
  id: datasets.id,
  communityId: datasets.communityId,
  slug: datasets.slug,
  title: datasets.title,
  summary: datasets.summary,
  tier: datasets.tier,
  status: datasets.status,
  keywords: datasets.keywords,
  languages: datasets.languages,
  labels: datasets.labels,
  createdAt: datasets.createdAt,
  updatedAt: datasets.updatedAt,
  publishedAt: datasets.publishedAt,
  communitySlug: communities.slug,
  communityName: communities.name,
  // Microsecond precision in UTC, whatever the session's DateStyle: a JS Date would cut it to
  // milliseconds, and rows created in one transaction share their timestamp.
  createdAtKey: sql<string>`to_char(${datasets.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
};

/**
 * The catalog query (exposed for EXPLAIN in the bench): what the caller may see, filtered in SQL;
 * ranked by text relevance when there is a query, else newest first; keyset-paginated with the id
 * breaking ties, so pages never overlap or skip.
 */
export function listQuery(db: Db, f: ListFilter) {
  const where: (SQL | undefined)[] = [f.visible];
  if (f.publishedOnly) where.push(eq(datasets.status, 'published'));
  // One tsquery for the whole statement (an InitPlan), not re-parsed for every row.
  const tsquery = f.text
    ? sql`(select ${sql.join(
        f.text.configs.map((c) => sql`websearch_to_tsquery(${c}::regconfig, ${f.text!.q})`),
        sql` || `,
      )})`
    : undefined;
  const rank = tsquery ? sql<number>`ts_rank(${datasets.search}, ${tsquery})` : sql<number>`0::real`;
  if (tsquery) where.push(sql`${datasets.search} @@ ${tsquery}`);
  if (f.tier) where.push(eq(datasets.tier, f.tier));
  if (f.communitySlug) where.push(eq(communities.slug, f.communitySlug));
  if (f.purposes?.length) {
    where.push(
      sql`(select ${licenceVersions.purposes} from ${licenceVersions}
            where ${licenceVersions.datasetId} = ${datasets.id} and ${licenceVersions.status} = 'published'
            order by ${licenceVersions.version} desc limit 1)
          && array[${sql.join(
            f.purposes.map((p) => sql`${p}`),
            sql`, `,
          )}]::text[]`,
    );
  }
  if (f.labelType) {
    where.push(sql`${datasets.labels} @> ${JSON.stringify([{ type: f.labelType }])}::jsonb`);
  }
  if (f.language) {
    where.push(
      sql`exists (select 1 from unnest(${datasets.languages}) as l(tag)
                  where lower(l.tag) = ${f.language} or lower(l.tag) like ${`${f.language}-%`})`,
    );
  }
  if (f.after) {
    const key = sql`${f.after.createdAt}::timestamptz, ${f.after.id}::uuid`;
    where.push(
      tsquery
        ? sql`(${rank}, ${datasets.createdAt}, ${datasets.id}) < (${f.after.rank ?? 0}::real, ${key})`
        : sql`(${datasets.createdAt}, ${datasets.id}) < (${key})`,
    );
  }
  return db
    .select({ ...summaryColumns, rank })
    .from(datasets)
    .innerJoin(communities, eq(communities.id, datasets.communityId))
    .where(and(...where))
    .orderBy(...(tsquery ? [sql`${rank} desc`] : []), desc(datasets.createdAt), desc(datasets.id))
    .limit(f.limit);
}

/** The catalog page described by `f`. */
export async function list(db: Db, f: ListFilter): Promise<CatalogRow[]> {
  return listQuery(db, f);
}
