import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, files } from '../../db/schema/index.ts';
import { safeName } from '../../scripts/pull.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { type CliRun, runCli } from '../helpers/cli.ts';
import { publishRelease, sha256 } from '../helpers/publish.ts';

const cli = runCli;

const MB = 1024 * 1024;

/** `steward pull` against the whole platform (API.md CLI list; issue 5). */
// Each CLI run is a new Node process (~2–5 s on a loaded 2-core machine): generous timeouts.
describe('steward pull', { timeout: 180_000 }, () => {
  let app: TestApp;
  let steward: { token: string };
  let builder: { token: string };
  let work: string;
  const big = randomBytes(3 * MB);
  const small = Buffer.from('word,gloss\nkai,food\nwai,water\n');
  const ids: Record<string, string> = {};
  let n = 0;
  const freshDir = () => join(work, `d${n++}`);

  beforeAll(async () => {
    app = await startTestApp();
    work = mkdtempSync(join(tmpdir(), 'steward-pull-'));
    steward = await app.community('p-people', 'steward@test.org', 'P People');
    builder = await app.user({ email: 'builder@test.org', scopes: ['read', 'download'] });
    const pub = async (
      slug: string,
      tier: 'open' | 'gated' | 'registered',
      tag: string,
      fs: { name: string; body: Buffer | string; tier?: 'open' }[],
    ) =>
      Object.assign(
        ids,
        (await publishRelease(app.api, steward.token, { community: 'p-people', slug, tier, tag, files: fs }))
          .ids,
      );
    await pub('p-open', 'open', 'v1', [
      { name: 'big.bin', body: big },
      { name: 'words.csv', body: small },
      { name: 'empty.txt', body: '' },
    ]);
    await pub('p-open', 'open', 'v2', [{ name: 'words.csv', body: 'newer\n' }]);
    await pub('p-gated', 'gated', 'v1', [
      { name: 'sample.txt', body: 'sample\n', tier: 'open' },
      { name: 'data.bin', body: randomBytes(1000) },
    ]);
    await pub('p-registered', 'registered', 'v1', [{ name: 'r.csv', body: 'r\n' }]);
  });
  afterAll(async () => {
    await app?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const pull = (target: string, dir: string, extra: string[] = [], env: Record<string, string> = {}) =>
    cli(['pull', target, '--dir', dir, '--server', app.url, ...extra], env);

  it('pulls a release: every file, SHA-256 verified, one download.issued each; a second run skips them', async () => {
    const dir = freshDir();
    const r = await pull('p-open@v1', dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'big.bin')).equals(big)).toBe(true);
    expect(readFileSync(join(dir, 'words.csv')).equals(small)).toBe(true);
    expect(readFileSync(join(dir, 'empty.txt')).length).toBe(0);
    expect(existsSync(join(dir, 'big.bin.part'))).toBe(false);
    expect(r.stdout).toMatch(/big\.bin: ok, SHA-256 verified; fetched 3145728 of 3145728 bytes/);
    // Plain text when stdout is not a terminal: no bar glyphs or escape sequences.
    expect(r.stdout.includes('\x1b') || /[░█]/.test(r.stdout)).toBe(false);
    const events = await app.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.subjectId, ids['big.bin']));
    expect(events.filter((e) => e.action === 'download.issued')).toHaveLength(1);

    const again = await pull('p-open@v1', dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/big\.bin: already here and verified; skipped/);
    expect(again.stdout).toMatch(/fetched 0\.0 MB/);
  });

  it('DATASET alone pulls the latest release into ./DATASET-TAG; the token comes from STEWARD_TOKEN', async () => {
    const cwd = freshDir();
    mkdirSync(cwd, { recursive: true });
    const r = await new Promise<CliRun>((resolve) =>
      execFile(
        process.execPath,
        [join(process.cwd(), 'scripts/bin/steward.js'), 'pull', 'p-open'],
        {
          cwd,
          env: { ...process.env, STEWARD_SERVER: app.url, STEWARD_TOKEN: builder.token },
        },
        (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr }),
      ),
    );
    expect(r.code).toBe(0);
    expect(readFileSync(join(cwd, 'p-open-v2', 'words.csv'), 'utf8')).toBe('newer\n');
  });

  it('resumes a partial file with a Range request, fetching only the missing bytes', async () => {
    const dir = freshDir();
    expect((await pull('p-open@v1', dir)).code).toBe(0);
    // An interrupted earlier run left the first megabyte in big.bin.part.
    rmSync(join(dir, 'big.bin'));
    writeFileSync(join(dir, 'big.bin.part'), big.subarray(0, MB));
    const r = await pull('p-open@v1', dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/big\.bin: resuming at 1048576 of 3145728 bytes/);
    expect(r.stdout).toMatch(/big\.bin: ok, SHA-256 verified; fetched 2097152 of 3145728 bytes/);
    expect(readFileSync(join(dir, 'big.bin')).equals(big)).toBe(true);
    expect(existsSync(join(dir, 'big.bin.part'))).toBe(false);

    // A file truncated under its final name is resumed too.
    truncateSync(join(dir, 'big.bin'), 1000);
    const r2 = await pull('p-open@v1', dir);
    expect(r2.code).toBe(0);
    expect(r2.stdout).toMatch(/fetched 3144728 of 3145728 bytes/);
    expect(sha256(readFileSync(join(dir, 'big.bin')))).toBe(sha256(big));
  });

  it('detects a corrupted partial file: deletes it and exits 1', async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    const bad = Buffer.from(big.subarray(0, MB));
    bad[12345] ^= 0xff;
    writeFileSync(join(dir, 'big.bin.part'), bad);
    const r = await pull('p-open@v1', dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/big\.bin: FAILED: SHA-256 mismatch/);
    expect(r.stderr).toMatch(/1 file\(s\) failed: big\.bin/);
    expect(existsSync(join(dir, 'big.bin.part'))).toBe(false);
    expect(existsSync(join(dir, 'big.bin'))).toBe(false);
    // The other files were pulled and verified all the same.
    expect(readFileSync(join(dir, 'words.csv')).equals(small)).toBe(true);
    // The next run starts clean and succeeds.
    expect((await pull('p-open@v1', dir)).code).toBe(0);
  });

  it('detects bytes altered in the object store: nothing is kept, exit 1', async () => {
    const [row] = await app.database.db.select().from(files).where(eq(files.id, ids['data.bin']));
    const [sampleRow] = await app.database.db.select().from(files).where(eq(files.id, ids['sample.txt']));
    await app.store.put(sampleRow.storageKey, 'SAMPLE\n', 'text/plain');
    const dir = freshDir();
    const r = await pull('p-gated@v1', dir, ['--token', steward.token]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/sample\.txt: FAILED: SHA-256 mismatch/);
    expect(existsSync(join(dir, 'sample.txt'))).toBe(false);
    expect(existsSync(join(dir, 'sample.txt.part'))).toBe(false);
    expect(row.status).toBe('available');
    await app.store.put(sampleRow.storageKey, 'sample\n', 'text/plain');
  });

  it('exits 3 naming the missing step when access is not granted', async () => {
    const gated = await pull('p-gated@v1', freshDir(), ['--token', builder.token]);
    expect(gated.code).toBe(3);
    expect(gated.stdout).toMatch(/sample\.txt: ok/);
    expect(gated.stderr).toMatch(/withheld: data\.bin \(gated\): Request access .*\[request_access\]/);
    expect(gated.stderr).toMatch(
      /access not granted to 1 file\(s\) of p-gated@v1\. Next step: Request access/,
    );

    const registered = await pull('p-registered@v1', freshDir(), [], { STEWARD_TOKEN: builder.token });
    expect(registered.code).toBe(3);
    expect(registered.stderr).toMatch(/Accept the dataset's licence/);

    const anonymous = await pull('p-registered@v1', freshDir());
    expect(anonymous.code).toBe(3);
    expect(anonymous.stderr).toMatch(/Sign in/);

    const readOnly = await app.user({ email: 'ro@test.org', scopes: ['read'] });
    const scoped = await pull('p-open@v1', freshDir(), ['--token', readOnly.token]);
    expect(scoped.code).toBe(3);
    expect(scoped.stderr).toMatch(/lacks the "download" scope/);

    const hidden = await pull('p-nowhere@v1', freshDir());
    expect(hidden.code).toBe(3);
    expect(hidden.stderr).toMatch(/No dataset "p-nowhere" with release "v1" that you can see/);

    const badToken = await pull('p-open@v1', freshDir(), ['--token', 'stw_nope']);
    expect(badToken.code).toBe(3);
    expect(badToken.stderr).toMatch(/did not accept the token/);
  });

  it('usage errors exit 2', async () => {
    expect((await cli(['pull'])).code).toBe(2);
    expect((await cli(['pull', 'Bad Slug'])).code).toBe(2);
    expect((await cli(['pull', 'p-open', '--nope'])).code).toBe(2);
  });

  describe('names from the manifest are data, never paths', () => {
    let evil: Server;
    let evilUrl: string;
    beforeAll(async () => {
      const body = Buffer.from('x');
      evil = createServer((req, res) => {
        if (req.url?.startsWith('/blob')) return res.end(body);
        res.setHeader('content-type', 'application/json');
        const f = (name: string, i: number) => ({
          id: `00000000-0000-4000-8000-00000000000${i}`,
          name,
          size: 1,
          sha256: sha256(body),
          url: `${evilUrl}/blob`,
          expiresAt: new Date(Date.now() + 60_000).toISOString(),
        });
        res.end(
          JSON.stringify({
            dataset: { slug: 'evil' },
            release: { tag: 'v1' },
            files: [f('../escaped.txt', 1), f('/tmp/abs.txt', 2), f('..', 3), f('a\\b', 4), f('fine.txt', 5)],
            withheld: [],
          }),
        );
      });
      await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
      evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => evil.close(() => r())));

    it('refuses "..", separators and absolute names; writes only plain names inside --dir', async () => {
      const dir = freshDir();
      const r = await cli(['pull', 'evil@v1', '--dir', dir, '--server', evilUrl]);
      expect(r.code).toBe(1);
      expect(r.stdout.match(/FAILED: refused/g)).toHaveLength(4);
      expect(readFileSync(join(dir, 'fine.txt'), 'utf8')).toBe('x');
      expect(existsSync(join(dir, '..', 'escaped.txt'))).toBe(false);
      expect(safeName(dir, 'ok.csv')).toBe(join(dir, 'ok.csv'));
      for (const bad of ['', '.', '..', '../x', 'a/b', '/etc/passwd', 'C:x', 'nul\0'])
        expect(safeName(dir, bad)).toBeUndefined();
    });
  });
});

