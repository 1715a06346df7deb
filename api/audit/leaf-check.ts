import { hash } from 'node:crypto';
import { CANONICAL_KEYS } from './canonical.ts';
import { EVENT_COLUMNS_BINARY, LeafWriter } from './event-binary.ts';

/**
 * The verifier's per-leaf check on PostgreSQL (binary COPY rows): the event's hash recomputed from its
 * columns against its leaf's hash. Pure.
 */

/** A leaf that does not check: leaf index, event seq, leaf hash (hex), recomputed hash (hex; undefined: the row is gone). */
export type Mismatch = [number, string, string, string | undefined];

const EVENT = 3;
/** How many problems a verify report keeps, the first by position in the log (a worker need send no more). */
export const PROBLEMS_KEPT = 64;

/**
 * Session settings for the join of `leafCheckSelect`, for the transaction that runs it: one pass over
 * both tables as a hash join in memory, without JIT.
 */
export const LEAF_CHECK_SETTINGS = ["set local work_mem = '128MB'", 'set local jit = off'];

/** Fields per row of `leafCheckSelect`. */
export const LEAF_CHECK_WIDTH = EVENT + EVENT_COLUMNS_BINARY.length;

/**
 * Every leaf in `range` (SQL over `l`) with its event's columns, in whatever order the database joins
 * them. `share` (SQL over a column `seq`, e.g. `seq >= 10 and seq < 20`) limits both sides to a range of
 * seqs: PostgreSQL does not carry a condition on `l.seq` across the left join to `e.seq` by itself.
 */
export const leafCheckSelect = (range: string, share?: (col: string) => string) =>
  `select l.leaf_index, l.seq, l.hash, ${EVENT_COLUMNS_BINARY.join(', ')}
    from audit_leaves l left join audit_events e on e.seq = l.seq${share ? ` and ${share('e.seq')}` : ''}
    where ${range}${share ? ` and ${share('l.seq')}` : ''}`;

const SEQ_AT = EVENT + CANONICAL_KEYS.indexOf('seq');
const int8 = (b: Buffer, p: number) => b.readInt32BE(p) * 4294967296 + b.readUInt32BE(p + 4);

/** A digest (32 latin1 characters) equals the 32 bytes of `src` at `at`. */
function sameDigest(digest: string, src: Buffer, at: number): boolean {
  for (let k = 0; k < 32; k++) if (digest.charCodeAt(k) !== src[at + k]) return false;
  return true;
}
/** The row handler for BinaryCopyParser: calls `onMismatch` for every leaf that does not check. */
export function leafChecker(onMismatch: (m: Mismatch) => void) {
  const w = new LeafWriter();
  return (src: Buffer, pos: Int32Array, len: Int32Array) => {
    const gone = len[SEQ_AT] < 0;
    const digest = gone ? '' : hash('sha256', w.out.subarray(0, w.write(src, pos, len, EVENT)), 'binary');
    // The usual case, compared without making strings: recomputed = leaf.
    if (!gone && len[2] === 32 && sameDigest(digest, src, pos[2])) return;
    onMismatch([
      int8(src, pos[0]),
      String(int8(src, pos[1])),
      src.toString('hex', pos[2], pos[2] + len[2]),
      gone ? undefined : Buffer.from(digest, 'latin1').toString('hex'),
    ]);
  };
}
