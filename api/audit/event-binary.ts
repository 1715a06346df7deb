import type { Readable } from 'node:stream';
import type postgres from 'postgres';
import { CANONICAL_KEYS, jsonCanonical } from './canonical.ts';

/**
 * The verifier's fast path on PostgreSQL: `COPY … TO STDOUT (FORMAT binary)` (no text output functions
 * in the database: a uuid is 16 bytes, a timestamp 8), and the event's canonical JSON (event-hash.ts)
 * written byte by byte into one reused buffer, preceded by the leaf prefix 0x00, ready to hash. Equal to
 * `canonicalEvent` (tests: test/api/audit-log.test.ts on PostgreSQL, test/unit/merkle-event-hash.test.ts).
 *
 * Binary COPY (PostgreSQL docs, "COPY", Binary Format): an 11-byte signature, int32 flags, int32 header
 * extension length and the extension; then per row an int16 field count and, per field, an int32 length
 * (-1: NULL) and the bytes; int16 -1 ends the data. Integers are big-endian.
 */

/** How each hashed column travels in binary COPY, in canonical key order. */
const KIND: Record<(typeof CANONICAL_KEYS)[number], 'text' | 'uuid' | 'ts' | 'jsonb' | 'int8'> = {
  action: 'text',
  actorId: 'uuid',
  actorIpHash: 'text',
  actorTokenId: 'uuid',
  actorType: 'text',
  at: 'ts',
  communityId: 'uuid',
  datasetId: 'uuid',
  details: 'jsonb',
  purpose: 'text',
  requestId: 'text',
  seq: 'int8',
  subjectId: 'text',
  subjectType: 'text',
};
const COLUMN: Record<(typeof CANONICAL_KEYS)[number], string> = {
  action: 'e.action',
  actorId: 'e.actor_id',
  actorIpHash: 'e.actor_ip_hash',
  actorTokenId: 'e.actor_token_id',
  actorType: 'e.actor_type',
  at: 'e.at',
  communityId: 'e.community_id',
  datasetId: 'e.dataset_id',
  details: 'e.details',
  purpose: 'e.purpose',
  requestId: 'e.request_id',
  seq: 'e.seq',
  subjectId: 'e.subject_id',
  subjectType: 'e.subject_type',
};
/** The fourteen hashed columns of `audit_events e`, raw (for binary COPY), in canonical key order. */
export const EVENT_COLUMNS_BINARY = CANONICAL_KEYS.map((k) => COLUMN[k]);
const KINDS = CANONICAL_KEYS.map((k) => KIND[k]);
const PREFIXES = CANONICAL_KEYS.map((k, i) => Buffer.from(`${i ? ',' : '{'}${JSON.stringify(k)}:`));

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const HEX_HI = new Uint8Array(256);
const HEX_LO = new Uint8Array(256);
for (let i = 0; i < 256; i++) {
  HEX_HI[i] = HEX[i].charCodeAt(0);
  HEX_LO[i] = HEX[i].charCodeAt(1);
}
const NULL = Buffer.from('null');
/** µs between 1970-01-01 and PostgreSQL's epoch, 2000-01-01 (UTC). */
const PG_EPOCH_US = 946_684_800_000_000;

