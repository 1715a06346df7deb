import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Duplex, type Readable } from 'node:stream';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { drainCopy } from '../../api/audit/event-binary.ts';

// The package's main entry is cjs/src/index.js; its exports map hides package.json.
const root = join(dirname(createRequire(import.meta.url).resolve('postgres')), '..', '..');
const BUILDS = ['src', 'cjs/src', 'cf/src'];

/**
 * postgres.js 3.4.9's internal queue never compacts while it is not empty, and every connection hand-off
 * scans it from the start: under sustained load (more queries in flight than pooled connections) each
 * request got slower the longer the process ran. db/patches/postgres+3.4.9.patch (applied by
 * `postinstall`) compacts it; this checks the install applied the patch to each of the driver's builds.
 */
describe('the postgres.js queue patch', () => {
  for (const build of BUILDS) {
    it(`is applied to ${build}`, async () => {
      const text = readFileSync(join(root, build, 'queue.js'), 'utf8');
      expect(text).toContain('xs.indexOf(x, index)');
      expect(text).toContain('xs = xs.slice(index)');
    });
  }

  it('keeps the queue first in, first out through compaction and removals', async () => {
    const { default: Queue } = (await import(join(root, 'src', 'queue.js'))) as {
      default: <T>(initial?: T[]) => { length: number; push(x: T): T; shift(): T; remove(x: T): T | null };
    };
    const q = Queue<number>();
    const model: number[] = [];
    for (let i = 0; i < 10; i++) {
      q.push(i);
      model.push(i);
    }
    for (let i = 10; i < 5000; i++) {
      expect(q.shift()).toBe(model.shift());
      q.push(i);
      model.push(i);
      if (i % 7 === 0) {
        const x = model[3];
        expect(q.remove(x)).toBe(x);
        model.splice(3, 1);
        q.push(-i);
        model.push(-i);
      }
      expect(q.length).toBe(model.length);
    }
    expect(q.remove(123456)).toBeNull();
    while (model.length) expect(q.shift()).toBe(model.shift());
  });
});

/**
 * PostgreSQL sends one CopyData message per row of a COPY TO, and postgres.js 3.4.9 pushed each to
 * the Readable on its own: about a microsecond a row of stream machinery, most of the cost of reading
 * the verifier's million rows. The patch (db/patches) hands the messages that lie whole in one socket
 * read to the stream as one chunk.
 */
describe('the postgres.js COPY TO patch', () => {
  for (const build of BUILDS) {
    it(`is applied to ${build}`, () => {
      const text = readFileSync(join(root, build, 'connection.js'), 'utf8');
      expect(text).toContain('function copyOutEnd(x)');
      expect(text).toContain('stream = copyOut = null');
      expect(text).toContain('copyOut = stream = new Stream.Readable');
    });
  }

  const url = process.env.DATABASE_URL;
  it.runIf(url?.startsWith('postgres'))(
    'delivers every byte of a COPY TO in far fewer chunks than rows, then serves the next query',
    async () => {
      const c = postgres(url!, { max: 1, onnotice: () => {} });
      try {
        // Rows from 1 byte to 200 kB: runs of whole messages, and messages split across socket reads.
        const select = `select i, repeat(chr(65 + i % 26), case when i % 997 = 0 then 200000 else i % 300 end)
          from generate_series(1, 30000) i`;
        const chunks: Buffer[] = [];
        const stream = (await c.unsafe(`copy (${select}) to stdout`).readable()) as Readable;
        await drainCopy(stream, (chunk) => chunks.push(chunk));
        const rows = await c.unsafe<{ i: number; repeat: string }[]>(select);
        const want = rows.map((r) => `${r.i}\t${r.repeat}\n`).join('');
        expect(Buffer.concat(chunks).toString()).toBe(want);
        expect(chunks.length).toBeLessThan(rows.length / 10);
        expect((await c`select 1 as one`)[0].one).toBe(1);
      } finally {
        await c.end();
      }
    },
  );
});

/**
 * The COPY patch against a scripted PostgreSQL peer on postgres.js's `socket` option, so that every
 * `npm test` covers it: the peer's replies reach the driver in reads cut where the test says (inside
 * a message's header, its payload, between messages, a notice inside the run), and the rows must
 * come out whole, in order, in at most one chunk per read, with the connection usable afterwards.
 */
