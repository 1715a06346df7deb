import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { start } from '../../api/boot.ts';
import { parseConfig } from '../../api/config.ts';

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'steward-cli-'));
const env = {
  ...process.env,
  DATA_DIR: dataDir,
  DATABASE_URL: `file:${join(dataDir, 'db')}`,
  LOG_LEVEL: 'silent',
};
const steward = (...args: string[]) =>
  run(process.execPath, ['scripts/bin/steward.js', ...args], { env, timeout: 180_000 });

/** The CLI on an embedded data folder, then the platform started on the same folder: everything is kept. */
describe('the steward CLI and a restart on the same data folder', () => {
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('creates users and tokens; the server started later accepts the token', async () => {
    const created = await steward(
      'users',
      'create',
      '--email',
      'Cli@Test.org',
      '--name',
      'Cli User',
      '--admin',
    );
    expect(created.stdout).toMatch(/^created: cli@test\.org .* admin/m);
    const again = await steward('users', 'create', '--email', 'cli@test.org', '--name', 'Cli User');
    expect(again.stdout).toMatch(/^exists:/m);
    const { stdout } = await steward(
      'tokens',
      'create',
      '--user',
      'cli@test.org',
      '--scopes',
      'read,download',
      '--expires',
      '7d',
    );
    const token = stdout.trim().split('\n').pop()!;
    expect(token).toMatch(/^stw_[A-Za-z0-9_-]{43}$/);
    await expect(steward('tokens', 'create', '--user', 'nobody@test.org')).rejects.toMatchObject({ code: 2 });
    await expect(
      steward('tokens', 'create', '--user', 'cli@test.org', '--scopes', 'root'),
    ).rejects.toMatchObject({ code: 2 });
    expect((await steward('jobs', 'run')).stdout).toMatch(
      /^grants expired: 0; obligations overdue: 0; notifications: 0$/m,
    );
    await expect(steward('jobs', 'later')).rejects.toMatchObject({ code: 2 });

    const config = parseConfig({ ...env, PORT: '0', HOST: '127.0.0.1', SEED_DEMO: 'true', NODE_ENV: 'test' });
    const first = await start(config);
    try {
      expect(first.seeded).toBe(true);
      const me = await (
        await fetch(`${first.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })
      ).json();
      expect(me.user).toMatchObject({ email: 'cli@test.org', isAdmin: true });
      expect(me.token.scopes).toEqual(['read', 'download']);
      // A second process on the same embedded database is refused, not silently lossy.
      await expect(start(config)).rejects.toThrow(/already in use/);
    } finally {
      await first.close();
    }
    const second = await start(config);
    try {
      expect(second.seeded).toBe(false);
      const list = await (await fetch(`${second.url}/api/v1/datasets`)).json();
      expect(list.items.length).toBe(3);
      const me = await fetch(`${second.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);
      // The objects survived too: the open file downloads with the same bytes.
      const page = await (await fetch(`${second.url}/api/v1/datasets/demo-word-list`)).json();
      const file = page.releases[0].files[0];
      const got = await fetch(`${second.url}/api/v1/files/${file.id}/download`);
      expect(got.status).toBe(200);
      expect(Number(got.headers.get('content-length'))).toBe(file.size);
    } finally {
      await second.close();
    }
  }, 400_000);
});