/** Days since 1970-01-01 → [year, month 1–12, day] in the proleptic Gregorian calendar (H. Hinnant). */
function civil(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

/** `v` as `w` decimal digits (zero-padded) into `out` at `n`; returns the new end. */
function digits(out: Uint8Array, n: number, v: number, w: number): number {
  for (let k = w - 1; k >= 0; k--) {
    out[n + k] = 48 + (v % 10);
    v = Math.floor(v / 10);
  }
  return n + w;
}

/**
 * Writes a timestamptz given as µs since 2000-01-01 UTC as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (26 bytes, years
 * 0–9999) into `out` at `n`; returns the new end.
 */
export function writeAtMicros(out: Uint8Array, n: number, pgMicros: number): number {
  const us = pgMicros + PG_EPOCH_US;
  const days = Math.floor(us / 86_400_000_000);
  const inDay = us - days * 86_400_000_000;
  const [y, m, d] = civil(days);
  if (!Number.isSafeInteger(pgMicros) || y < 0 || y > 9999)
    throw new Error(`timestamp out of the canonical range (${pgMicros} µs)`);
  const secs = Math.floor(inDay / 1_000_000);
  const frac = inDay - secs * 1_000_000;
  n = digits(out, n, y, 4);
  out[n++] = 45;
  n = digits(out, n, m, 2);
  out[n++] = 45;
  n = digits(out, n, d, 2);
  out[n++] = 84;
  n = digits(out, n, Math.floor(secs / 3600), 2);
  out[n++] = 58;
  n = digits(out, n, Math.floor(secs / 60) % 60, 2);
  out[n++] = 58;
  n = digits(out, n, secs % 60, 2);
  out[n++] = 46;
  n = digits(out, n, frac, 6);
  out[n++] = 90;
  return n;
}

/** writeAtMicros as a string. */
export function canonicalAtMicros(pgMicros: number): string {
  const b = Buffer.alloc(32);
  return b.toString('latin1', 0, writeAtMicros(b, 0, pgMicros));
}

/**
 * The common case of `details` without parsing: PostgreSQL's jsonb text of a flat object, `{"k": v, …}`,
 * whose keys are ASCII, free of escapes and already in RFC 8785 order (jsonb orders keys by length,
 * then bytes: the same order whenever the keys are ASCII and sorted), and whose values are strings
 * without escapes, integers of at most 15 digits, true, false or null. Then the canonical JSON is
 * the same bytes without jsonb's spaces: written into `out` at `n`, returning the new end; -1 (nothing
 * to keep) for anything else, which goes through JSON.parse + jsonCanonical.
 */
export function flatJsonb(src: Uint8Array, from: number, to: number, out: Uint8Array, n: number): number {
  let i = from;
  if (src[i++] !== 123) return -1;
  out[n++] = 123;
  if (src[i] === 125) {
    out[n++] = 125;
    return i + 1 === to ? n : -1;
  }
  let prevKey = -1;
  let prevLen = 0;
  for (;;) {
    // "key"
    if (src[i++] !== 34) return -1;
    const k = i;
    while (i < to) {
      const c = src[i];
      if (c === 34) break;
      if (c < 0x20 || c === 92 || c > 0x7e) return -1;
      i++;
    }
    if (i >= to) return -1;
    const kl = i - k;
    if (prevKey >= 0) {
      // strictly increasing, bytewise
      let cmp = 0;
      for (let j = 0; j < Math.min(kl, prevLen) && !cmp; j++) cmp = src[k + j] - src[prevKey + j];
      if (cmp < 0 || (cmp === 0 && kl <= prevLen)) return -1;
    }
    prevKey = k;
    prevLen = kl;
    out[n++] = 34;
    for (let j = k; j < i; j++) out[n++] = src[j];
    out[n++] = 34;
    i++;
    if (src[i++] !== 58 || src[i++] !== 32) return -1;
    out[n++] = 58;
    // value
    const c = src[i];
    if (c === 34) {
      out[n++] = 34;
      i++;
      while (i < to) {
        const d = src[i];
        if (d === 34) break;
        if (d < 0x20 || d === 92) return -1;
        out[n++] = d;
        i++;
      }
      if (i >= to) return -1;
      out[n++] = 34;
      i++;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      const v = i;
      if (c === 45) out[n++] = src[i++];
      const d = i;
      while (i < to && src[i] >= 48 && src[i] <= 57) out[n++] = src[i++];
      const digits = i - d;
      if (digits === 0 || digits > 15 || (src[d] === 48 && (digits > 1 || c === 45))) return -1;
      if (i - v === 0) return -1;
    } else if (c === 116 || c === 102 || c === 110) {
      const word = c === 116 ? TRUE : c === 102 ? FALSE : NULL;
      for (let j = 0; j < word.length; j++) if (src[i + j] !== word[j]) return -1;
      for (let j = 0; j < word.length; j++) out[n++] = word[j];
      i += word.length;
    } else return -1;
    const sep = src[i++];
    if (sep === 125) {
      out[n++] = 125;
      return i === to ? n : -1;
    }
    if (sep !== 44 || src[i++] !== 32) return -1;
    out[n++] = 44;
  }
}
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');

/**
 * Writes the leaf input (0x00 || canonical JSON) of the event whose fields are described by
 * `pos[o…]` / `len[o…]` (offsets into `src`, length -1 for NULL) into `out`, which grows when needed.
 */
export class LeafWriter {
  out = Buffer.allocUnsafe(16 * 1024);

  /**
   * The leaf input's length (bytes of `out`). The buffer is sized once per row for the worst case (every
   * text byte escaped as \u00XX), so the loops below keep the write position in a local.
   */
  write(src: Buffer, pos: Int32Array, len: Int32Array, o: number): number {
    let need = 16 + FIXED;
    for (let i = 0; i < KINDS.length; i++) if (len[o + i] > 0) need += len[o + i] * 6;
    if (need > this.out.length) this.out = Buffer.allocUnsafe(Math.max(need, this.out.length * 2));
    const out = this.out;
    let n = 0;
    out[n++] = 0;
    for (let i = 0; i < KINDS.length; i++) {
      const p = PREFIXES[i];
      for (let k = 0; k < p.length; k++) out[n++] = p[k];
      const s = pos[o + i];
      const l = len[o + i];
      if (l < 0) {
        out[n++] = 110; // null
        out[n++] = 117;
        out[n++] = 108;
        out[n++] = 108;
        continue;
      }
      switch (KINDS[i]) {
        case 'text': {
          const start = n;
          out[n++] = 34;
          const end = s + l;
          let k = s;
          for (; k < end; k++) {
            const c = src[k];
            if (c < 0x20 || c === 34 || c === 92) break;
            out[n++] = c;
          }
          if (k === end) out[n++] = 34;
          else n = start + out.write(JSON.stringify(src.toString('utf8', s, end)), start, 'utf8');
          break;
        }
        case 'uuid': {
          if (l !== 16) throw new Error('a uuid field is not 16 bytes');
          out[n++] = 34;
          for (let k = 0; k < 16; k++) {
            if (k === 4 || k === 6 || k === 8 || k === 10) out[n++] = 45;
            const b = src[s + k];
            out[n++] = HEX_HI[b];
            out[n++] = HEX_LO[b];
          }
          out[n++] = 34;
          break;
        }
        case 'ts': {
          if (l !== 8) throw new Error('a timestamptz field is not 8 bytes');
          const us = src.readInt32BE(s) * 4294967296 + src.readUInt32BE(s + 4);
          out[n++] = 34;
          n = writeAtMicros(out, n, us);
          out[n++] = 34;
          break;
        }
        case 'int8': {
          const v = src.readInt32BE(s) * 4294967296 + src.readUInt32BE(s + 4);
          n += out.write(String(v), n, 'latin1');
          break;
        }
        case 'jsonb': {
          if (src[s] !== 1) throw new Error(`unknown jsonb binary version ${src[s]}`);
          const m = flatJsonb(src, s + 1, s + l, out, n);
          if (m >= 0) n = m;
          else {
            // Nested or unusual: parsed and canonicalised; never longer than 6× its jsonb text (budgeted).
            const text = jsonCanonical(JSON.parse(src.toString('utf8', s + 1, s + l)));
            if (Buffer.byteLength(text) > out.length - n - 64) throw new Error('details outgrew its budget');
            n += out.write(text, n, 'utf8');
          }
          break;
        }
      }
    }
    out[n++] = 125;
    return n;
  }
}

/** The most bytes a row takes besides its fields' own bytes (keys, quotes, uuids, times, numbers). */
const FIXED = PREFIXES.reduce((n, p) => n + p.length + 48, 0);

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * Parses a binary COPY stream fed in arbitrary pieces and calls `onRow(src, pos, len)` per row: field i
 * is `src[pos[i] … pos[i] + len[i])`, len -1 for NULL. `src`, `pos` and `len` are reused: copy what you keep.
 */
export class BinaryCopyParser {
  readonly pos: Int32Array;
  readonly len: Int32Array;
  private rest: Buffer | undefined;
  private header = true;
  done = false;

  constructor(
    private readonly width: number,
    private readonly onRow: (src: Buffer, pos: Int32Array, len: Int32Array) => void,
  ) {
    this.pos = new Int32Array(width);
    this.len = new Int32Array(width);
  }

  feed(chunk: Buffer): void {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    const used = this.parse(buf);
    this.rest = used < buf.length ? Buffer.from(buf.subarray(used)) : undefined;
  }

  /** Throws unless the stream ended exactly after its trailer. */
  end(): void {
    if (!this.done || this.rest?.length) throw new Error('binary COPY output ended inside a row');
  }

  /** Parses whole rows of `buf`; returns where the first incomplete one starts. */
  private parse(buf: Buffer): number {
    const { pos, len, width } = this;
    let at = 0;
    if (this.header) {
      if (buf.length < 19) return 0;
      if (!buf.subarray(0, 11).equals(SIGNATURE)) throw new Error('not a binary COPY stream');
      const ext = buf.readUInt32BE(15);
      if (buf.length < 19 + ext) return 0;
      at = 19 + ext;
      this.header = false;
    }
    for (;;) {
      if (this.done) return buf.length;
      if (buf.length - at < 2) return at;
      const fields = buf.readInt16BE(at);
      if (fields === -1) {
        this.done = true;
        return buf.length;
      }
      if (fields !== width) throw new Error(`binary COPY row has ${fields} fields, expected ${width}`);
      let p = at + 2;
      for (let i = 0; i < width; i++) {
        if (buf.length - p < 4) return at;
        const l = buf.readInt32BE(p);
        p += 4;
        pos[i] = p;
        len[i] = l;
        if (l > 0) p += l;
        if (p > buf.length) return at;
      }
      this.onRow(buf, pos, len);
      at = p;
    }
  }
}

/**
 * Streams `COPY (<select>) TO STDOUT (FORMAT binary)` and parses it as it arrives (BinaryCopyParser):
 * PostgreSQL keeps producing while this process hashes, and memory stays at one network chunk.
 */
export async function copyBinaryScan(
  t: postgres.Sql,
  select: string,
  width: number,
  onRow: (src: Buffer, pos: Int32Array, len: Int32Array) => void,
): Promise<void> {
  const parser = new BinaryCopyParser(width, onRow);
  const stream = (await t.unsafe(`copy (${select}) to stdout (format binary)`).readable()) as Readable;
  await drainCopy(stream, (chunk) => parser.feed(chunk));
  parser.end();
}

/**
 * Feeds every chunk of a COPY TO STDOUT stream to `feed`, synchronously, until the stream ends; a
 * `feed` error is thrown once the stream has drained (the connection must reach ReadyForQuery).
 *
 * postgres.js 3.4 pauses its socket when the stream's buffer fills (rows can arrive before a listener is
 * attached) and, when CopyDone came in the same network read, never resumes it: the connection hangs on
 * its next query (porsager/postgres#499, fix pending in #1016). So: flowing mode with a synchronous
 * handler, and the stream's own read() — socket.resume() — once it ended.
 */
export async function drainCopy(stream: Readable, feed: (chunk: Buffer) => void): Promise<void> {
  let failed: unknown;
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      if (failed === undefined)
        try {
          feed(chunk);
        } catch (err) {
          failed = err;
        }
    });
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  (stream as unknown as { _read(size: number): void })._read(0);
  if (failed !== undefined) throw failed;
}
