import { hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import type postgres from 'postgres';
import { type Db, queryRows } from '../../db/index.ts';
import { copyBinaryScan, drainCopy } from './event-binary.ts';
import { CANONICAL_KEYS, jsonCanonical } from './event-hash.ts';

/**
 * Bulk reading of audit events for the sequencer and the verifier: raw columns as text (no JSON built
 * by PostgreSQL, which cost it ~35 µs a row), streamed with `COPY … TO STDOUT` on PostgreSQL, and the
 * canonical JSON (event-hash.ts) assembled here from the column texts in one pass.
 *
 * Column texts depend on two session settings, so every read runs in a transaction that pins them:
 * TimeZone UTC (`at` comes out as `2026-11-26 06:00:00.123456+00`) and DateStyle ISO.
 */

const COLUMN_SQL: Record<(typeof CANONICAL_KEYS)[number], string> = {
  action: 'e.action',
  actorId: 'e.actor_id::text',
  actorIpHash: 'e.actor_ip_hash',
  actorTokenId: 'e.actor_token_id::text',
  actorType: 'e.actor_type',
  at: 'e.at::text',
  communityId: 'e.community_id::text',
  datasetId: 'e.dataset_id::text',
  details: 'e.details::text',
  purpose: 'e.purpose',
  requestId: 'e.request_id',
  seq: 'e.seq::text',
  subjectId: 'e.subject_id',
  subjectType: 'e.subject_type',
};

/** The fourteen hashed columns of `audit_events e`, as text, in canonical key order. */
export const EVENT_COLUMNS = CANONICAL_KEYS.map((k) => COLUMN_SQL[k]);
export const EVENT_WIDTH = EVENT_COLUMNS.length;

const PREFIXES = CANONICAL_KEYS.map((k, i) => `${i ? ',' : '{'}${JSON.stringify(k)}:`);
const AT = CANONICAL_KEYS.indexOf('at');
const DETAILS = CANONICAL_KEYS.indexOf('details');
const SEQ = CANONICAL_KEYS.indexOf('seq');
/** uuid columns: their text is hex digits and dashes, nothing JSON would escape. */
const UUID = CANONICAL_KEYS.map((k) => COLUMN_SQL[k].endsWith('_id::text') && k !== 'seq');

/**
 * `timestamptz` text in UTC under DateStyle ISO (`YYYY-MM-DD HH:MM:SS[.f…]+00`, trailing zeros of the
 * fraction dropped) → the canonical `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
 */
export function canonicalAt(t: string): string {
  const n = t.length;
  if (n < 22 || t.charCodeAt(10) !== 32 || t.charCodeAt(n - 3) !== 43 || t.charCodeAt(n - 1) !== 48)
    throw new Error(`unexpected timestamp text "${t}" (TimeZone must be UTC, DateStyle ISO)`);
  const frac = n === 22 ? '' : t.slice(20, n - 3);
  return `${t.slice(0, 10)}T${t.slice(11, 19)}.${frac.padEnd(6, '0')}Z`;
}

/** The canonical JSON of the event whose column texts are `f[o … o+13]` (EVENT_COLUMNS order). */
export function canonicalFromColumns(f: (string | null)[], o: number): string {
  let out = '';
  for (let i = 0; i < EVENT_WIDTH; i++) {
    const v = f[o + i];
    out += PREFIXES[i];
    if (v === null) out += 'null';
    else if (i === AT) out += `"${canonicalAt(v)}"`;
    else if (i === DETAILS) out += v === '{}' ? v : jsonCanonical(JSON.parse(v));
    else if (i === SEQ) out += v;
    else if (UUID[i]) out += `"${v}"`;
    else out += JSON.stringify(v);
  }
  return `${out}}`;
}

/** The event's leaf hash from its column texts: SHA-256(0x00 || canonical JSON). */
export const leafHashFromColumns = (f: (string | null)[], o: number): Buffer =>
  hash('sha256', `\0${canonicalFromColumns(f, o)}`, 'buffer');

/** A read-only or read-write unit of work over the audit tables, with the settings pinned. */
export interface AuditTx {
  db: Db;
  /**
   * Runs `select <columns> <rest>` and calls `onRow` with each row's column texts (null for NULL).
   * The array is reused between rows: copy what you keep.
   */
  scan(columns: string[], rest: string, onRow: (f: (string | null)[]) => void): Promise<void>;
  /** On PostgreSQL only: `copyBinaryScan` (event-binary.ts) of `select` in this transaction. */
  scanBinary?: (
    select: string,
    width: number,
    onRow: (src: Buffer, pos: Int32Array, len: Int32Array) => void,
  ) => Promise<void>;
}

type Client = postgres.Sql;
const clientOf = (db: Db): Client | undefined => {
  const c = (db as unknown as { $client?: Client }).$client;
  return c && typeof c.begin === 'function' && typeof c.unsafe === 'function' ? c : undefined;
};

/**
 * Runs `fn` in one transaction with TimeZone and DateStyle pinned. `readOnly` makes it a repeatable-read
 * snapshot (the verifier sees one consistent log however long it reads).
 */
export async function auditTx<T>(
  db: Db,
  opts: { readOnly?: boolean },
  fn: (tx: AuditTx) => Promise<T>,
): Promise<T> {
  const postgresJs = clientOf(db) !== undefined;
  const config = opts.readOnly
    ? ({ isolationLevel: 'repeatable read', accessMode: 'read only' } as const)
    : undefined;
  return db.transaction(async (tx) => {
    await tx.execute(sql`set local timezone = 'UTC'`);
    await tx.execute(sql`set local datestyle = 'ISO, YMD'`);
    // drizzle's postgres.js transaction keeps the reserved connection as `session.client`.
    const t = postgresJs
      ? (tx as unknown as { session: { client: postgres.Sql } }).session.client
      : undefined;
    return fn({
      db: tx as unknown as Db,
      scanBinary: t ? (select, width, onRow) => copyBinaryScan(t, select, width, onRow) : undefined,
      async scan(columns, rest, onRow) {
        if (t) return copyScan(t, `copy (select ${columns.join(', ')} ${rest}) to stdout`, onRow);
        const rows = await queryRows<Record<string, unknown>>(
          tx as unknown as Db,
          sql.raw(`select ${columns.map((c, i) => `${c} as c${i}`).join(', ')} ${rest}`),
        );
        const f: (string | null)[] = new Array(columns.length);
        for (const row of rows) {
          for (let i = 0; i < columns.length; i++) {
            const v = row[`c${i}`];
            f[i] = v === null || v === undefined ? null : String(v);
          }
          onRow(f);
        }
      },
    });
  }, config);
}

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
/** COPY text format: `\N` is NULL; a backslash escapes itself, the delimiter and control characters. */
export function copyField(s: string): string | null {
  if (s.indexOf('\\') < 0) return s;
  if (s === '\\N') return null;
  return s.replace(/\\(.)/gs, (_, c: string) => ESCAPES[c] ?? c);
}

/**
 * Streams `COPY (…) TO STDOUT` (text format) and parses it as it arrives: PostgreSQL keeps producing
 * while this process hashes, and memory stays at one network chunk.
 */
async function copyScan(t: postgres.Sql, text: string, onRow: (f: (string | null)[]) => void) {
  const stream = (await t.unsafe(text).readable()) as Readable;
  let rest: Buffer | undefined;
  const f: (string | null)[] = [];
  const row = (line: string) => {
    let start = 0;
    let i = 0;
    for (;;) {
      const tab = line.indexOf('\t', start);
      f[i++] = copyField(tab < 0 ? line.slice(start) : line.slice(start, tab));
      if (tab < 0) break;
      start = tab + 1;
    }
    f.length = i;
    onRow(f);
  };
  // PostgreSQL sends one CopyData message per row, and (patched, db/patches) postgres.js hands the
  // messages of one socket read to the stream as one chunk: whole lines, split here; a line is only
  // carried over when a read ended inside it.
  const take = (chunk: Buffer) => {
    const buf = rest ? Buffer.concat([rest, chunk]) : chunk;
    const end = buf.lastIndexOf(10);
    if (end < 0) {
      rest = buf;
      return;
    }
    rest = end + 1 < buf.length ? buf.subarray(end + 1) : undefined;
    const text = buf.toString('utf8', 0, end);
    if (text.indexOf('\n') < 0) row(text);
    else for (const line of text.split('\n')) row(line);
  };
  await drainCopy(stream, take);
  if (rest?.length) throw new Error('COPY output ended inside a row');
}
