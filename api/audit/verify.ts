import { availableParallelism } from 'node:os';
import { sql } from 'drizzle-orm';
import { type Db, exportSnapshot } from '../../db/index.ts';
import * as repo from './audit.repo.ts';
import { checkNote, readAuditKey } from './checkpoint.ts';
import { CANONICAL_KEYS } from './event-hash.ts';
import { type AuditTx, auditTx, EVENT_COLUMNS, leafHashFromColumns } from './event-rows.ts';
import {
  LEAF_CHECK_SETTINGS,
  LEAF_CHECK_WIDTH,
  leafChecker,
  leafCheckSelect,
  PROBLEMS_KEPT,
} from './leaf-check.ts';
import { leafCheckInWorker } from './leaf-check-worker.ts';
import { Latin1TreeBuilder, type NodeRef, nodeHash } from './merkle.ts';

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

/** Problems found out of leaf order, kept sorted by where they arise in the log, the first few only. */
class Found {
  private items: { at: number; text: string }[] = [];
  count = 0;
  add(at: number, text: string) {
    this.count++;
    this.items.push({ at, text });
    if (this.items.length > 4096) this.items = this.sorted();
  }
  /** The first PROBLEMS_KEPT by position (stable: equal positions keep their order). */
  sorted() {
    return this.items
      .map((x, i) => ({ ...x, i }))
      .sort((x, y) => x.at - y.at || x.i - y.i)
      .slice(0, PROBLEMS_KEPT)
      .map(({ at, text }) => ({ at, text }));
  }
}
/** Positions: a gap before leaf i, then leaf i's own problems, then a checkpoint closing at leaf i. */
const GAP = 0;
const LEAF = 1;
const CHECKPOINT = 2;
const at = (leafIndex: number, what: number) => leafIndex * 4 + what;

const int8 = (b: Buffer, p: number) => b.readInt32BE(p) * 4294967296 + b.readUInt32BE(p + 4);

/**
 * Recomputes the whole tree from the database and checks it against every signed checkpoint:
 * - every checkpoint's note is signed by the instance key and states its (size, root);
 * - leaves are contiguous; each leaf's event still exists and hashes (RFC 8785 + SHA-256) to the
 *   leaf's hash (an altered row);
 * - the root of the leaves equals the signed root at every checkpoint size (a row removed, inserted or
 *   reordered inside signed history);
 * - no checkpoint is larger than the tree (leaves removed), and no event the sequencer has passed
 *   is outside the tree (a row inserted around the sequencer, with a seq below its floor).
 * Two streamed reads in one snapshot, so memory stays flat for millions of events: the leaf hashes in
 * leaf order (the tree), then every leaf joined to its event in whatever order the database finds
 * cheapest (each event's hash against its leaf's). Together they equal building the tree from the
 * recomputed event hashes. Problems are reported in leaf order. On PostgreSQL both reads are binary COPY.
 */
export interface VerifyOptions {
  /**
   * The database's URL (PostgreSQL): the per-leaf check then runs in `workers` worker threads on
   * connections of their own that share this one's snapshot, while this thread builds the tree.
   */
  databaseUrl?: string;
  /** Told when the worker threads fail and the check falls back to one thread. */
  onWarning?: (message: string) => void;
  /**
   * Worker threads for the per-leaf check (default: the cores available, at most 4, and only from
   * PARALLEL_FROM leaves; given, they run whatever the size; 0: none).
   */
  workers?: number;
}

/** Below this many leaves the workers' start-up costs more than they save. */
const PARALLEL_FROM = 50_000;

