import { and, desc, eq, getTableColumns, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { datasets, licenceVersions } from '../../db/schema/index.ts';

export type LicenceRow = typeof licenceVersions.$inferSelect;
export type NewLicence = Omit<typeof licenceVersions.$inferInsert, 'id' | 'version' | 'datasetId'>;

/**
 * The licence in force for a dataset: its latest published (not withdrawn) version, or undefined when
 * it has none. What a `registered`-tier click-through accepts.
 */
export async function currentLicence(db: Db, datasetId: string): Promise<LicenceRow | undefined> {
  const [row] = await db
    .select()
    .from(licenceVersions)
    .where(and(eq(licenceVersions.datasetId, datasetId), eq(licenceVersions.status, 'published')))
    .orderBy(desc(licenceVersions.version))
    .limit(1);
  return row;
}

export async function findById(db: Db, id: string): Promise<LicenceRow | undefined> {
  const [row] = await db.select().from(licenceVersions).where(eq(licenceVersions.id, id));
  return row;
}

export async function findVersion(db: Db, datasetId: string, version: number) {
  const [row] = await db
    .select()
    .from(licenceVersions)
    .where(and(eq(licenceVersions.datasetId, datasetId), eq(licenceVersions.version, version)));
  return row;
}

/** Where the LicenceVersion policy's fields live (a version joined to its dataset), for `accessibleWhere`. */
export const licenceColumns = {
  id: licenceVersions.id,
  datasetId: licenceVersions.datasetId,
  communityId: datasets.communityId,
  status: licenceVersions.status,
  datasetStatus: datasets.status,
  datasetTier: datasets.tier,
};

/** The versions of a dataset's licence that pass `visible` (the policy, in SQL), newest first. */
export function listVersions(db: Db, datasetId: string, visible: SQL | undefined) {
  return db
    .select(getTableColumns(licenceVersions))
    .from(licenceVersions)
    .innerJoin(datasets, eq(datasets.id, licenceVersions.datasetId))
    .where(and(eq(licenceVersions.datasetId, datasetId), visible))
    .orderBy(desc(licenceVersions.version));
}

/**
 * Inserts the dataset's next version (1, 2, …). Takes the dataset row's lock first, so two stewards
 * publishing at once get consecutive numbers instead of a unique-key error. Call inside a transaction.
 */
export async function insertNext(tx: Db, datasetId: string, values: NewLicence): Promise<LicenceRow> {
  await tx.select({ id: datasets.id }).from(datasets).where(eq(datasets.id, datasetId)).for('update');
  const [row] = await tx
    .insert(licenceVersions)
    .values({
      ...values,
      datasetId,
      version: sql`(select coalesce(max(${licenceVersions.version}), 0) + 1 from ${licenceVersions} where ${licenceVersions.datasetId} = ${datasetId})`,
    })
    .returning();
  return row;
}

/** Withdraws a published version; undefined when it was no longer published. */
export async function withdraw(db: Db, id: string) {
  const [row] = await db
    .update(licenceVersions)
    .set({ status: 'withdrawn', withdrawnAt: sql`now()` })
    .where(and(eq(licenceVersions.id, id), eq(licenceVersions.status, 'published')))
    .returning();
  return row;
}
