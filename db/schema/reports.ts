import { bigint, boolean, date, pgTable, primaryKey, smallint, text, uuid } from 'drizzle-orm/pg-core';

/**
 * Download counts per dimension, rolled up from `download.issued` audit events in leaf order (api/reports):
 * one small series per dimension instead of their cross product, and whole calendar months (UTC) beside
 * days, so a 12-month report reads the monthly rows (a few thousand at most) and daily rows only for
 * partial months at its edges.
 *
 *   dim 'dataset'      key ''                    every download (the month and dataset totals)
 *   dim 'purpose'      key the purpose, or ''
 *   dim 'organisation' key the downloading user's home organisation when rolled up, or '' (signed-in only)
 *   dim 'anonymous'    key ''                    downloads without a signed-in user
 *
 * `monthly` rows have `day` = the 1st of the month. Derived data: the audit log stays the record, and
 * truncating this table (and resetting the state below) rebuilds it.
 */
export const downloadCounts = pgTable(
  'download_counts',
  {
    communityId: uuid('community_id').notNull(),
    monthly: boolean('monthly').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    dim: text('dim').notNull(),
    datasetId: uuid('dataset_id').notNull(),
    key: text('key').notNull(),
    n: bigint('n', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({
      name: 'download_counts_pkey',
      columns: [t.communityId, t.monthly, t.day, t.dim, t.datasetId, t.key],
    }),
  ],
);

/** How far the rollup got: audit leaves below `next_leaf` are counted in `download_counts`. One row. */
export const reportRollupState = pgTable('report_rollup_state', {
  id: smallint('id').primaryKey().default(1),
  nextLeaf: bigint('next_leaf', { mode: 'number' }).notNull().default(0),
});
