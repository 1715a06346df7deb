import { and, desc, eq, getTableColumns, type SQL, sql } from 'drizzle-orm';
import { alias, unionAll } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/index.ts';
import { communities, datasets, licenceVersions } from '../../db/schema/index.ts';

// Every column but the derived search and filter keys, which only the database reads (the search
// document can be large).
const {
  search: _search,
  searchTitle: _searchTitle,
  searchHead: _searchHead,
  languageKeys: _languageKeys,
  ...rowColumns
} = getTableColumns(datasets);

export type DatasetRow = Omit<
  typeof datasets.$inferSelect,
  'search' | 'searchTitle' | 'searchHead' | 'languageKeys'
>;
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
  /** Full-text query, as `tsquery` text (`parseTextQuery`). */
  tsquery?: string;
  tier?: DatasetRow['tier'];
  communitySlug?: string;
  /** Matches when the latest published licence version permits any of these. */
  purposes?: string[];
  labelType?: string;
  /** Lower-case BCP 47 tag; matches itself and its subtags (`mi` → `mi`, `mi-NZ`). */
  language?: string;
  /**
   * Keyset: the sort key of the last row of the previous page — with a text query its `tier`
   * (`SearchTier`) and, in tier 1, its `rank`.
   */
  after?: { tier?: SearchTier; rank?: number; createdAt: string; id: string };
  limit: number;
}

/** A catalog row: the summary fields, plus the sort key that the next page's cursor carries. */
export type CatalogRow = Awaited<ReturnType<typeof listQuery>>[number];

/** What a page needs from `datasets`; the community's slug and name are joined after the LIMIT. */
const pageColumns = {
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
};

/** A text query's tiers: 1 title or keywords match (ranked), 2 summary, 3 description only. */
export type SearchTier = 1 | 2 | 3;

/**
 * A `websearch_to_tsquery` per text search configuration, OR-ed, as `tsquery` text. Parsed in a
 * round trip of its own so that the catalog query carries the tsquery as a constant: the planner
 * then estimates from the lexemes' statistics how many rows match (and walks the order index for a
 * common word, a GIN bitmap for a rare one) — a tsquery computed inside the statement is opaque to it.
 */
export async function parseTextQuery(db: Db, q: string, configs: string[]): Promise<string> {
  // Each distinct non-empty parse once: `simple` and `english` often give the same query, and the
  // planner counts `'river' | 'river'` as twice as common as `'river'`.
  const [row] = await db
    .select({ tsquery: sql<string>`coalesce(string_agg('(' || p.t || ')', ' | ' order by p.i), '')` })
    .from(
      sql`(select min(c.i) as i, c.t from (
             select i, websearch_to_tsquery(cfg::regconfig, ${q})::text as t
             from unnest(${`{${configs.join(',')}}`}::text[]) with ordinality as u(cfg, i)
           ) c where c.t <> '' group by c.t) as p`,
    );
  return row.tsquery;
}

/**
 * The catalog query (exposed for EXPLAIN in the bench): what the caller may see, filtered in SQL;
 * newest first without a text query; keyset-paginated with the id breaking ties, so pages never
 * overlap or skip.
 *
 * With a text query the order is tiered, because ranking every match does not scale: a common
 * word matches half of 100,000 datasets, and `ts_rank` over the full search document (description
 * included, mostly TOASTed) took ~850 ms. The full document `search` decides what matches (so a
 * phrase or an `-exclusion` still spans the description); the tier is the best part of the
 * document the whole query matches in:
 *  1. title or keywords (`search_title`, small and inline): ranked by `ts_rank` on it — title (A)
 *     over keywords (B) — then newest first. Only these are ranked: for the commonest word ~10%
 *     of the rows, not ~50%;
 *  2. summary (`search_head` = title + keywords + summary): newest first;
 *  3. description only: newest first.
 * Tiers 2 and 3 are in the order index's order, so for a common word the planner walks
 * `datasets_catalog_order_idx` backwards and stops after one page; for a rare one it sorts the few
 * GIN matches. Each tier is a LIMITed branch of a UNION ALL (one round trip, a tier's page never
 * waits on ranking another's), and the communities are joined to the page after the LIMIT.
 */
