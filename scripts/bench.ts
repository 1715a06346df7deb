/**
 * `npm run bench`: the download path against its floor, on a real PostgreSQL, in one run.
 *
 *   floor:    bare express 5 + one INSERT through drizzle + postgres.js (the same driver), on postgres.js's
 *             default pool of 10: its best here (3,137–3,312 req/s against 2,594–2,958 with 4 connections),
 *             while steward runs on its own default (DATABASE_POOL_SIZE: twice the cores)
 *   open:     GET /api/v1/files/:id/download for an open file, anonymous
 *   gated:    the same for a gated file, bearer token, under a grant in force
 *             (token → user, memberships, grants in one query → policy → download.issued INSERT → presign → 302)
 *
 * Each server runs in its own process; autocannon runs here. Both get a warm-up, then rounds
 * alternate floor / download so drift hits both alike. Report ratios, not absolute numbers.
 *
 * env: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; a scratch database
 * `steward_bench` is created beside it), BENCH_SECONDS (30), BENCH_CONNECTIONS (32), BENCH_ROUNDS (3).
 *
 * BENCH_CPU_PROF=DIR writes a V8 CPU profile of the steward process into DIR (open it in Chrome DevTools,
 * or summarise it with `npm run bench -- profile DIR/*.cpuprofile`).
 *
 * `npm run bench -- ability`: ability build + check for an actor with 100 grants (median µs).
 * `npm run bench -- start` measures start-up instead: a fresh data folder, then a second start, and
 * the idle RSS of each.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import express from 'express';
import postgres from 'postgres';
import { parseConfig } from '../api/config.ts';
import { benchBaseUrl, builderTokenWithGrant, dbUrl, startChild, stopChild } from './bench-lib.ts';

const baseUrl = benchBaseUrl;
const seconds = Number(process.env.BENCH_SECONDS ?? 30);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

/** The floor server (child process): express + one INSERT per request. */
async function floorServer() {
  const client = postgres(process.env.DATABASE_URL!, { max: 10, onnotice: () => {} });
  const db = drizzle(client);
  await db.execute(
    sql`create table if not exists bench_floor (id bigserial primary key, at timestamptz not null default now(), details jsonb not null)`,
  );
  const app = express();
  app.get('/floor', async (_req, res) => {
    await db.execute(
      sql`insert into bench_floor (details) values (${JSON.stringify({ action: 'download.issued' })}::jsonb)`,
    );
    res.redirect(302, 'http://127.0.0.1:1/signed');
  });
  const server = app.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    console.log(`READY http://127.0.0.1:${port}/floor`);
  });
}

interface Result {
  rps: number;
  /** CPU time per request of the server process and its PostgreSQL backends (ms), when measured. */
  cpuMs?: number;
  /** Of which the server process alone. */
  serverMs?: number;
  p50: number;
  p99: number;
  non3xx: number;
}

interface Target {
  name: string;
  url: string;
  /** The server's pid and database, to account its CPU (process + PostgreSQL backends). */
  cpu?: { pid: number; database: string };
  headers?: Record<string, string>;
}

/** utime + stime of a process, in clock ticks (0 once it is gone). */
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

let monitorClient: postgres.Sql | undefined;
const monitor = () => {
  monitorClient ??= postgres(baseUrl, { max: 1, onnotice: () => {} });
  return monitorClient;
};

/** CPU ticks of a server process and of every PostgreSQL backend connected to its database. */
async function serverTicks(cpu: { pid: number; database: string }): Promise<Map<number, number>> {
  const rows = await monitor()<
    { pid: number }[]
  >`select pid from pg_stat_activity where datname = ${cpu.database}`;
  return new Map([cpu.pid, ...rows.map((r) => r.pid)].map((pid) => [pid, cpuTicks(pid)]));
}

/*
 * CPU per request is reported beside throughput because on a shared 2-core machine throughput moves
 * with whatever else runs, while CPU time per request (server + its database backends) does not much.
 */
