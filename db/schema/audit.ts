import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * The audit log. Append-only (a trigger rejects UPDATE and DELETE of the recorded fields); each row is
 * written in the same transaction as the act it records. `hash` is filled by the sequencer, which hashes
 * events in batches over their RFC 8785 canonical JSON.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actorType: text('actor_type').notNull(),
    actorId: uuid('actor_id'),
    actorTokenId: uuid('actor_token_id'),
    actorIpHash: text('actor_ip_hash'),
    action: text('action').notNull(),
    communityId: uuid('community_id'),
    datasetId: uuid('dataset_id'),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    purpose: text('purpose'),
    details: jsonb('details').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    requestId: text('request_id'),
    hash: text('hash'),
  },
  (t) => [
    index('audit_events_community_seq_idx').on(t.communityId, t.seq),
    index('audit_events_dataset_seq_idx').on(t.datasetId, t.seq),
    index('audit_events_action_idx').on(t.action),
  ],
);

/** Signed checkpoints of the audit log: tree size and root, signed with the instance key. */
export const auditCheckpoints = pgTable('audit_checkpoints', {
  size: bigint('size', { mode: 'number' }).primaryKey(),
  root: text('root').notNull(),
  signature: text('signature').notNull(),
  keyId: text('key_id').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
