import type { Db } from '../../db/index.ts';
import * as repo from './audit.repo.ts';
import { checkNote, readAuditKey } from './checkpoint.ts';
import { CANONICAL_KEYS } from './event-hash.ts';
import { type AuditTx, auditTx, EVENT_COLUMNS, leafHashFromColumns } from './event-rows.ts';
import { type NodeRef, nodeHash, TreeBuilder } from './merkle.ts';

export interface VerifyReport {
  ok: boolean;
  events: number;
  checkpoints: number;
  /** Committed events the sequencer has not integrated yet (not an error). */
  pending: number;
  /** The first problem, naming the event, in leaf order; then the others (at most 20). */
  problems: string[];
  ms: number;
}

/**
 * Recomputes the whole tree from the database and checks it against every signed checkpoint:
 * - every checkpoint's note is signed by the instance key and states its (size, root);
 * - leaves are contiguous; each leaf's event still exists and hashes (RFC 8785 + SHA-256) to the
 *   leaf's hash and to the hash stored on the event (an altered row);
 * - the root recomputed from the events equals the signed root at every checkpoint size (a row
 *   removed, inserted or reordered inside signed history);
 * - no checkpoint is larger than the tree (leaves removed), and no event claims a hash without a
 *   leaf (a row inserted around the sequencer).
 * Leaves are streamed in one query (COPY on PostgreSQL), so memory stays flat for millions of events.
 */
export async function verifyLog(db: Db): Promise<VerifyReport> {
  const t0 = performance.now();
  // One repeatable-read snapshot: a sequencer integrating meanwhile cannot make the log look torn.
  return auditTx(db, { readOnly: true }, async ({ db, scan }) => {
    const problems: string[] = [];
    const key = await readAuditKey(db);
    const checkpoints = await repo.allCheckpoints(db);
    if (!key && checkpoints.length) problems.push('the checkpoint key is missing from instance_settings');
    for (const cp of checkpoints) {
      const why =
        key &&
        checkNote(cp.note, key.name, key.publicKey, { size: cp.size, root: Buffer.from(cp.root, 'hex') });
      if (why) problems.push(`checkpoint ${cp.size}: ${why}`);
    }
    const size = await repo.treeSize(db);
    const builder = new TreeBuilder();
    let next = 0;
    let cpi = 0;
    let lastGood = 0;
    let firstMismatch: { from: number; to: number } | undefined;
    while (cpi < checkpoints.length && checkpoints[cpi].size === 0) cpi++;
    // The next checkpoint size, so that the loop compares one number per leaf.
    let due = cpi < checkpoints.length ? checkpoints[cpi].size : -1;
    await scanLeaves(scan, 0, size, (f) => {
      const leafIndex = Number(f[0]);
      if (leafIndex !== next) {
        problems.push(`leaf ${next} is missing: leaves jump from ${next - 1} to ${leafIndex}`);
        next = leafIndex;
      }
      const h = leafHashOf(f);
      if (!h) problems.push(`leaf ${leafIndex} (event seq ${f[1]}): the event row was removed`);
      else if (h.toString('hex') !== f[2])
        problems.push(
          `leaf ${leafIndex} (event seq ${f[1]}): the event was altered (its hash no longer matches its leaf)`,
        );
      else if (f[3] !== f[2])
        problems.push(`leaf ${leafIndex} (event seq ${f[1]}): the event's stored hash was altered`);
      builder.push(h ?? Buffer.from(f[2]!, 'hex'));
      next++;
      while (due === builder.size) {
        const cp = checkpoints[cpi++];
        due = cpi < checkpoints.length ? checkpoints[cpi].size : -1;
        if (builder.root().toString('hex') !== cp.root) {
          if (!problems.length) firstMismatch = { from: lastGood, to: cp.size };
          problems.push(
            `checkpoint ${cp.size}: the root recomputed from the events differs from the signed root (a change within leaves ${lastGood}…${cp.size - 1})`,
          );
        } else lastGood = cp.size;
      }
    });
    for (const cp of checkpoints.slice(cpi))
      problems.push(
        `checkpoint ${cp.size} was signed over more leaves than the log holds (${size}): leaves were removed`,
      );
    // Counting is cheap; the anti-join that names the rows runs only when the counts disagree.
    if ((await repo.hashedCount(db)) !== size)
      for (const e of await repo.hashedWithoutLeaf(db))
        problems.push(
          `event seq ${e.seq} (${e.action}) carries a hash but is in no leaf: inserted outside the sequencer`,
        );
    if (firstMismatch) {
      const named = await locate(db, scan, firstMismatch.from, firstMismatch.to);
      if (named) problems[0] = `${named} (${problems[0]})`;
    }
    return {
      ok: problems.length === 0,
      events: size,
      checkpoints: checkpoints.length,
      pending: await repo.pendingCount(db),
      problems: problems.slice(0, 20),
      ms: performance.now() - t0,
    };
  });
}

/** Leaf columns before the event's: leaf_index, seq, leaf hash (hex), the event's stored hash. */
const LEAF_COLUMNS = [
  'l.leaf_index::text',
  'l.seq::text',
  "encode(l.hash, 'hex')",
  'e.hash',
  ...EVENT_COLUMNS,
];
const SEQ_AT = 4 + CANONICAL_KEYS.indexOf('seq');

/** Leaves [from, to) in order, each with its event's columns (all null when the event row is gone). */
function scanLeaves(scan: AuditTx['scan'], from: number, to: number, onRow: (f: (string | null)[]) => void) {
  return scan(
    LEAF_COLUMNS,
    `from audit_leaves l left join audit_events e on e.seq = l.seq
      where l.leaf_index >= ${Math.trunc(from)} and l.leaf_index < ${Math.trunc(to)} order by l.leaf_index`,
    onRow,
  );
}

/** The hash recomputed from the event's columns; undefined when the event row is gone. */
const leafHashOf = (f: (string | null)[]) => (f[SEQ_AT] === null ? undefined : leafHashFromColumns(f, 4));

/**
 * Every leaf hashes right but a signed root does not match: rows were inserted, removed or reordered
 * with the leaves rewritten to suit. The stored pairs of leaves (level-1 subtrees, written when the
 * sequencer integrated them) are usually left alone: the first pair that no longer matches names where
 * the history changed. Undefined when they were rewritten too, or the range is too long to re-read.
 */
async function locate(db: Db, scan: AuditTx['scan'], from: number, to: number): Promise<string | undefined> {
  if (to - from > 200_000) return undefined;
  const start = from - (from % 2);
  const rows: { leafIndex: number; seq: string; hash: Buffer }[] = [];
  await scanLeaves(scan, start, to, (f) =>
    rows.push({ leafIndex: Number(f[0]), seq: f[1]!, hash: leafHashOf(f) ?? Buffer.from(f[2]!, 'hex') }),
  );
  const pairs: NodeRef[] = [];
  for (let i = 0; i + 1 < rows.length; i += 2) pairs.push({ level: 1, index: (start + i) / 2 });
  const stored = await repo.readNodes(db, pairs);
  for (let i = 0; i + 1 < rows.length; i += 2) {
    const want = stored.get(`1:${(start + i) / 2}`);
    if (!want) return undefined;
    if (!nodeHash(rows[i].hash, rows[i + 1].hash).equals(want)) {
      const [a, b] = [rows[i], rows[i + 1]];
      return `leaf ${a.leafIndex} (event seq ${a.seq}) or leaf ${b.leafIndex} (event seq ${b.seq}): not the event signed at that place`;
    }
  }
  return undefined;
}