describe('steward pull when signed URLs run out', { timeout: 180_000 }, () => {
  let app: TestApp;
  let work: string;
  beforeAll(async () => {
    // Every URL is issued with less life than the client's renewal margin: it must renew before fetching.
    app = await startTestApp({ SIGNED_URL_TTL_SECONDS: '2' });
    work = mkdtempSync(join(tmpdir(), 'steward-pull-ttl-'));
    const steward = await app.community('q-people', 'steward@test.org', 'Q');
    await publishRelease(app.api, steward.token, {
      community: 'q-people',
      slug: 'q-open',
      tier: 'open',
      tag: 'v1',
      files: [
        { name: 'a.bin', body: randomBytes(10_000) },
        { name: 'b.bin', body: randomBytes(10_000) },
      ],
    });
  });
  afterAll(async () => {
    await app?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('renews the URLs through the manifest (only the files still needed) and verifies every file', async () => {
    const r = await cli([
      'pull',
      'q-open@v1',
      '--dir',
      join(work, 'x'),
      '--server',
      app.url,
      '--parallel',
      '1',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/renewed 2 signed URL\(s\)/);
    expect(r.stdout).toMatch(/renewed 1 signed URL\(s\)/);
    expect(r.stdout.match(/SHA-256 verified/g)).toHaveLength(2);
    // One event per URL issued: the first manifest (2), then one renewal per file (2 + 1).
    const events = await app.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'download.issued'));
    expect(events).toHaveLength(5);
  });
});