describe('the postgres.js COPY TO patch, byte by byte', () => {
  const msg = (type: string, body: Buffer = Buffer.alloc(0)) => {
    const head = Buffer.alloc(5);
    head.write(type, 0, 'latin1');
    head.writeUInt32BE(body.length + 4, 1);
    return Buffer.concat([head, body]);
  };
  const cstr = (s: string) => Buffer.from(`${s}\0`);
  const i16 = (...xs: number[]) => Buffer.concat(xs.map((x) => Buffer.from([x >> 8, x & 255])));
  const i32 = (x: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(x);
    return b;
  };

  /** A fake server socket: answers postgres.js's messages; `cut` splits each reply into reads. */
  function peer(rows: Buffer[], cut: (reply: Buffer) => Buffer[]) {
    const sock = new Duplex({ read() {}, write() {} }) as Duplex & { readyState: string };
    sock.readyState = 'open';
    let pending = Buffer.alloc(0);
    let started = false;
    let query = '';
    let reads = 0;
    // Replies go out one after another, each cut into reads that arrive on separate turns.
    let sending = Promise.resolve();
    const send = (reply: Buffer) => {
      sending = sending.then(async () => {
        for (const piece of cut(reply)) {
          await new Promise((r) => setImmediate(r));
          reads++;
          sock.emit('data', piece);
        }
      });
    };
    /** What the query answers: a COPY's rows (with a notice inside the run), or one row `one`. */
    const answer = () =>
      query.startsWith('copy')
        ? [
            msg('H', Buffer.concat([Buffer.from([0]), i16(1, 0)])),
            ...rows.flatMap((r, i) => [
              msg('d', r),
              ...(i === 2 ? [msg('N', Buffer.from('SNOTICE\0Mmid-copy\0\0'))] : []),
            ]),
            msg('c'),
            msg('C', cstr(`COPY ${rows.length}`)),
          ]
        : [
            msg('T', Buffer.concat([i16(1), cstr('one'), i32(0), i16(0), i32(23), i16(4), i32(-1), i16(0)])),
            msg('D', Buffer.concat([i16(1), i32(1), Buffer.from('1')])),
            msg('C', cstr('SELECT 1')),
          ];
    sock.write = ((chunk: Buffer, ...rest: unknown[]) => {
      pending = Buffer.concat([pending, chunk]);
      if (!started && pending.length >= 8) {
        pending = pending.subarray(pending.readUInt32BE(0));
        started = true;
        send(Buffer.concat([msg('R', i32(0)), msg('K', Buffer.alloc(8)), msg('Z', Buffer.from('I'))]));
      }
      while (started && pending.length >= 5 && pending.length >= pending.readUInt32BE(1) + 1) {
        const type = String.fromCharCode(pending[0]);
        const body = pending.subarray(5, pending.readUInt32BE(1) + 1);
        pending = pending.subarray(body.length + 5);
        if (type === 'Q') {
          // The simple protocol (postgres.js's `unsafe` without parameters): the whole exchange at once.
          query = body.toString('utf8', 0, body.indexOf(0));
          send(Buffer.concat([...answer(), msg('Z', Buffer.from('I'))]));
        } else if (type === 'X') sock.readyState = 'closed';
      }
      const cb = rest.find((x) => typeof x === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as never;
    sock.end = (() => {
      sock.readyState = 'closed';
      sock.emit('close');
      return sock;
    }) as never;
    return { sock, reads: () => reads };
  }

  async function copyThrough(rows: Buffer[], cut: (reply: Buffer) => Buffer[]) {
    const p = peer(rows, cut);
    const notices: string[] = [];
    // `socket` (a custom socket) is in postgres.js's documentation but not in its type definitions.
    const options = {
      socket: () => p.sock,
      fetch_types: false,
      max: 1,
      onnotice: (n: postgres.Notice) => notices.push(String(n.message)),
    };
    const c = postgres(options);
    try {
      const chunks: Buffer[] = [];
      const before = p.reads();
      const stream = (await c.unsafe('copy t to stdout').readable()) as Readable;
      await drainCopy(stream, (chunk) => chunks.push(Buffer.from(chunk)));
      const readsDuringCopy = p.reads() - before;
      const [{ one }] = await c.unsafe<{ one: number }[]>('select 1 as one');
      return { data: Buffer.concat(chunks), chunks: chunks.length, readsDuringCopy, one, notices };
    } finally {
      await c.end({ timeout: 0 }).catch(() => {});
    }
  }

  const rows = Array.from({ length: 40 }, (_, i) => Buffer.from(`${i}\t${'x'.repeat((i * 7) % 23)}\n`));
  const want = Buffer.concat(rows);

  it('one read for the whole reply: one chunk before the notice, one after', async () => {
    const r = await copyThrough(rows, (reply) => [reply]);
    expect(r.data.equals(want)).toBe(true);
    expect(r.chunks).toBe(2);
    expect(r.notices).toEqual(['mid-copy']);
    expect(r.one).toBe(1);
  });

  it('reads cut anywhere (inside headers, payloads, between messages): every row, in order', async () => {
    for (const size of [1, 2, 3, 4, 5, 6, 7, 11, 64, 200]) {
      const r = await copyThrough(rows, (reply) => {
        const pieces: Buffer[] = [];
        for (let i = 0; i < reply.length; i += size) pieces.push(reply.subarray(i, i + size));
        return pieces;
      });
      expect(r.data.equals(want), `reads of ${size} bytes`).toBe(true);
      expect(r.chunks).toBeLessThanOrEqual(Math.max(1, r.readsDuringCopy) + 1);
      expect(r.one).toBe(1);
    }
  });
});
