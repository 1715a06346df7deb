import type { Logger } from 'pino';
import { type Db, tryXactLock } from '../../db/index.ts';
import * as repo from './audit.repo.ts';
import { type AuditKey, type SignedCheckpoint, signCheckpoint } from './checkpoint.ts';
import { CANONICAL_KEYS } from './event-hash.ts';
import { auditTx, EVENT_COLUMNS, leafHashFromColumns } from './event-rows.ts';
import { frontier, TreeBuilder } from './merkle.ts';

const SEQ = CANONICAL_KEYS.indexOf('seq');

/** The advisory lock whose holder integrates events; the others stand by until their next tick. */
export const SEQUENCER_LOCK = 7263102;

export interface SequencerOptions {
  /** Time between ticks (default 1 s). */
  intervalMs?: number;
  /** Events integrated per transaction (default 5,000). */
  batchSize?: number;
  logger?: Pick<Logger, 'warn' | 'error'>;
}

/**
 * Integrates committed audit events into the Merkle tree and signs checkpoints.
 *
 * Why this design ("commit order"): `seq` is taken from a sequence when the row is inserted, not when
 * it commits, so a later seq may become visible first. Each tick takes the events that are committed
 * and not yet integrated, gives them the next leaf indexes in seq order and writes the leaves to the
 * append-only `audit_leaves` table. An event that commits late is picked up by a later tick and lands
 * after events that committed before it: leaf order is the order the sequencer saw commits. Writers pay
 * nothing: `record()` stays one INSERT, and events are never updated.
 *
 * Finding the events not yet integrated without scanning the log: the sequencer keeps a floor (every
 * seq ≤ floor is in a leaf or will never exist) and looks only above it, for seqs with no leaf. The
 * floor rises through a horizon: the sequence's value read, then a transaction id taken after it. A
 * writer takes its xid before its seq (the column default, migration 0020), so every seq up to the
 * reading belongs to a transaction older than that xid; once none of those is still running
 * (`pg_snapshot_xmin` has passed it), each such seq has committed or rolled back for good, and a scan
 * that starts afterwards sees every one that exists. A long transaction holds the floor back (the scan
 * gets longer), never makes an event be skipped.
 *
 * Leadership: each batch runs in a transaction that first takes `pg_try_advisory_xact_lock`. Whoever
 * gets it is the leader for that batch; a process that does not get it stands by until its next
 * tick. Even if two processes raced, the leaf_index primary key and the unique seq would make one
 * of them roll back: the lock saves work, correctness does not hang on it.
 */
export class Sequencer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private readonly intervalMs: number;
  private readonly batchSize: number;

  constructor(
    private readonly db: Db,
    private readonly key: AuditKey,
    private readonly opts: SequencerOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 1000;
    this.batchSize = Math.max(1, Math.trunc(opts.batchSize ?? 5000));
  }

  /** Starts the periodic ticks. */
  start(): this {
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      this.timer = setTimeout(async () => {
        await this.flush().catch((err) => this.opts.logger?.error({ err }, 'audit sequencer tick failed'));
        loop();
      }, this.intervalMs);
      this.timer.unref?.();
    };
    loop();
    return this;
  }

  /**
   * One tick now (on demand: tests, the CLI): integrates every committed event and signs a
   * checkpoint when the tree grew. Ticks never overlap within a process.
   */
  flush(): Promise<{ added: number; checkpoint?: SignedCheckpoint }> {
    const next = this.running.then(() => this.tick());
    this.running = next.catch(() => {});
    return next;
  }

  /** Stops ticking and waits for a tick in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private async tick() {
    let added = 0;
    for (;;) {
      const n = await this.batch();
      if (n === undefined) return { added };
      added += n;
      if (n < this.batchSize) break;
    }
    return { added, checkpoint: await this.checkpoint() };
  }

  /** One batch; undefined when another process holds the lock. */
  private batch(): Promise<number | undefined> {
    return auditTx(this.db, {}, async ({ db: tx, scan }) => {
      if (!(await lock(tx))) return undefined;
      // Before any write: the horizon's xid must be this transaction's first, taken after the reading.
      const state = await repo.sequencerState(tx);
      // A new horizon when the last one is used up (passed), missing or stale, and only when seqs were
      // handed out above the floor: an idle tick takes no xid and writes nothing.
      const horizon =
        (state.horizonXid === null || state.passed || state.stale) && state.last > state.floor
          ? await repo.takeHorizon(tx)
          : undefined;
      const seqs: number[] = [];
      const hashes: Buffer[] = [];
      const limit = this.batchSize;
      await scan(
        EVENT_COLUMNS,
        `${repo.unintegratedFrom(state.floor)} order by e.seq limit ${limit}`,
        (f) => {
          seqs.push(Number(f[SEQ]));
          hashes.push(leafHashFromColumns(f, 0));
        },
      );
      if (seqs.length) {
        const size = await repo.treeSize(tx);
        const nodes: { level: number; index: number; hash: Buffer }[] = [];
        const builder = await resume(tx, size, (level, index, hash) => nodes.push({ level, index, hash }));
        for (const h of hashes) builder.push(h);
        await repo.appendLeaves(tx, size, seqs, Buffer.concat(hashes), nodes);
      }
      // A passed horizon: every seq up to it has committed or never will, and this scan (begun after)
      // saw all that did; those it did not reach for the limit are above the last one it took.
      let floor = state.floor;
      if (state.passed && state.horizonSeq !== null)
        floor = Math.max(
          floor,
          seqs.length === limit ? Math.min(state.horizonSeq, seqs[seqs.length - 1]) : state.horizonSeq,
        );
      if (horizon || floor !== state.floor) await repo.saveSequencerState(tx, floor, horizon ?? state);
      return seqs.length;
    });
  }

  /** Signs (size, root) when the tree is larger than the latest checkpoint, or when there is none. */
  private checkpoint(): Promise<SignedCheckpoint | undefined> {
    return this.db.transaction(async (tx) => {
      if (!(await lock(tx))) return undefined;
      const size = await repo.treeSize(tx);
      const latest = await repo.latestCheckpoint(tx);
      if (latest && latest.size >= size) return undefined;
      const root = (await resume(tx, size)).root();
      const cp = signCheckpoint(this.key, size, root);
      await repo.insertCheckpoint(tx, cp);
      return cp;
    });
  }
}

const lock = (tx: Db) => tryXactLock(tx, SEQUENCER_LOCK);

/** The tree builder at `size`, from the stored perfect subtrees of its frontier (≤ 53 rows). */
export async function resume(db: Db, size: number, onNode?: ConstructorParameters<typeof TreeBuilder>[0]) {
  const refs = frontier(size);
  const got = await repo.readNodes(db, refs);
  return TreeBuilder.resume(
    size,
    refs.map((r) => {
      const h = got.get(`${r.level}:${r.index}`);
      if (!h) throw new Error(`audit tree node ${r.level}:${r.index} is missing`);
      return h;
    }),
    onNode,
  );
}
