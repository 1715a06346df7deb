import { and, asc, desc, eq, gt, inArray, lt, or, type SQL, sql } from 'drizzle-orm';
import { type Db, queryRows } from '../../db/index.ts';
import { auditCheckpoints, auditEvents, auditLeaves, auditNodes } from '../../db/schema/index.ts';
import type { FieldColumns } from '../../policies/sql.ts';
import type { SignedCheckpoint } from './checkpoint.ts';
import { canonicalColumns } from './event-hash.ts';
import type { NodeRef } from './merkle.ts';

/** The AuditEvent subject's rule fields (policies/subjects/audit.ts) → columns, for accessibleWhere. */
export const auditEventColumns: FieldColumns = { communityId: auditEvents.communityId };

/** Size of the tree: the number of leaves (leaf indexes are contiguous from 0). */
export async function treeSize(db: Db): Promise<number> {
  const [r] = await db
    .select({ n: sql<string>`coalesce(max(${auditLeaves.leafIndex}) + 1, 0)` })
    .from(auditLeaves);
  return Number(r.n);
}

/** Stored perfect subtrees (level 0 from the leaves), keyed `level:index`. */
export async function readNodes(db: Db, refs: NodeRef[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const leaves = refs.filter((r) => r.level === 0).map((r) => r.index);
  const inner = refs.filter((r) => r.level > 0);
  if (leaves.length) {
    const rows = await db
      .select({ i: auditLeaves.leafIndex, hash: auditLeaves.hash })
      .from(auditLeaves)
      .where(inArray(auditLeaves.leafIndex, leaves));
    for (const r of rows) out.set(`0:${r.i}`, r.hash);
  }
  if (inner.length) {
    const rows = await db
      .select()
      .from(auditNodes)
      .where(or(...inner.map((r) => and(eq(auditNodes.level, r.level), eq(auditNodes.index, r.index)))));
    for (const r of rows) out.set(`${r.level}:${r.index}`, r.hash);
  }
  return out;
}

/**
 * Appends leaves `first`, `first + 1`, … for the events `seqs` (their hashes concatenated, 32 bytes
 * each, in the same order) and the completed subtrees. Two statements whatever the batch size; hashes
 * travel as one bytea, not as array text. The events themselves are never touched.
 */
export async function appendLeaves(
  db: Db,
  first: number,
  seqs: number[],
  hashes: Buffer,
  nodes: { level: number; index: number; hash: Buffer }[],
) {
  if (!seqs.length) return;
  await db.execute(sql`insert into audit_leaves (leaf_index, seq, hash)
    select ${first}::bigint + o - 1, s, substring(${hashes}::bytea from (o::int - 1) * 32 + 1 for 32)
    from unnest(${sql.param(seqs)}::bigint[]) with ordinality as v(s, o)`);
  if (nodes.length)
    await db.execute(sql`insert into audit_nodes (level, index, hash)
      select l, i, substring(${Buffer.concat(nodes.map((n) => n.hash))}::bytea from (o::int - 1) * 32 + 1 for 32)
      from unnest(${sql.param(nodes.map((n) => n.level))}::smallint[], ${sql.param(nodes.map((n) => n.index))}::bigint[])
        with ordinality as v(l, i, o)`);
}

/**
 * The last seq handed out (0 before the first). Read through pg_sequence_last_value: steward_app has only
 * USAGE on the sequence, not SELECT on its relation.
 */
const LAST_SEQ = sql`coalesce(pg_sequence_last_value('audit_events_seq_seq'::regclass), 0)`;

/**
 * The sequencer's floor and horizon (sequencer.ts). `passed`: no transaction older than the horizon's xid
 * still runs. `stale`: the horizon's xid is not one this cluster has handed out yet (a database restored
 * into a new cluster restarts xids): take a new one, or the floor would never rise again. `last`: the
 * last seq handed out (`pg_sequence_last_value`, which needs only USAGE on the sequence).
 */
export async function sequencerState(db: Db) {
  const [r] = await queryRows<{
    floor: string;
    horizonSeq: string | null;
    horizonXid: string | null;
    passed: boolean;
    stale: boolean;
    last: string;
  }>(
    db,
    sql`select floor::text as "floor", horizon_seq::text as "horizonSeq", horizon_xid::text as "horizonXid",
      coalesce(pg_snapshot_xmin(pg_current_snapshot())::text::bigint >= horizon_xid, false) as passed,
      coalesce(horizon_xid >= pg_snapshot_xmax(pg_current_snapshot())::text::bigint, false) as stale,
      ${LAST_SEQ}::text as "last"
      from audit_sequencer_state where id = 1`,
  );
  if (!r) throw new Error('audit_sequencer_state has no row: run the migrations');
  const num = (v: string | null) => (v === null ? null : Number(v));
  return {
    floor: Number(r.floor),
    horizonSeq: num(r.horizonSeq),
    horizonXid: num(r.horizonXid),
    passed: r.passed && !r.stale,
    stale: r.stale,
    last: Number(r.last),
  };
}

/**
 * A new horizon: the last seq handed out, then this transaction's xid, in that order (two statements).
 * Must run before the transaction writes anything, so that the xid is taken now.
 */
export async function takeHorizon(db: Db) {
  const [s] = await queryRows<{ v: string }>(db, sql`select ${LAST_SEQ}::text as v`);
  const [x] = await queryRows<{ xid: string }>(db, sql`select pg_current_xact_id()::text as xid`);
  return { horizonSeq: Number(s.v), horizonXid: Number(x.xid) };
}

export async function saveSequencerState(
  db: Db,
  floor: number,
  h: { horizonSeq: number | null; horizonXid: number | null },
) {
  await db.execute(sql`update audit_sequencer_state
    set floor = ${floor}, horizon_seq = ${h.horizonSeq}, horizon_xid = ${h.horizonXid} where id = 1`);
}

/**
 * `from … where …` of the events above `floor` that have no leaf yet, over `e`. The floor is written in
 * as a number on both sides, so that PostgreSQL plans two range scans (a merge anti join that a LIMIT
 * stops early) and never hashes the whole of audit_leaves.
 */
export const unintegratedFrom = (floor: number) => {
  const f = Math.trunc(floor);
  return `from audit_events e where e.seq > ${f}
    and not exists (select 1 from audit_leaves l where l.seq = e.seq and l.seq > ${f})`;
};

/** The seqs of the events the sequencer has not integrated yet, for another statement (report tails). */
export const unintegratedSeqs = (floor: number): SQL => sql.raw(`select e.seq ${unintegratedFrom(floor)}`);

/** Events the sequencer has not integrated yet (committed, above its floor, no leaf). */
export async function pendingCount(db: Db): Promise<number> {
  const { floor } = await sequencerState(db);
  const [r] = await queryRows<{ n: number }>(
    db,
    sql.raw(`select count(*)::int as n ${unintegratedFrom(floor)}`),
  );
  return r.n;
}

/**
 * Events at or below the floor that are in no leaf: the sequencer has passed their seq, so they were
 * inserted around it (with a seq it had passed). Counting is cheap; the anti-join that names the rows
 * runs only when the counts disagree.
 */
export async function outsideTree(db: Db) {
  const [c] = await queryRows<{ events: string; leaves: string }>(
    db,
    sql`select (select count(*) from audit_events e, audit_sequencer_state s where s.id = 1 and e.seq <= s.floor)::text as events,
      (select count(*) from audit_leaves l, audit_sequencer_state s where s.id = 1 and l.seq <= s.floor)::text as leaves`,
  );
  if (c.events === c.leaves) return [];
  return queryRows<{ seq: number; action: string }>(
    db,
    sql`select e.seq::int as seq, e.action from audit_events e, audit_sequencer_state s
      where s.id = 1 and e.seq <= s.floor and not exists (select 1 from audit_leaves l where l.seq = e.seq)
      order by e.seq limit 10`,
  );
}

export async function latestCheckpoint(db: Db) {
  const [row] = await db.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.size)).limit(1);
  return row;
}

