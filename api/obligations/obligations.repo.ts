import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { datasets, derivedWorks, grants, obligations } from '../../db/schema/index.ts';

export type ObligationRow = typeof obligations.$inferSelect;

/** One obligation with what its policy subject and its acts need from the grant and the dataset. */
export async function findObligation(db: Db, id: string, opts: { lock?: boolean } = {}) {
  const q = db
    .select({
      obligation: obligations,
      communityId: datasets.communityId,
      datasetId: grants.datasetId,
      grantStatus: grants.status,
      grantExpiresAt: grants.expiresAt,
      licenceVersionId: grants.licenceVersionId,
      purpose: grants.purposeCategory,
    })
    .from(obligations)
    .innerJoin(grants, eq(grants.id, obligations.grantId))
    .innerJoin(datasets, eq(datasets.id, grants.datasetId))
    .where(eq(obligations.id, id));
  const [row] = opts.lock ? await q.for('update', { of: obligations }) : await q;
  return row;
}
export type ObligationWithGrant = NonNullable<Awaited<ReturnType<typeof findObligation>>>;

export async function updateObligation(db: Db, id: string, values: Partial<typeof obligations.$inferInsert>) {
  const [row] = await db
    .update(obligations)
    .set({ ...values, updatedAt: sql`now()` })
    .where(eq(obligations.id, id))
    .returning();
  return row;
}

export async function insertObligation(db: Db, values: typeof obligations.$inferInsert) {
  const [row] = await db.insert(obligations).values(values).returning();
  return row;
}

/** A derived work by id (to link it as evidence). */
export async function findDerivedWork(db: Db, id: string) {
  const [row] = await db.select().from(derivedWorks).where(eq(derivedWorks.id, id));
  return row;
}