async function load(target: Target, duration: number): Promise<Result> {
  const before = target.cpu ? await serverTicks(target.cpu) : undefined;
  const r = await autocannon({
    url: target.url,
    headers: target.headers,
    connections,
    duration,
    pipelining: 1,
  });
  let cpuMs: number | undefined;
  let serverMs: number | undefined;
  if (target.cpu && before) {
    const after = await serverTicks(target.cpu);
    let ticks = 0;
    for (const [pid, t] of after) ticks += t - (before.get(pid) ?? 0);
    const n = Math.max(1, r.requests.total);
    cpuMs = (ticks * 10) / n; // USER_HZ is 100 on Linux
    const pid = target.cpu.pid;
    serverMs = ((after.get(pid)! - before.get(pid)!) * 10) / n;
  }
  return {
    cpuMs,
    serverMs,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non3xx: r.non2xx - (r['3xx'] ?? 0) + r.errors + r.timeouts,
  };
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function benchDownload() {
  const name = 'steward_bench';
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = dbUrl(name);
  const dataDir = mkdtempSync(join(tmpdir(), 'steward-bench-'));

  const profDir = process.env.BENCH_CPU_PROF;
  const steward = await startChild(
    [...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), 'scripts/steward.ts', 'serve'],
    {
      DATABASE_URL: url,
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      SEED_DEMO: 'true',
      // The limit stays on (its counter is part of the path being measured), set above the load.
      DOWNLOAD_RATE_LIMIT: '1000000000',
    },
    /running at (http:\/\/\S+)/,
  );
  const base = steward.match[1].replace('localhost', '127.0.0.1');
  const fileOf = async (slug: string, name: string) => {
    const page = await (await fetch(`${base}/api/v1/datasets/${slug}`)).json();
    return {
      datasetId: page.id as string,
      fileId: page.releases[0].files.find((f: { name: string }) => f.name === name).id as string,
    };
  };
  const open = await fileOf('demo-word-list', 'words.csv');
  const gated = await fileOf('demo-oral-histories', 'transcripts.txt');

  // A builder with a token and a grant in force on the gated dataset.
  const token = await builderTokenWithGrant(url, gated.datasetId);

  // The floor gets its own database so that each server's PostgreSQL backends can be told apart.
  const floorDb = `${name}_floor`;
  const admin2 = postgres(baseUrl, { max: 1, onnotice: () => {} });
  await admin2.unsafe(`drop database if exists ${floorDb} with (force)`);
  await admin2.unsafe(`create database ${floorDb}`);
  await admin2.end();
  const floor = await startChild(
    ['scripts/bench.ts', 'floor-server'],
    { DATABASE_URL: dbUrl(floorDb) },
    /READY (\S+)/,
  );
  const stewardCpu = { pid: steward.child.pid!, database: name };
  const targets: Target[] = [
    { name: 'floor', url: floor.match[1], cpu: { pid: floor.child.pid!, database: floorDb } },
    { name: 'open (anonymous)', url: `${base}/api/v1/files/${open.fileId}/download`, cpu: stewardCpu },
    {
      name: 'gated (token, grant)',
      url: `${base}/api/v1/files/${gated.fileId}/download`,
      headers: { authorization: `Bearer ${token}` },
      cpu: stewardCpu,
    },
  ];
  for (const t of targets.slice(1)) {
    const r = await fetch(t.url, { redirect: 'manual', headers: t.headers });
    if (r.status !== 302) throw new Error(`${t.name} answered ${r.status}`);
  }

  console.log(
    `warming up (5 s each), then ${rounds} round(s) of ${seconds} s per route, ${connections} connections; ` +
      `PostgreSQL pool: steward ${parseConfig().databasePoolSize} (DATABASE_POOL_SIZE), floor 10 (postgres.js default)`,
  );
  for (const t of targets) await load(t, 5);
  const results = new Map<string, Result[]>(targets.map((t) => [t.name, []]));
  console.log('\nround  route                   req/s   p50 ms  p99 ms  errors  CPU ms/req (server + db)');
  for (let i = 0; i < rounds; i++) {
    for (const t of targets) {
      // The steward process stays up during the floor's rounds: what it spends meanwhile (its sequencer
      // integrating the last round's events, autovacuum of its tables) is taken from the floor.
      const aside = t.cpu && t.cpu !== stewardCpu ? await serverTicks(stewardCpu) : undefined;
      const t0 = performance.now();
      const r = await load(t, seconds);
      let meanwhile = '';
      if (aside) {
        let ticks = 0;
        for (const [pid, v] of await serverTicks(stewardCpu)) ticks += v - (aside.get(pid) ?? 0);
        meanwhile = `  (steward meanwhile: ${((ticks * 10) / (performance.now() - t0)).toFixed(2)} cores)`;
      }
      results.get(t.name)!.push(r);
      console.log(
        `${String(i + 1).padEnd(6)} ${t.name.padEnd(22)} ${r.rps.toFixed(0).padStart(6)}  ${String(r.p50).padStart(6)}  ${String(r.p99).padStart(6)}  ${String(r.non3xx).padStart(6)}  ${r.cpuMs?.toFixed(3) ?? '-'} (${r.serverMs?.toFixed(3) ?? '-'} + ${r.cpuMs !== undefined ? (r.cpuMs - r.serverMs!).toFixed(3) : '-'})${meanwhile}`,
      );
    }
  }
  const rss = rssMb(steward.child.pid!);
  await stopChild(floor.child);
  await stopChild(steward.child);
  rmSync(dataDir, { recursive: true, force: true });

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const summary = (name: string) => {
    const rs = results.get(name)!;
    return {
      rps: median(rs.map((r) => r.rps)),
      p99: median(rs.map((r) => r.p99)),
      cpuMs: median(rs.map((r) => r.cpuMs ?? 0)),
    };
  };
  const f = summary('floor');
  console.log(
    `\nmedians (floor ${f.rps.toFixed(0)} req/s, p99 ${f.p99} ms, ${f.cpuMs.toFixed(3)} CPU ms/req):`,
  );
  for (const t of targets.slice(1)) {
    const d = summary(t.name);
    console.log(
      `  ${t.name.padEnd(22)} ${d.rps.toFixed(0)} req/s p99 ${d.p99} ms → throughput ${(d.rps / f.rps).toFixed(2)} of the floor (target ≥ 0.60), p99 ${(d.p99 / f.p99).toFixed(2)}× (target ≤ 2); CPU per request ${(d.cpuMs / f.cpuMs).toFixed(2)}× the floor's`,
    );
  }
  await monitorClient?.end();
  console.log(`steward process RSS after the run: ${rss.toFixed(0)} MB`);
}

