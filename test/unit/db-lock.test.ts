import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, DatabaseLockedError } from '../../db/index.ts';

describe('the embedded database lockfile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'steward-lock-'));

  it('refuses a second holder while the first is alive, and frees on release', () => {
    const path = join(dir, 'a.lock');
    const release = acquireLock(path);
    expect(readFileSync(path, 'utf8')).toBe(String(process.pid));
    expect(() => acquireLock(path)).toThrow(DatabaseLockedError);
    release();
    acquireLock(path)();
  });

  it('takes over a lock left by a dead process', () => {
    const path = join(dir, 'b.lock');
    writeFileSync(path, '999999999');
    const release = acquireLock(path);
    expect(readFileSync(path, 'utf8')).toBe(String(process.pid));
    release();
  });
});