export async function checkpointAt(db: Db, size: number) {
  const [row] = await db.select().from(auditCheckpoints).where(eq(auditCheckpoints.size, size));
  return row;
}

export function allCheckpoints(db: Db) {
  return db.select().from(auditCheckpoints).orderBy(asc(auditCheckpoints.size));
}

export async function insertCheckpoint(db: Db, cp: SignedCheckpoint) {
  await db.insert(auditCheckpoints).values(cp).onConflictDoNothing();
}

/** A page of a community's integrated events below `size`, in leaf order, filtered by the policy. */
export function communityLeaves(
  db: Db,
  where: SQL,
  communityId: string,
  size: number,
  after: number,
  limit: number,
) {
  return db
    .select({ leafIndex: auditLeaves.leafIndex, hash: auditLeaves.hash, event: canonicalColumns })
    .from(auditLeaves)
    .innerJoin(auditEvents, eq(auditEvents.seq, auditLeaves.seq))
    .where(
      and(
        where,
        eq(auditEvents.communityId, communityId),
        lt(auditLeaves.leafIndex, size),
        gt(auditLeaves.leafIndex, after),
      ),
    )
    .orderBy(asc(auditLeaves.leafIndex))
    .limit(limit);
}

/** The seqs of the leaves at these indexes, ascending (as text: int8). */
export async function seqsAtLeaves(db: Db, leafIndexes: number[]): Promise<string[]> {
  if (!leafIndexes.length) return [];
  const rows = await queryRows<{ seq: string }>(
    db,
    sql`select seq::text as seq from audit_leaves where leaf_index in (${sql.join(
      leafIndexes.map((i) => sql`${Math.trunc(i)}::bigint`),
      sql`, `,
    )}) order by seq`,
  );
  return rows.map((r) => r.seq);
}
