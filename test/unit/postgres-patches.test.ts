import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
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
