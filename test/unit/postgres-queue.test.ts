import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * postgres.js 3.4.9's internal queue never compacts while it is not empty, and every connection hand-off
 * scans it from the start: under sustained load (more queries in flight than pooled connections) each
 * request got slower the longer the process ran. db/patches/postgres+3.4.9.patch (applied by
 * `postinstall`) compacts it; this checks the install applied the patch to each of the driver's builds.
 */
describe('the postgres.js queue patch', () => {
  // The package's main entry is cjs/src/index.js; its exports map hides package.json.
  const root = join(dirname(createRequire(import.meta.url).resolve('postgres')), '..', '..');

  for (const build of ['src', 'cjs/src', 'cf/src']) {
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
