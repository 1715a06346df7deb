import type { Db } from '../../db/index.ts';
import * as repo from './audit.repo.ts';
import { checkNote, readAuditKey } from './checkpoint.ts';
import { joinCanonical } from './event-hash.ts';
import { leafHash, type NodeRef, nodeHash, TreeBuilder } from './merkle.ts';

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
 * Leaves are read in chunks, so memory stays flat for millions of events.
 */
export async function verifyLog(db: Db, opts: { chunk?: number } = {}): Promise<VerifyReport> {
  const t0 = performance.now();
  const chunk = opts.chunk ?? 20_000;
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
  // The next chunk is fetched while this one is hashed: PostgreSQL and Node work side by side.
  let fetching = size > 0 ? repo.leavesWithEvents(db, 0, Math.min(size, chunk)) : undefined;
  for (let from = 0; from < size; from += chunk) {
    const rows = await fetching!;
    const to = from + chunk;
    fetching = to < size ? repo.leavesWithEvents(db, to, Math.min(size, to + chunk)) : undefined;
    for (const r of rows) {
      const at = `leaf ${r.leafIndex} (event seq ${r.seq})`;
      if (r.leafIndex !== next) {
        problems.push(`leaf ${next} is missing: leaves jump from ${next - 1} to ${r.leafIndex}`);
        next = r.leafIndex;
      }
      let h: Buffer;
      if (!r.present) {
        problems.push(`${at}: the event row was removed`);
        h = Buffer.from(r.leafHash, 'hex');
      } else {
        h = leafHash(joinCanonical(r.pre, r.details, r.post));
        if (h.toString('hex') !== r.leafHash)
          problems.push(`${at}: the event was altered (its hash no longer matches its leaf)`);
        else if (!r.sameHash) problems.push(`${at}: the event's stored hash was altered`);
      }
      builder.push(h);
      next++;
      while (cpi < checkpoints.length && checkpoints[cpi].size === builder.size) {
        const cp = checkpoints[cpi++];
        if (builder.root().toString('hex') !== cp.root) {
          if (!problems.length) firstMismatch = { from: lastGood, to: cp.size };
          problems.push(
            `checkpoint ${cp.size}: the root recomputed from the events differs from the signed root (a change within leaves ${lastGood}…${cp.size - 1})`,
          );
        } else lastGood = cp.size;
      }
    }
  }
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
    const named = await locate(db, firstMismatch.from, firstMismatch.to);
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
}

/**
 * Every leaf hashes right but a signed root does not match: rows were inserted, removed or reordered
 * with the leaves rewritten to suit. The stored pairs of leaves (level-1 subtrees, written when the
 * sequencer integrated them) are usually left alone: the first pair that no longer matches names where
 * the history changed. Undefined when they were rewritten too, or the range is too long to re-read.
 */
async function locate(db: Db, from: number, to: number): Promise<string | undefined> {
  if (to - from > 200_000) return undefined;
  const start = from - (from % 2);
  const rows = await repo.leavesWithEvents(db, start, to);
  const pairs: NodeRef[] = [];
  for (let i = 0; i + 1 < rows.length; i += 2) pairs.push({ level: 1, index: (start + i) / 2 });
  const stored = await repo.readNodes(db, pairs);
  const hashOf = (r: repo.LeafRow) =>
    r.present ? leafHash(joinCanonical(r.pre, r.details, r.post)) : Buffer.from(r.leafHash, 'hex');
  for (let i = 0; i + 1 < rows.length; i += 2) {
    const want = stored.get(`1:${(start + i) / 2}`);
    if (!want) return undefined;
    if (!nodeHash(hashOf(rows[i]), hashOf(rows[i + 1])).equals(want)) {
      const [a, b] = [rows[i], rows[i + 1]];
      return `leaf ${a.leafIndex} (event seq ${a.seq}) or leaf ${b.leafIndex} (event seq ${b.seq}): not the event signed at that place`;
    }
  }
  return undefined;
}