export async function verifyLog(db: Db, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const t0 = performance.now();
  // One repeatable-read snapshot: a sequencer integrating meanwhile cannot make the log look torn.
  return auditTx(db, { readOnly: true }, async ({ db, scan, scanBinary }) => {
    const head: string[] = [];
    const key = await readAuditKey(db);
    const checkpoints = await repo.allCheckpoints(db);
    if (!key && checkpoints.length) head.push('the checkpoint key is missing from instance_settings');
    for (const cp of checkpoints) {
      const why =
        key &&
        checkNote(cp.note, key.name, key.publicKey, { size: cp.size, root: Buffer.from(cp.root, 'hex') });
      if (why) head.push(`checkpoint ${cp.size}: ${why}`);
    }
    const size = await repo.treeSize(db);
    const found = new Found();

    // 1. The tree, from the stored leaf hashes in leaf order; the roots at the checkpoints.
    const tree = new Latin1TreeBuilder();
    let next = 0;
    let cpi = 0;
    let lastGood = 0;
    let firstMismatch: { at: number; from: number; to: number } | undefined;
    while (cpi < checkpoints.length && checkpoints[cpi].size === 0) cpi++;
    // The next checkpoint size, so that the loop compares one number per leaf.
    let due = cpi < checkpoints.length ? checkpoints[cpi].size : -1;
    const onLeaf = (leafIndex: number, hash: string) => {
      if (leafIndex !== next) {
        found.add(
          at(leafIndex, GAP),
          `leaf ${next} is missing: leaves jump from ${next - 1} to ${leafIndex}`,
        );
        next = leafIndex;
      }
      tree.push(hash);
      next++;
      while (due === tree.size) {
        const cp = checkpoints[cpi++];
        due = cpi < checkpoints.length ? checkpoints[cpi].size : -1;
        if (tree.root().toString('hex') !== cp.root) {
          firstMismatch ??= { at: at(leafIndex, CHECKPOINT), from: lastGood, to: cp.size };
          found.add(
            at(leafIndex, CHECKPOINT),
            `checkpoint ${cp.size}: the root recomputed from the events differs from the signed root (a change within leaves ${lastGood}…${cp.size - 1})`,
          );
        } else lastGood = cp.size;
      }
    };
    // 2. Each leaf against its event: the hash recomputed from the event's columns (undefined when
    // the row is gone) and the leaf's (hex).
    const onEvent = (leafIndex: number, seq: string, leafHex: string, eventHex: string | undefined) => {
      if (eventHex === undefined)
        found.add(at(leafIndex, LEAF), `leaf ${leafIndex} (event seq ${seq}): the event row was removed`);
      else if (eventHex !== leafHex)
        found.add(
          at(leafIndex, LEAF),
          `leaf ${leafIndex} (event seq ${seq}): the event was altered (its hash no longer matches its leaf)`,
        );
    };
    const range = `l.leaf_index >= 0 and l.leaf_index < ${Math.trunc(size)}`;
    if (scanBinary) {
      const workers = Math.min(opts.workers ?? Math.min(4, availableParallelism()), 8);
      const url = opts.databaseUrl?.startsWith('postgres') ? opts.databaseUrl : undefined;
      const shares =
        url && workers >= 1 && (opts.workers !== undefined || size >= PARALLEL_FROM)
          ? await seqShares(db, size, workers)
          : undefined;
      // Exported before anything runs beside it: the workers read this transaction's snapshot.
      const snapshot = shares ? await exportSnapshot(db) : '';
      const checks = shares?.map((share) =>
        leafCheckInWorker({ url: url!, snapshot, select: leafCheckSelect(range, share) }),
      );
      // Every worker settles before this returns or throws (and so before this snapshot ends).
      const settled = checks ? Promise.allSettled(checks) : undefined;
      try {
        await scanBinary(
          `select l.leaf_index, l.hash from audit_leaves l where ${range} order by l.leaf_index`,
          2,
          (src, pos, len) =>
            onLeaf(int8(src, pos[0]), src.toString('latin1', pos[1], pos[1] + Math.max(0, len[1]))),
        );
      } finally {
        await settled;
      }
      const results = settled ? await settled : [];
      const failed = results.find((r) => r.status === 'rejected');
      if (settled && !failed) {
        for (const { mismatches, count } of results.flatMap((r) =>
          r.status === 'fulfilled' ? [r.value] : [],
        )) {
          for (const m of mismatches) onEvent(...m);
          found.count += count - mismatches.length;
        }
      } else {
        // A worker that could not run (its loader, its connection) is a fault of the check, not of the
        // log: this thread checks every leaf itself, in the same snapshot.
        if (failed)
          opts.onWarning?.(`leaf check workers failed, checking in one thread: ${String(failed.reason)}`);
        for (const s of LEAF_CHECK_SETTINGS) await db.execute(sql.raw(s));
        await scanBinary(
          leafCheckSelect(range),
          LEAF_CHECK_WIDTH,
          leafChecker((m) => onEvent(...m)),
        );
      }
    } else {
      await scan(
        ['l.leaf_index::text', "encode(l.hash, 'hex')"],
        `from audit_leaves l where ${range} order by l.leaf_index`,
        (f) => onLeaf(Number(f[0]), Buffer.from(f[1]!, 'hex').toString('latin1')),
      );
      await scanLeaves(scan, 0, size, (f) =>
        onEvent(Number(f[0]), f[1]!, f[2]!, leafHashOf(f)?.toString('hex')),
      );
    }
    const tail: string[] = [];
    for (const cp of checkpoints.slice(cpi))
      tail.push(
        `checkpoint ${cp.size} was signed over more leaves than the log holds (${size}): leaves were removed`,
      );
    for (const e of await repo.outsideTree(db))
      tail.push(
        `event seq ${e.seq} (${e.action}) is in no leaf, below where the sequencer has integrated: inserted outside the sequencer`,
      );
    const inOrder = found.sorted();
    const problems = [...head, ...inOrder.map((x) => x.text), ...tail];
    if (!head.length && firstMismatch && inOrder[0]?.at === firstMismatch.at) {
      const named = await locate(db, scan, firstMismatch.from, firstMismatch.to);
      if (named) problems[0] = `${named} (${problems[0]})`;
    }
    return {
      ok: head.length + found.count + tail.length === 0,
      events: size,
      checkpoints: checkpoints.length,
      pending: await repo.pendingCount(db),
      problems: problems.slice(0, 20),
      ms: performance.now() - t0,
    };
  });
}

/**
 * `workers` ranges of seq (each a condition over a given column) that split the leaves [0, size) into
 * shares of about equal size (leaf order is nearly seq order); each share's join reads only its own
 * range of leaves and of events (`leafCheckSelect`).
 */
async function seqShares(db: Db, size: number, workers: number): Promise<((col: string) => string)[]> {
  const at = Array.from({ length: workers - 1 }, (_, i) => Math.floor((size * (i + 1)) / workers));
  const cuts = (await repo.seqsAtLeaves(db, at)).map((seq) => BigInt(seq).toString());
  const bounds = [undefined, ...cuts, undefined];
  return bounds.slice(1).map((hi, i) => {
    const lo = bounds[i];
    return (col: string) =>
      [lo === undefined ? 'true' : `${col} >= ${lo}`, hi === undefined ? 'true' : `${col} < ${hi}`].join(
        ' and ',
      );
  });
}

/** Leaf columns before the event's: leaf_index, seq, leaf hash (hex). */
const LEAF_COLUMNS = ['l.leaf_index::text', 'l.seq::text', "encode(l.hash, 'hex')", ...EVENT_COLUMNS];
const EVENT_AT = 3;
const SEQ_AT = EVENT_AT + CANONICAL_KEYS.indexOf('seq');

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
const leafHashOf = (f: (string | null)[]) =>
  f[SEQ_AT] === null ? undefined : leafHashFromColumns(f, EVENT_AT);

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
