import { and, desc, eq, getTableColumns, gt, inArray, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { communities, datasets, licenceVersions, releases } from '../../db/schema/index.ts';
import type { DatasetWithCommunity } from '../datasets/datasets.repo.ts';

const { search: _search, ...rowColumns } = getTableColumns(datasets);

/**
 * Published datasets that pass `visible` (the Dataset policy in SQL), with their community, by slug;
 * with `page`, at most `limit` of them after the slug `after` (keyset paging: the slug is unique).
 */
export async function publishedDatasets(
  db: Db,
  visible: SQL | undefined,
  page?: { after?: string; limit: number },
): Promise<DatasetWithCommunity[]> {
  const rows = await db
    .select({
      dataset: rowColumns,
      communitySlug: communities.slug,
      communityName: communities.name,
    })
    .from(datasets)
    .innerJoin(communities, eq(communities.id, datasets.communityId))
    .where(
      and(eq(datasets.status, 'published'), visible, page?.after ? gt(datasets.slug, page.after) : undefined),
    )
    .orderBy(datasets.slug)
    .limit(page?.limit ?? Number.MAX_SAFE_INTEGER);
  return rows.map((r) => ({ ...r.dataset, communitySlug: r.communitySlug, communityName: r.communityName }));
}

/** The licence version in force (latest published) of each dataset, as dataset id → row. */
export async function currentLicences(db: Db, datasetIds: string[]) {
  if (datasetIds.length === 0) return new Map<string, { version: number; base: string }>();
  const rows = await db
    .selectDistinctOn([licenceVersions.datasetId], {
      datasetId: licenceVersions.datasetId,
      version: licenceVersions.version,
      base: licenceVersions.base,
    })
    .from(licenceVersions)
    .where(and(inArray(licenceVersions.datasetId, datasetIds), eq(licenceVersions.status, 'published')))
    .orderBy(licenceVersions.datasetId, desc(licenceVersions.version));
  return new Map(rows.map((r) => [r.datasetId, { version: r.version, base: r.base }]));
}

/** The latest published release of each dataset that passes `visible` (the Release policy in SQL). */
export async function latestReleases(db: Db, datasetIds: string[], visible: SQL | undefined) {
  if (datasetIds.length === 0) return [];
  return db
    .selectDistinctOn([releases.datasetId], getTableColumns(releases))
    .from(releases)
    .innerJoin(datasets, eq(datasets.id, releases.datasetId))
    .where(and(inArray(releases.datasetId, datasetIds), eq(releases.status, 'published'), visible))
    .orderBy(releases.datasetId, desc(releases.publishedAt), desc(releases.createdAt));
}
