/**
 * `npm run bench -- pull`: `steward pull` throughput next to `aws s3 cp --recursive` of the same objects
 * from the same embedded S3 server, in one run.
 *
 * Starts the platform in this process (embedded S3 server; PGlite, or PostgreSQL when BENCH_DATABASE_URL
 * is set — a scratch database `steward_bench_pull` is created beside it and dropped after), uploads a
 * release of BENCH_FILES × BENCH_FILE_MB random files through the API as a steward, then alternates, for
 * BENCH_ROUNDS rounds, into fresh folders:
 *   pull: `node scripts/bin/steward.js pull bench-pull@v1` (a child process: the real CLI, SHA-256 checked)
 *   aws:  `/usr/bin/aws s3 cp s3://BUCKET/PREFIX DIR --recursive` with the embedded server's credentials
 * Wall-clock MB/s of each (process start included for both), and the CLI's own figure (from its manifest
 * request to its last verified byte). Medians over the rounds.
 *
 * env: BENCH_FILES (4), BENCH_FILE_MB (50), BENCH_ROUNDS (3), BENCH_PARALLEL (4, the CLI's --parallel),
 * AWS_CLI (/usr/bin/aws; Debian `awscli` — another `aws` may come first in PATH).
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { systemCtx } from '../api/audit/audit.ts';
import { start } from '../api/boot.ts';
import { parseConfig } from '../api/config.ts';
import { createTokenFor } from '../api/tokens/tokens.service.ts';
import { ensureUser } from '../api/users/users.service.ts';
import { files } from '../db/schema/index.ts';
import { publishRelease } from '../test/helpers/publish.ts';
import { dbUrl } from './bench-lib.ts';

const nFiles = Number(process.env.BENCH_FILES ?? 4);
const fileMb = Number(process.env.BENCH_FILE_MB ?? 50);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const parallel = process.env.BENCH_PARALLEL ?? '4';
const awsCli = process.env.AWS_CLI ?? '/usr/bin/aws';
const SCRATCH = 'steward_bench_pull';

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number; stdout: string; stderr: string; ms: number }>((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => {
      stdout += b;
    });
    child.stderr.on('data', (b) => {
      stderr += b;
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - t0 }));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export async function benchPull() {
  const dataDir = mkdtempSync(join(tmpdir(), 'steward-bench-pull-'));
  let databaseUrl = `file:${join(dataDir, 'db')}`;
  let dropScratch: (() => Promise<void>) | undefined;
  const pgBase = process.env.BENCH_DATABASE_URL;
  if (pgBase) {
    const admin = postgres(pgBase, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists ${SCRATCH} with (force)`);
    await admin.unsafe(`create database ${SCRATCH}`);
    await admin.end();
    databaseUrl = dbUrl(SCRATCH, pgBase);
    dropScratch = async () => {
      const a = postgres(pgBase, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${SCRATCH} with (force)`);
      await a.end();
    };
  }
  const config = parseConfig({
    ...process.env,
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'silent',
    SEED_DEMO: 'false',
    S3_ENDPOINT: '',
  });
  const app = await start(config);
  try {
    const db = app.database.db;
    const tokenFor = async (email: string, isAdmin = false) => {
      const { user } = await ensureUser(db, systemCtx('bench'), { email, name: email, isAdmin });
      return (
        await createTokenFor({ ...systemCtx('bench'), db, now: new Date() }, user.id, {
          name: 'bench',
          scopes: ['read', 'download', 'request', 'manage'],
          expiresInDays: 1,
        })
      ).token;
    };
    const api = (path: string, init: RequestInit & { token?: string; json?: unknown } = {}) =>
      fetch(`${app.url}/api/v1${path}`, {
        ...init,
        headers: {
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...(init.json ? { 'content-type': 'application/json' } : {}),
        },
        body: init.json ? JSON.stringify(init.json) : init.body,
      });
    const adminToken = await tokenFor('admin@bench.org', true);
    await api('/communities', {
      method: 'POST',
      token: adminToken,
      json: { slug: 'bench', name: 'Bench', stewardEmail: 'steward@bench.org' },
    });
    const stewardToken = await tokenFor('steward@bench.org');
    const bodies = Array.from({ length: nFiles }, () => randomBytes(fileMb * 1024 * 1024));
    const totalBytes = bodies.reduce((n, b) => n + b.length, 0);
    const t0 = performance.now();
    await publishRelease(api, stewardToken, {
      community: 'bench',
      slug: 'bench-pull',
      tier: 'open',
      tag: 'v1',
      files: bodies.map((body, i) => ({ name: `part-${i}.bin`, body })),
    });
    console.log(
      `uploaded ${nFiles} × ${fileMb} MiB (${(totalBytes / 1e6).toFixed(0)} MB) through the API in ${((performance.now() - t0) / 1000).toFixed(1)} s (register, signed PUT, verify, publish)`,
    );
    const digests = new Map(bodies.map((b, i) => [`part-${i}.bin`, sha(b)]));
    bodies.length = 0;

    const [row] = await db.select({ key: files.storageKey }).from(files).limit(1);
    const prefix = row.key.slice(0, row.key.lastIndexOf('/') + 1);
    const s3 = app.config.s3;
    const creds = JSON.parse(readFileSync(join(dataDir, 's3-credentials.json'), 'utf8'));
    // The embedded server's endpoint, as the platform's own signed URLs name it.
    const endpoint = new URL((await app.store.signGet(prefix, {})).url).origin;
    const awsConfig = join(dataDir, 'aws-config');
    writeFileSync(awsConfig, '[default]\nregion = us-east-1\ns3 =\n  addressing_style = path\n');
    const awsEnv = {
      ...process.env,
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      AWS_CONFIG_FILE: awsConfig,
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_PAGER: '',
    };
    const haveAws = existsSync(awsCli);
    if (!haveAws) console.log(`${awsCli} not found (Debian package awscli): reporting steward pull alone`);

    const verify = (dir: string) => {
      const names = readdirSync(dir).filter((n) => n.endsWith('.bin'));
      if (names.length !== nFiles) throw new Error(`${dir}: ${names.length} files, expected ${nFiles}`);
      return names;
    };
    const results = { pull: [] as number[], pullInner: [] as number[], aws: [] as number[] };
    const mbps = (ms: number) => totalBytes / 1e6 / (ms / 1000);
    for (let round = 1; round <= rounds; round++) {
      const pullDir = join(dataDir, `pull-${round}`);
      const p = await run(
        process.execPath,
        [
          'scripts/bin/steward.js',
          'pull',
          'bench-pull@v1',
          '--dir',
          pullDir,
          '--server',
          app.url,
          '--parallel',
          parallel,
        ],
        { ...process.env, STEWARD_TOKEN: '' },
      );
      if (p.code !== 0) throw new Error(`steward pull exited ${p.code}:\n${p.stdout}\n${p.stderr}`);
      verify(pullDir);
      const inner = /in ([\d.]+) s \(([\d.]+) MB\/s\)\s*$/.exec(p.stdout.trim());
      results.pull.push(mbps(p.ms));
      if (inner) results.pullInner.push(Number(inner[2]));
      rmSync(pullDir, { recursive: true, force: true });
      let line = `round ${round}: steward pull ${mbps(p.ms).toFixed(1)} MB/s wall (${(p.ms / 1000).toFixed(1)} s; CLI's own figure ${inner?.[2] ?? '?'} MB/s)`;

      if (haveAws) {
        const awsDir = join(dataDir, `aws-${round}`);
        const a = await run(
          awsCli,
          [
            's3',
            'cp',
            `s3://${s3.bucket}/${prefix}`,
            awsDir,
            '--recursive',
            '--endpoint-url',
            endpoint,
            '--no-progress',
            '--only-show-errors',
          ],
          awsEnv,
        );
        if (a.code !== 0) throw new Error(`aws s3 cp exited ${a.code}:\n${a.stdout}\n${a.stderr}`);
        const got = readdirSync(awsDir);
        if (got.length !== nFiles) throw new Error(`aws s3 cp fetched ${got.length} objects`);
        // Checked after timing, as the CLI's verification is part of its time: the same bytes arrived.
        const want = new Set(digests.values());
        for (const name of got)
          if (!want.has(sha(readFileSync(join(awsDir, name))))) throw new Error(`aws: ${name} differs`);
        results.aws.push(mbps(a.ms));
        rmSync(awsDir, { recursive: true, force: true });
        line += `; aws s3 cp ${mbps(a.ms).toFixed(1)} MB/s wall (${(a.ms / 1000).toFixed(1)} s)`;
      }
      console.log(line);
    }
    console.log(
      `\nmedian of ${rounds}: steward pull ${median(results.pull).toFixed(1)} MB/s wall` +
        (results.pullInner.length ? ` (${median(results.pullInner).toFixed(1)} MB/s after start-up)` : '') +
        (results.aws.length
          ? `; aws s3 cp --recursive ${median(results.aws).toFixed(1)} MB/s wall; ratio pull/aws ${(median(results.pull) / median(results.aws)).toFixed(2)}`
          : '') +
        ` — ${(totalBytes / 1e6).toFixed(0)} MB, ${nFiles} files, ${databaseUrl.startsWith('file:') ? 'PGlite' : 'PostgreSQL'}, embedded S3`,
    );
  } finally {
    await app.close();
    await dropScratch?.();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