async function benchStart() {
  const dataDir = mkdtempSync(join(tmpdir(), 'steward-start-'));
  const env = { DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  for (const label of ['fresh data folder', 'second start']) {
    const s = await startChild(['scripts/steward.ts', 'serve'], env, /running at (http:\/\/\S+)/);
    await new Promise((r) => setTimeout(r, 5000));
    console.log(
      `${label.padEnd(18)} ready in ${s.ms.toFixed(0)} ms (process spawn to listening), idle RSS ${rssMb(s.child.pid!).toFixed(0)} MB`,
    );
    await stopChild(s.child);
  }
  rmSync(dataDir, { recursive: true, force: true });
}

/** Ability build + one download check for an actor with 100 grants (no I/O): median µs per operation. */
async function benchAbility() {
  const { defineAbilityFor } = await import('../policies/index.ts');
  const { subject } = await import('@casl/ability');
  const grants = Array.from({ length: 100 }, (_, i) => ({
    id: `g${i}`,
    datasetId: `d${i}`,
    scope: (i % 10 === 0 ? 'release' : i % 10 === 1 ? 'file' : 'dataset') as 'dataset' | 'release' | 'file',
    scopeIds: i % 10 < 2 ? [`x${i}`] : [],
  }));
  const actor = {
    kind: 'user' as const,
    userId: 'u',
    isAdmin: false,
    memberships: [{ communityId: 'c1', role: 'member' as const }],
    grants,
    token: { id: 't', scopes: ['read', 'download'] as never },
  };
  const file = {
    id: 'f',
    communityId: 'c9',
    datasetId: 'd57',
    releaseId: 'r',
    tier: 'gated',
    datasetTier: 'gated',
    status: 'available',
    releaseStatus: 'published',
    datasetStatus: 'published',
  };
  const samples: number[] = [];
  for (let round = 0; round < 50; round++) {
    const n = 400;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      if (!defineAbilityFor(actor).can('download', subject('File', { ...file }))) throw new Error('denied');
    }
    samples.push(Number(process.hrtime.bigint() - t0) / 1000 / n);
  }
  samples.sort((a, b) => a - b);
  const cached = defineAbilityFor(actor);
  const t1 = process.hrtime.bigint();
  for (let i = 0; i < 20_000; i++) cached.can('download', subject('File', { ...file }));
  const check = Number(process.hrtime.bigint() - t1) / 1000 / 20_000;
  console.log(
    `ability build + check, 100 grants: median ${samples[25].toFixed(1)} µs (p90 ${samples[45].toFixed(1)} µs); check on a built ability ${check.toFixed(2)} µs`,
  );
}

/** Self time per function (top 40) of a .cpuprofile, so a profile can be read without a browser. */
function summariseProfile(path: string) {
  const prof = JSON.parse(readFileSync(path, 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
  };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  for (const id of prof.samples) {
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(api|policies|db)\//, '$1/')}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + 1);
  }
  const total = prof.samples.length;
  console.log('self time:');
  for (const [k, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30))
    console.log(`${((100 * n) / total).toFixed(1).padStart(5)}%  ${k}`);
  // Inclusive time: a sample counts once for every distinct function on its stack.
  const parent = new Map<number, number>();
  for (const n of prof.nodes as { id: number; children?: number[] }[])
    for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map<string, number>();
  for (const id of prof.samples) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (!f.functionName) continue;
      const key = `${f.functionName} ${f.url.replace(/^.*node_modules\//, '').replace(/^.*\/(api|policies|db)\//, '$1/')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      incl.set(key, (incl.get(key) ?? 0) + 1);
    }
  }
  console.log('inclusive time:');
  for (const [k, n] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, 60))
    console.log(`${((100 * n) / total).toFixed(1).padStart(5)}%  ${k}`);
}

const mode = process.argv[2];
if (mode === 'floor-server') await floorServer();
else if (mode === 'ability') await benchAbility();
else if (mode === 'start') await benchStart();
else if (mode === 'profile') summariseProfile(process.argv[3]);
else if (mode === 'catalog') await (await import('./bench-catalog.ts')).benchCatalog();
else if (mode === 'audit') await (await import('./bench-audit.ts')).benchAudit();
else if (mode === 'pull') await (await import('./bench-pull.ts')).benchPull();
else if (mode === 'report') await (await import('./bench-report.ts')).benchReport();
else await benchDownload();
