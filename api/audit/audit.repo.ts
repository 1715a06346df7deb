import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
import { auditCheckpoints, auditEvents, auditLeaves, auditNodes } from '../../db/schema/index.ts';
import type { FieldColumns } from '../../policies/sql.ts';
import type { SignedCheckpoint } from './checkpoint.ts';
import { canonicalColumns, canonicalPartsSql } from './event-hash.ts';
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

/** Appends leaves and completed subtrees, and marks the events as integrated (their hash). */
export async function appendLeaves(
  db: Db,
  leaves: { leafIndex: number; seq: number; hash: Buffer }[],
  nodes: { level: number; index: number; hash: Buffer }[],
) {
  if (!leaves.length) return;
  // Arrays through unnest: one short statement per table whatever the batch size.
  const seqs = leaves.map((l) => l.seq);
  const hashes = leaves.map((l) => l.hash.toString('hex'));
  await db.execute(sql`insert into audit_leaves (leaf_index, seq, hash)
    select ${leaves[0].leafIndex}::bigint + o - 1, s, decode(h, 'hex')
    from unnest(${sql.param(seqs)}::bigint[], ${sql.param(hashes)}::text[]) with ordinality as v(s, h, o)`);
  if (nodes.length)
    await db.execute(sql`insert into audit_nodes (level, index, hash)
      select l, i, decode(h, 'hex') from unnest(${sql.param(nodes.map((n) => n.level))}::smallint[],
        ${sql.param(nodes.map((n) => n.index))}::bigint[], ${sql.param(nodes.map((n) => n.hash.toString('hex')))}::text[]) as v(l, i, h)`);
  // The append-only trigger lets exactly this through: an empty hash being filled in.
  await db.execute(sql`update audit_events e set hash = v.h
    from unnest(${sql.param(seqs)}::bigint[], ${sql.param(hashes)}::text[]) as v(s, h)
    where e.seq = v.s and e.hash is null`);
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

export interface LeafRow {
  leafIndex: number;
  seq: number;
  /** hex */
  leafHash: string;
  /** false when the event row is gone */
  present: boolean;
  /** the event's stored hash equals its leaf's */
  sameHash: boolean;
  pre: string;
  details: string;
  post: string;
}

const rowsOf = <T>(r: unknown): T[] => (Array.isArray(r) ? r : (r as { rows: T[] }).rows) as T[];

/**
 * Leaves [from, to) with their events' canonical JSON parts (event-hash.ts), for the verifier. Each
 * row comes back as one text, fields split by U+001F (which JSON text always escapes): a million rows
 * cost far less to receive as one column than as nine.
 */
export async function leavesWithEvents(db: Db, from: number, to: number): Promise<LeafRow[]> {
  const text = `select concat_ws(chr(31), l.leaf_index, l.seq, encode(l.hash, 'hex'),
      (e.seq is not null)::int, (e.hash is not distinct from encode(l.hash, 'hex'))::int, x.pre, x.details, x.post) as t
    from audit_leaves l left join audit_events e on e.seq = l.seq
      left join lateral (select ${canonicalPartsSql}) x on true
    where l.leaf_index >= $1 and l.leaf_index < $2 order by l.leaf_index`;
  // postgres.js straight, when that is the driver: drizzle's execute() costs ~25 µs more per row here.
  const client = (
    db as unknown as { $client?: { unsafe?: (q: string, p: unknown[]) => Promise<{ t: string }[]> } }
  ).$client;
  const rows = client?.unsafe
    ? await client.unsafe(text, [from, to])
    : rowsOf<{ t: string }>(
        await db.execute(sql.raw(text.replace('$1', String(from)).replace('$2', String(to)))),
      );
  return rows.map(({ t }) => {
    const f = t.split('\x1f');
    return {
      leafIndex: Number(f[0]),
      seq: Number(f[1]),
      leafHash: f[2],
      present: f[3] === '1',
      sameHash: f[4] === '1',
      pre: f[5] ?? '',
      details: f[6] ?? '',
      post: f[7] ?? '',
    };
  });
}

/** Committed events not yet in the tree, oldest seq first, as canonical JSON parts (the sequencer). */
export async function pendingParts(db: Db, limit: number) {
  const r = await db.execute(sql`select e.seq, ${sql.raw(canonicalPartsSql)}
    from audit_events e where e.hash is null order by e.seq limit ${limit}`);
  return rowsOf<Record<string, unknown>>(r).map((x) => ({
    seq: Number(x.seq),
    pre: x.pre as string,
    details: x.details as string,
    post: x.post as string,
  }));
}

/** How many events carry a hash (claim to be in the tree). */
export async function hashedCount(db: Db): Promise<number> {
  const [r] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(auditEvents)
    .where(isNotNull(auditEvents.hash));
  return r.n;
}

/** Events that claim to be integrated (a hash) but have no leaf: rows slipped in around the sequencer. */
export function hashedWithoutLeaf(db: Db) {
  return db
    .select({ seq: auditEvents.seq, action: auditEvents.action })
    .from(auditEvents)
    .leftJoin(auditLeaves, eq(auditLeaves.seq, auditEvents.seq))
    .where(and(isNotNull(auditEvents.hash), isNull(auditLeaves.seq)))
    .orderBy(asc(auditEvents.seq))
    .limit(10);
}

export async function pendingCount(db: Db): Promise<number> {
  const [r] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(auditEvents)
    .where(isNull(auditEvents.hash));
  return r.n;
}
