import type { Db } from '../../db/index.ts';
import * as repo from './audit.repo.ts';
import { checkNote, readAuditKey } from './checkpoint.ts';
import { joinCanonical } from './event-hash.ts';
import { leafHash, TreeBuilder } from './merkle.ts';

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
        if (builder.root().toString('hex') !== cp.root)
          problems.push(
            `checkpoint ${cp.size}: the root recomputed from the events differs from the signed root (a change within leaves ${lastGood}…${cp.size - 1})`,
          );
        else lastGood = cp.size;
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
  return {
    ok: problems.length === 0,
    events: size,
    checkpoints: checkpoints.length,
    pending: await repo.pendingCount(db),
    problems: problems.slice(0, 20),
    ms: performance.now() - t0,
  };
}
