import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  customType,
  index,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

/** A SHA-256 hash, 32 bytes. PGlite hands back a Uint8Array, postgres.js a Buffer: both become Buffer. */
const hash = customType<{ data: Buffer; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (v) => Buffer.from(v),
});

/**
 * The audit log. Append-only: a trigger rejects every UPDATE and DELETE, and TRUNCATE. Each row is
 * written in the same transaction as the act it records. Whether an event is in the Merkle tree is
 * told by `audit_leaves` (its seq there) and the sequencer's floor (`audit_sequencer_state`), never by
 * changing the event. `seq`'s default takes the writing transaction's xid before the next seq (migration
 * 0020): what lets the sequencer know when every seq below a mark has committed or never will.
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
  },
  (t) => [
    index('audit_events_community_seq_idx').on(t.communityId, t.seq),
    index('audit_events_dataset_seq_idx').on(t.datasetId, t.seq),
    // A request's history (access-requests.repo `history`). Partial: downloads, most of the log, skip it.
    index('audit_events_request_subject_idx')
      .on(t.subjectId, t.seq)
      .where(sql`subject_type = 'AccessRequest'`),
  ],
);

/**
 * The Merkle tree's leaves, in the order the sequencer integrated the events (leaf_index 0, 1, 2, …
 * without gaps). Append-only like the events. `hash` = SHA-256(0x00 || canonical JSON of the event).
 * No foreign key to audit_events: its per-row check would lock (write to) every event row it points
 * at; `steward audit verify` names a leaf whose event is gone.
 */
export const auditLeaves = pgTable('audit_leaves', {
  leafIndex: bigint('leaf_index', { mode: 'number' }).primaryKey(),
  seq: bigint('seq', { mode: 'number' }).notNull().unique('audit_leaves_seq_key'),
  hash: hash('hash').notNull(),
});

/**
 * Perfect subtrees of the Merkle tree (level ≥ 1; level ℓ, index i covers leaves [i·2^ℓ, (i+1)·2^ℓ)),
 * stored as they complete so that inclusion and consistency proofs need O(log n) reads.
 */
export const auditNodes = pgTable(
  'audit_nodes',
  {
    level: smallint('level').notNull(),
    index: bigint('index', { mode: 'number' }).notNull(),
    hash: hash('hash').notNull(),
  },
  (t) => [primaryKey({ columns: [t.level, t.index], name: 'audit_nodes_pkey' })],
);

/**
 * Signed checkpoints of the audit log: tree size and root (base64), signed with the instance key.
 * `note` is the whole C2SP signed note (checkpoint text, blank line, signature line) as served.
 */
export const auditCheckpoints = pgTable('audit_checkpoints', {
  size: bigint('size', { mode: 'number' }).primaryKey(),
  root: text('root').notNull(),
  signature: text('signature').notNull(),
  keyId: text('key_id').notNull(),
  note: text('note').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The sequencer's place in the log (one row). `floor`: every event with seq ≤ floor is in a leaf or will
 * never exist, so the next tick looks only above it. `horizon_seq` / `horizon_xid`: the sequence's last
 * value and a transaction id taken after it; once no transaction older than `horizon_xid` is running,
 * every seq ≤ `horizon_seq` has committed or rolled back, and the floor may rise to it. Not part of the
 * log: updated once per tick.
 */
export const auditSequencerState = pgTable('audit_sequencer_state', {
  id: smallint('id').primaryKey(),
  floor: bigint('floor', { mode: 'number' }).notNull(),
  horizonSeq: bigint('horizon_seq', { mode: 'number' }),
  horizonXid: bigint('horizon_xid', { mode: 'number' }),
});
