import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../db/index.ts';
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
 * each, in the same order) and the completed subtrees, and marks the events as integrated (their
 * hash). Three statements whatever the batch size; hashes travel as one bytea, not as array text.
 */
export async function appendLeaves(
  db: Db,
  first: number,
  seqs: number[],
  hashes: Buffer,
  nodes: { level: number; index: number; hash: Buffer }[],
) {
  if (!seqs.length) return;
  const h = sql`substring(${hashes}::bytea from (o::int - 1) * 32 + 1 for 32)`;
  await db.execute(sql`insert into audit_leaves (leaf_index, seq, hash)
    select ${first}::bigint + o - 1, s, ${h} from unnest(${sql.param(seqs)}::bigint[]) with ordinality as v(s, o)`);
  if (nodes.length)
    await db.execute(sql`insert into audit_nodes (level, index, hash)
      select l, i, substring(${Buffer.concat(nodes.map((n) => n.hash))}::bytea from (o::int - 1) * 32 + 1 for 32)
      from unnest(${sql.param(nodes.map((n) => n.level))}::smallint[], ${sql.param(nodes.map((n) => n.index))}::bigint[])
        with ordinality as v(l, i, o)`);
  // The append-only trigger lets exactly this through: an empty hash being filled in.
  await db.execute(sql`update audit_events e set hash = encode(${h}, 'hex')
    from unnest(${sql.param(seqs)}::bigint[]) with ordinality as v(s, o)
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
