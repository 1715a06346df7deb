import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { datasets, licenceVersions } from '../../db/schema/index.ts';
import type { SignalFacts } from './signals.ts';

/** The signal facts of a dataset by slug, when it passes `visible` (the Dataset policy in SQL). */
export async function signalFactsBySlug(
  db: Db,
  slug: string,
  visible: SQL | undefined,
): Promise<SignalFacts | undefined> {
  const [row] = await db
    .select({
      trainAi: datasets.trainAi,
      tier: datasets.tier,
      datasetSlug: datasets.slug,
      // Qualified by hand: drizzle leaves columns unqualified in a one-table select, and an unqualified
      // "id" inside the subquery would be the licence version's own.
      licenceVersion: sql<
        number | null
      >`(select max(lv.version) from ${licenceVersions} lv where lv.dataset_id = "datasets"."id" and lv.status = 'published')`,
    })
    .from(datasets)
    .where(and(eq(datasets.slug, slug), visible));
  return row;
}
