import { parentPort, Worker, workerData } from 'node:worker_threads';
import postgres from 'postgres';
import { copyBinaryScan } from './event-binary.ts';
import {
  LEAF_CHECK_SETTINGS,
  LEAF_CHECK_WIDTH,
  leafChecker,
  type Mismatch,
  PROBLEMS_KEPT,
} from './leaf-check.ts';

/**
 * One share of the verifier's per-leaf check, run in a worker thread on a connection of its own that
 * imports the verifier's snapshot (`pg_export_snapshot`): the same log, byte for byte, as the main
 * thread's pass over the tree, while both run at once on separate cores.
 */
export interface LeafCheckJob {
  url: string;
  snapshot: string;
  /** `leafCheckSelect(range)` for this share. */
  select: string;
}

/** The first mismatches by leaf index (at most `PROBLEMS_KEPT`: no more can be reported) and how many there were in all. */
export interface LeafCheckResult {
  mismatches: Mismatch[];
  count: number;
}

const KEEP = PROBLEMS_KEPT;

export async function runLeafCheck(job: LeafCheckJob): Promise<LeafCheckResult> {
  const c = postgres(job.url, { max: 1, onnotice: () => {} });
  try {
    return await c.begin('isolation level repeatable read read only', async (t) => {
      // Must come first in the transaction.
      await t.unsafe(`set transaction snapshot '${job.snapshot.replace(/'/g, "''")}'`);
      for (const s of LEAF_CHECK_SETTINGS) await t.unsafe(s);
      let kept: Mismatch[] = [];
      let count = 0;
      const byLeaf = (a: Mismatch, b: Mismatch) => a[0] - b[0];
      await copyBinaryScan(
        t as unknown as postgres.Sql,
        job.select,
        LEAF_CHECK_WIDTH,
        leafChecker((m) => {
          count++;
          kept.push(m);
          if (kept.length > 2 * KEEP) kept = kept.sort(byLeaf).slice(0, KEEP);
        }),
      );
      return { mismatches: kept.sort(byLeaf).slice(0, KEEP), count };
    });
  } finally {
    await c.end();
  }
}

/** Runs `job` in a new worker thread (leaf-check-worker.mjs loads this module there). */
export function leafCheckInWorker(job: LeafCheckJob): Promise<LeafCheckResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./leaf-check-worker.mjs', import.meta.url), { workerData: { job } });
    w.once('message', (m: { ok?: LeafCheckResult; error?: string }) => {
      if (m.ok) resolve(m.ok);
      else reject(new Error(`leaf check worker: ${m.error}`));
    });
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`leaf check worker exited with ${code}`));
    });
  });
}

if (parentPort && (workerData as { job?: LeafCheckJob } | null)?.job) {
  const port = parentPort;
  runLeafCheck((workerData as { job: LeafCheckJob }).job).then(
    (ok) => port.postMessage({ ok }),
    (err: Error) => port.postMessage({ error: err?.stack ?? String(err) }),
  );
}
