import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCtx } from '../../api/audit/audit.ts';
import { start } from '../../api/boot.ts';
import { parseConfig } from '../../api/config.ts';
import { ensureUser } from '../../api/users/users.service.ts';
import { clonePgTemplate } from '../helpers/app.ts';
import { people, seedReportWorld } from './report-world.ts';

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'steward-report-cli-'));
let databaseUrl = `file:${join(dataDir, 'db')}`;
let dropDb: (() => Promise<void>) | undefined;
const steward = (...args: string[]) =>
  run(process.execPath, ['scripts/bin/steward.js', 'report', ...args], {
    env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' },
    timeout: 120_000,
  });

/** `npx steward report`: the same report as the API, as JSON or CSV, from the operator's shell. */
describe('steward report', () => {
  beforeAll(async () => {
    const clone = await clonePgTemplate();
    if (clone) {
      databaseUrl = clone.url;
      dropDb = clone.drop;
    }
    const config = parseConfig({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'silent',
      SEED_DEMO: 'true',
    });
    const app = await start(config);
    try {
      const db = app.database.db;
      const id = async (email: string) =>
        (await ensureUser(db, systemCtx('test'), { email, name: 'x' })).user.id;
      await seedReportWorld(db, {
        ana: await id(people.ana.email),
        ben: await id(people.ben.email),
        carl: await id(people.carl.email),
      });
    } finally {
      await app.close();
    }
  }, 180_000);
  afterAll(async () => {
    await dropDb?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the JSON report, and the same figures as CSV', async () => {
    const period = ['--from', '2026-01-01', '--to', '2026-06-30'];
    const json = JSON.parse((await steward('--community', 'demo-collective', ...period)).stdout);
    expect(json.downloads.total).toBe(8);
    expect(json.requests).toMatchObject({ total: 4, medianDecisionHours: 24 });
    expect(json.grants.total).toBe(3);
    const csv = (await steward('--community', 'demo-collective', '--format', 'csv', ...period)).stdout;
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe('metric,key,value');
    expect(lines).toContain('downloads.total,,8');
    expect(lines).toContain('downloads.month,2026-05,0');
    expect(lines).toContain('requests.status,approved,2');
    expect(lines).toContain('obligations.status,overdue,1');
    for (const m of json.downloads.byMonth) expect(lines).toContain(`downloads.month,${m.month},${m.count}`);
    const one = JSON.parse(
      (await steward('--community', 'demo-collective', '--dataset', 'demo-oral-histories', ...period)).stdout,
    );
    expect(one.downloads.total).toBe(4);
  }, 240_000);

  it('exits 2 with the reason for bad input', async () => {
    for (const [args, reason] of [
      [['--community', 'demo-collective', '--format', 'xml'], /unsupported_format/],
      [['--community', 'demo-collective', '--from', '2026-02-30'], /invalid_date/],
      [['--community', 'demo-collective', '--from', '2026-07-01', '--to', '2026-01-01'], /invalid_period/],
      [['--community', 'no-such-commons'], /community_not_found/],
      [[], /usage/],
    ] as const) {
      const err = await steward(...args).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
      expect(err.code).toBe(2);
      expect(err.stderr).toMatch(reason);
    }
  }, 240_000);
});