export function listQuery(db: Db, f: ListFilter) {
  // Status and tier as `= any(…)`, not `=`: the planner evaluates `column = constant` filters
  // after all others, so walking the order index it would detoast every row's document before
  // looking at its tier.
  const where: (SQL | undefined)[] = [f.visible];
  if (f.publishedOnly) where.push(sql`${datasets.status} = any(array['published']::dataset_status[])`);
  if (f.tier) where.push(sql`${datasets.tier} = any(array[${f.tier}]::access_tier[])`);
  if (f.communitySlug) {
    // By id, so that communities need not be joined before the LIMIT.
    where.push(
      sql`${datasets.communityId} = (select ${communities.id} from ${communities} where ${communities.slug} = ${f.communitySlug})`,
    );
  }
  if (f.purposes?.length) {
    // The latest published version permits one of them — as a semi-join (a version that permits
    // one, with no newer published version), which the planner estimates from the purposes'
    // statistics; a correlated `(select purposes … limit 1) && …` it takes for nearly never true.
    const newer = alias(licenceVersions, 'newer');
    where.push(
      sql`exists (select 1 from ${licenceVersions}
            where ${licenceVersions.datasetId} = ${datasets.id} and ${licenceVersions.status} = 'published'
              and ${licenceVersions.purposes} && array[${sql.join(
                f.purposes.map((p) => sql`${p}`),
                sql`, `,
              )}]::text[]
              and not exists (select 1 from ${licenceVersions} as ${sql.identifier('newer')}
                where ${newer.datasetId} = ${licenceVersions.datasetId} and ${newer.status} = 'published'
                  and ${newer.version} > ${licenceVersions.version}))`,
    );
  }
  if (f.labelType) {
    where.push(sql`${datasets.labels} @> ${JSON.stringify([{ type: f.labelType }])}::jsonb`);
  }
  if (f.language) {
    // `language_keys` holds every hyphen-prefix of every tag, lower-cased: a GIN lookup.
    where.push(sql`${datasets.languageKeys} @> array[${f.language}]::text[]`);
  }
  const newest = [desc(datasets.createdAt), desc(datasets.id)];
  const olderThanCursor = f.after
    ? sql`(${datasets.createdAt}, ${datasets.id}) < (${f.after.createdAt}::timestamptz, ${f.after.id}::uuid)`
    : undefined;

  function branch(tier: number, rank: SQL<number>, cond: (SQL | undefined)[], order: SQL[]) {
    return db
      .select({
        ...pageColumns,
        searchTier: sql<number>`${sql.raw(String(tier))}`.as('search_tier'),
        rank: rank.as('rank'),
      })
      .from(datasets)
      .where(and(...where, ...cond))
      .orderBy(...order)
      .limit(f.limit);
  }
  const unranked = sql<number>`0::real`;
  let branches: ReturnType<typeof branch>[];
  if (f.tsquery !== undefined) {
    const tsquery = sql`${f.tsquery}::tsquery`;
    const matches = sql`${datasets.search} @@ ${tsquery}`;
    const inTitle = sql`${datasets.searchTitle} @@ ${tsquery}`;
    const inHead = sql`${datasets.searchHead} @@ ${tsquery}`;
    const rank = sql<number>`ts_rank(${datasets.searchTitle}, ${tsquery})`;
    // `search_title` and `search_head` are prefixes of `search` (same parts, same positions), so a
    // match in them is a match in the whole document — unless the query excludes a word (`-dawn`),
    // which the description may hold. Only then is the (large) `search` tested in tiers 1 and 2.
    const operators = f.tsquery.replace(/'(?:[^']|'')*'/g, "''");
    const excludes = operators.includes('!');
    const wholeMatches = excludes ? matches : undefined;
    const from = f.after?.tier ?? 1;
    // The cursor's tier continues after its row; the tiers before it are done, those after it start.
    const after = (tier: SearchTier) => (tier === from ? olderThanCursor : undefined);
    branches = [];
    if (from === 1) {
      const afterRank = f.after
        ? sql`(${rank}, ${datasets.createdAt}, ${datasets.id}) < (${f.after.rank ?? 0}::real, ${f.after.createdAt}::timestamptz, ${f.after.id}::uuid)`
        : undefined;
      branches.push(branch(1, rank, [inTitle, wholeMatches, afterRank], [sql`${rank} desc`, ...newest]));
    }
    if (from <= 2) {
      branches.push(branch(2, unranked, [inHead, sql`not (${inTitle})`, wholeMatches, after(2)], newest));
    }
    // The inline head first: a row it excludes costs no detoasting of `search`.
    const tier3 = [sql`not (${inHead})`, matches, after(3)];
    if (/'\s*<\d*-?>/.test(operators)) {
      // A phrase: the planner estimates it as if its words were merely all present, so it would walk
      // the order index expecting a match every few rows, detoasting every row's document to check
      // adjacency — 100,000 of them for a rare phrase of common words. Ordering by an expression the
      // index cannot give makes it take the GIN candidates (rows holding all the words) and sort them.
      branches.push(
        branch(3, unranked, tier3, [
          sql`${datasets.createdAt} + interval '0 seconds' desc`,
          desc(datasets.id),
        ]),
      );
    } else {
      branches.push(branch(3, unranked, tier3, newest));
    }
  } else {
    branches = [branch(0, unranked, [olderThanCursor], newest)];
  }
  const [first, ...rest] = branches;
  const page = (rest.length ? unionAll(first, ...(rest as [typeof first])) : first).as('page');
  return db
    .select({
      id: page.id,
      communityId: page.communityId,
      slug: page.slug,
      title: page.title,
      summary: page.summary,
      tier: page.tier,
      status: page.status,
      keywords: page.keywords,
      languages: page.languages,
      labels: page.labels,
      createdAt: page.createdAt,
      updatedAt: page.updatedAt,
      publishedAt: page.publishedAt,
      communitySlug: communities.slug,
      communityName: communities.name,
      searchTier: page.searchTier,
      rank: page.rank,
      // Microsecond precision in UTC, whatever the session's DateStyle: a JS Date would cut it to
      // milliseconds, and rows created in one transaction share their timestamp.
      createdAtKey: sql<string>`to_char(${page.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    })
    .from(page)
    .innerJoin(communities, eq(communities.id, page.communityId))
    .orderBy(page.searchTier, desc(page.rank), desc(page.createdAt), desc(page.id))
    .limit(f.limit);
}

/** The catalog page described by `f`. */
export async function list(db: Db, f: ListFilter): Promise<CatalogRow[]> {
  return listQuery(db, f);
}
