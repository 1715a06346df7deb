import { bigint, boolean, date, pgTable, primaryKey, smallint, text, uuid } from 'drizzle-orm/pg-core';

/**
 * Daily download counts, rolled up from `download.issued` audit events in leaf order (api/reports): a
 * 12-month report reads a few thousand of these rows instead of a million events. `purpose` and
 * `organisation` are '' when absent; `organisation` is the downloading user's home organisation when the
 * event was rolled up; `anonymous` marks downloads without a signed-in user. Derived data: the audit log
 * stays the record, and truncating this table (and the state below) rebuilds it.
 */
export const downloadRollups = pgTable(
  'download_rollups',
  {
    communityId: uuid('community_id').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    datasetId: uuid('dataset_id').notNull(),
    purpose: text('purpose').notNull(),
    organisation: text('organisation').notNull(),
    anonymous: boolean('anonymous').notNull(),
    n: bigint('n', { mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({
      name: 'download_rollups_pkey',
      columns: [t.communityId, t.day, t.datasetId, t.purpose, t.organisation, t.anonymous],
    }),
  ],
);

/** How far the rollup got: audit leaves below `next_leaf` are counted in `download_rollups`. One row. */
export const reportRollupState = pgTable('report_rollup_state', {
  id: smallint('id').primaryKey().default(1),
  nextLeaf: bigint('next_leaf', { mode: 'number' }).notNull().default(0),
});
