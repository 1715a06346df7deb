import { desc, eq } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { derivedWorks } from '../../db/schema/index.ts';

export type DerivedWorkRow = typeof derivedWorks.$inferSelect;

export async function insertDerivedWork(db: Db, values: typeof derivedWorks.$inferInsert) {
  const [row] = await db.insert(derivedWorks).values(values).returning();
  return row;
}

/** The works registered against a dataset, newest first. */
export function listForDataset(db: Db, datasetId: string, limit = 200) {
  return db
    .select()
    .from(derivedWorks)
    .where(eq(derivedWorks.datasetId, datasetId))
    .orderBy(desc(derivedWorks.createdAt), desc(derivedWorks.id))
    .limit(limit);
}

/** The works registered under a grant, newest first. */
export function listForGrant(db: Db, grantId: string) {
  return db
    .select()
    .from(derivedWorks)
    .where(eq(derivedWorks.grantId, grantId))
    .orderBy(desc(derivedWorks.createdAt), desc(derivedWorks.id));
}
