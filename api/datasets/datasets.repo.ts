import { and, desc, eq, getTableColumns, type SQL, sql } from 'drizzle-orm';
import { type AnyPgColumn, alias } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/index.ts';
import { catalogEntries, communities, datasets, licenceVersions } from '../../db/schema/index.ts';

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

/** The same fields in the catalog's narrow copy of `datasets` (`catalog_entries`). */
export const catalogEntryColumns = {
  id: catalogEntries.datasetId,
  communityId: catalogEntries.communityId,
  status: catalogEntries.status,
  tier: catalogEntries.tier,
};

export interface ListFilter {
  /**
   * What the caller may read, from the policy (`accessibleWhere`), over the given columns: the
   * catalog reads `datasets` (`datasetColumns`) and `catalog_entries` (`catalogEntryColumns`).
   */
  visible: (columns: typeof datasetColumns | typeof catalogEntryColumns) => SQL;
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
export type CatalogRow = Awaited<ReturnType<typeof tierQuery>>[number];

/** What a page shows of a dataset. */
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
/** A step of the catalog query: a plain listing (0) or one tier of a text query. */
export type CatalogStep = 0 | SearchTier;

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

/** The columns a filter reads, in `datasets` or in `catalog_entries`. */
interface FilterColumns {
  policy: typeof datasetColumns | typeof catalogEntryColumns;
  /** The filter on one Local Contexts label type. */
  label: (type: string) => SQL;
  languageKeys: typeof datasets.languageKeys | typeof catalogEntries.languageKeys;
}
const datasetFilterColumns: FilterColumns = {
  policy: datasetColumns,
  label: (type) => sql`${datasets.labels} @> ${JSON.stringify([{ type }])}::jsonb`,
  languageKeys: datasets.languageKeys,
};
const entryFilterColumns: FilterColumns = {
  policy: catalogEntryColumns,
  label: (type) => sql`${catalogEntries.labelTypes} @> array[${type}]::text[]`,
  languageKeys: catalogEntries.languageKeys,
};

/** The policy and the filters of `f`, over `datasets` or `catalog_entries`. */
function filters(f: ListFilter, c: FilterColumns): (SQL | undefined)[] {
  const { policy } = c;
  // Status and tier as `= any(…)`, not `=`: the planner evaluates `column = constant` filters
  // after all others, so walking the order index it would detoast every row's document before
  // looking at its tier.
  const where: (SQL | undefined)[] = [f.visible(policy)];
  if (f.publishedOnly) where.push(sql`${policy.status} = any(array['published']::dataset_status[])`);
  if (f.tier) where.push(sql`${policy.tier} = any(array[${f.tier}]::access_tier[])`);
  if (f.communitySlug) {
    // By id, so that communities need not be joined before the LIMIT.
    where.push(
      sql`${policy.communityId} = (select ${communities.id} from ${communities} where ${communities.slug} = ${f.communitySlug})`,
    );
  }
  if (f.purposes?.length) {
    // The latest published version permits one of them — as a semi-join (a version that permits
    // one, with no newer published version), which the planner estimates from the purposes'
    // statistics; a correlated `(select purposes … limit 1) && …` it takes for nearly never true.
    const newer = alias(licenceVersions, 'newer');
    where.push(
      sql`exists (select 1 from ${licenceVersions}
            where ${licenceVersions.datasetId} = ${policy.id} and ${licenceVersions.status} = 'published'
              and ${licenceVersions.purposes} && array[${sql.join(
                f.purposes.map((p) => sql`${p}`),
                sql`, `,
              )}]::text[]
              and not exists (select 1 from ${licenceVersions} as ${sql.identifier('newer')}
                where ${newer.datasetId} = ${licenceVersions.datasetId} and ${newer.status} = 'published'
                  and ${newer.version} > ${licenceVersions.version}))`,
    );
  }
  if (f.labelType) where.push(c.label(f.labelType));
  if (f.language) {
    // `language_keys` holds every hyphen-prefix of every tag, lower-cased: a GIN lookup.
    where.push(sql`${c.languageKeys} @> array[${f.language}]::text[]`);
  }
  return where;
}

/** The steps a page of `f` may take, in order: the tiers of a text query from the cursor's on. */
export function catalogSteps(f: ListFilter): CatalogStep[] {
  if (f.tsquery === undefined) return [0];
  return ([1, 2, 3] as const).filter((t) => t >= (f.after?.tier ?? 1));
}

/**
 * One step of the catalog query (exposed for EXPLAIN in the bench): at most `limit` rows of what
 * the caller may see, filtered in SQL; newest first without a text query; keyset-paginated with the
 * id breaking ties, so pages never overlap or skip.
 *
 * With a text query the order is tiered, because ranking every match does not scale: a common
 * word matches half of 100,000 datasets, and `ts_rank` over the full search document (description
 * included, mostly TOASTed) took ~850 ms. The full document `search` decides what matches (so a
 * phrase or an `-exclusion` still spans the description); the tier is the best part of the
 * document the whole query matches in:
 *  1. title or keywords (`search_title`): ranked by `ts_rank` on it — title (A) over keywords (B)
 *     — then newest first. Read from `catalog_entries`, the narrow copy of `datasets`: the
 *     commonest word's ~10% of the rows are all ranked, and there they fill a few thousand small
 *     pages rather than most of the table's;
 *  2. summary (`search_head` = title + keywords + summary): newest first;
 *  3. description only: newest first.
 * Tiers 2 and 3 are in the order index's order, so for a common word the planner walks
 * `datasets_catalog_order_idx` backwards and stops after one page; for a rare one it sorts the few
 * GIN matches. `list` runs the tiers one after the other and stops once the page is full: a tier
 * that the page does not reach costs nothing (a phrase of common words checks the adjacency in
 * the large TOASTed `search` of every row holding its words, but only in tier 3). Each step picks
 * its page's ids first and joins their rows and communities after the LIMIT.
 */
export function tierQuery(db: Db, f: ListFilter, step: CatalogStep, limit: number) {
  const newest = [desc(datasets.createdAt), desc(datasets.id)];
  const olderThanCursor = f.after
    ? sql`(${datasets.createdAt}, ${datasets.id}) < (${f.after.createdAt}::timestamptz, ${f.after.id}::uuid)`
    : undefined;
  // The cursor's step continues after its row; the later ones start at the top.
  const fromCursor = f.after && (f.tsquery === undefined || step === (f.after.tier ?? 1));
  const unranked = sql<number>`0::real`;

  /** The page's ids and ranks, in order. */
  const pick = (
    from: typeof datasets | typeof catalogEntries,
    id: AnyPgColumn,
    rank: SQL<number>,
    cond: (SQL | undefined)[],
    order: SQL[],
  ) =>
    db
      // Names of their own: drizzle refers to a subquery's columns by name alone.
      .select({ id: sql<string>`${id}`.as('page_id'), rank: rank.as('page_rank') })
      .from(from)
      .where(and(...cond))
      .orderBy(...order)
      .limit(limit)
      .as('top');
  let top: ReturnType<typeof pick>;
  if (f.tsquery === undefined || step === 0) {
    top = pick(
      datasets,
      datasets.id,
      unranked,
      [...filters(f, datasetFilterColumns), fromCursor ? olderThanCursor : undefined],
      newest,
    );
  } else {
    const tsquery = sql`${f.tsquery}::tsquery`;
    const matches = sql`${datasets.search} @@ ${tsquery}`;
    const inTitle = sql`${datasets.searchTitle} @@ ${tsquery}`;
    const inHead = sql`${datasets.searchHead} @@ ${tsquery}`;
    // `search_title` and `search_head` are prefixes of `search` (same parts, same positions), so a
    // match in them is a match in the whole document — unless the query excludes a word (`-dawn`),
    // which the description may hold. Only then is the (large) `search` tested in tiers 1 and 2.
    const operators = f.tsquery.replace(/'(?:[^']|'')*'/g, "''");
    const excludes = operators.includes('!');
    if (step === 1) {
      const e = catalogEntries;
      const rank = sql<number>`ts_rank(${e.searchTitle}, ${tsquery})`;
      const afterRank =
        fromCursor && f.after
          ? sql`(${rank}, ${e.createdAt}, ${e.datasetId}) < (${f.after.rank ?? 0}::real, ${f.after.createdAt}::timestamptz, ${f.after.id}::uuid)`
          : undefined;
      const wholeMatches = excludes
        ? sql`exists (select 1 from ${datasets} where ${datasets.id} = ${e.datasetId} and ${matches})`
        : undefined;
      top = pick(
        e,
        e.datasetId,
        rank,
        [...filters(f, entryFilterColumns), sql`${e.searchTitle} @@ ${tsquery}`, wholeMatches, afterRank],
        [sql`${rank} desc`, desc(e.createdAt), desc(e.datasetId)],
      );
    } else if (step === 2) {
      top = pick(
        datasets,
        datasets.id,
        unranked,
        [
          ...filters(f, datasetFilterColumns),
          inHead,
          sql`not (${inTitle})`,
          excludes ? matches : undefined,
          fromCursor ? olderThanCursor : undefined,
        ],
        newest,
      );
    } else {
      // The inline head first: a row it excludes costs no detoasting of `search`.
      const cond = [
        ...filters(f, datasetFilterColumns),
        sql`not (${inHead})`,
        matches,
        fromCursor ? olderThanCursor : undefined,
      ];
      // A phrase: the planner estimates it as if its words were merely all present, so it would walk
      // the order index expecting a match every few rows, detoasting every row's document to check
      // adjacency — 100,000 of them for a rare phrase of common words. Ordering by an expression the
      // index cannot give makes it take the GIN candidates (rows holding all the words) and sort them.
      const phrase = /'\s*<\d*-?>/.test(operators);
      top = pick(
        datasets,
        datasets.id,
        unranked,
        cond,
        phrase ? [sql`${datasets.createdAt} + interval '0 seconds' desc`, desc(datasets.id)] : newest,
      );
    }
  }
  return db
    .select({
      ...pageColumns,
      communitySlug: communities.slug,
      communityName: communities.name,
      searchTier: sql<number>`${sql.raw(String(step))}`,
      rank: sql<number>`${top.rank}`,
      // Microsecond precision in UTC, whatever the session's DateStyle: a JS Date would cut it to
      // milliseconds, and rows created in one transaction share their timestamp.
      createdAtKey: sql<string>`to_char(${datasets.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    })
    .from(top)
    .innerJoin(datasets, eq(datasets.id, top.id))
    .innerJoin(communities, eq(communities.id, datasets.communityId))
    .orderBy(desc(top.rank), ...newest);
}

/**
 * The catalog page described by `f`: its steps in order (`tierQuery`), each asked for what the page
 * still lacks, until it is full.
 */
export async function list(db: Db, f: ListFilter): Promise<CatalogRow[]> {
  const rows: CatalogRow[] = [];
  const seen = new Set<string>();
  for (const step of catalogSteps(f)) {
    // Separate statements: a dataset edited between two of them could be in both tiers; once is enough.
    for (const row of await tierQuery(db, f, step, f.limit - rows.length)) {
      if (!seen.has(row.id)) rows.push(row);
      seen.add(row.id);
    }
    if (rows.length >= f.limit) break;
  }
  return rows;
}
