/**
 * `npm run bench -- audit`: the audit log on a real PostgreSQL.
 *
 *   1. fills a scratch database (`steward_bench_audit`) with BENCH_AUDIT_EVENTS events (1,000,000) in SQL;
 *   2. lets the sequencer integrate them (hashing, leaves, subtrees, one checkpoint): events/s;
 *   3. runs `steward audit verify`'s verifier over the whole log: events/s (target ≥ 200,000).
 *
 *   4. (`audit download`) the download path with the log on vs a plain audit INSERT: benchDownloadRatio.
 *
 * `npm run bench -- audit log` runs 1–3 only, `audit download` 4 only. Every figure comes with the
 * load average and the CPU time (this process + the database's backends) per 1M events or per request,
 * which move much less than wall time on a shared machine.
 *
 * The database is kept between runs with the same event count (set BENCH_AUDIT_FRESH=1 to rebuild),
 * so that step 3 alone can be repeated. env: BENCH_DATABASE_URL as for the other benchmarks.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { pendingCount } from '../api/audit/audit.repo.ts';
import { loadAuditKey } from '../api/audit/checkpoint.ts';
import { Sequencer } from '../api/audit/sequencer.ts';
import { verifyLog } from '../api/audit/verify.ts';
import { openDb } from '../db/index.ts';
import { builderTokenWithGrant, dbUrl, serveSteward, stopChild } from './bench-lib.ts';

const load = () =>
  `load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`;

/** utime + stime of a process in ms (0 once it is gone). */
function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

/**
 * CPU time spent by this process and by the PostgreSQL backends serving `database` while `fn` runs:
 * on a shared, loaded machine it moves far less than wall time.
 */
async function cpuOf<T>(admin: postgres.Sql, database: string, fn: () => Promise<T>) {
  const backends = async () =>
    (await admin<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${database}`).map(
      (r) => r.pid,
    );
  const before = new Map((await backends()).map((p) => [p, cpuMsOf(p)]));
  const c0 = process.cpuUsage();
  const value = await fn();
  const c = process.cpuUsage(c0);
  let db = 0;
  for (const p of new Set([...before.keys(), ...(await backends())])) db += cpuMsOf(p) - (before.get(p) ?? 0);
  return { value, nodeMs: (c.user + c.system) / 1000, dbMs: db };
}

const per1M = (ms: number, n: number) => `${(((ms / n) * 1e6) / 1000).toFixed(2)} s`;

export async function benchAudit() {
  const part = process.argv[3];
  if (part !== 'download') await benchLog();
  if (part !== 'log') await benchDownloadRatio();
}

async function benchLog() {
  const baseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const n = Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000);
  const name = 'steward_bench_audit';
  const url = dbUrl(name, baseUrl);

  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  const exists = (await admin`select 1 from pg_database where datname = ${name}`).length > 0;
  let fresh = !exists || process.env.BENCH_AUDIT_FRESH === '1';
  if (!fresh) {
    const probe = postgres(url, { max: 1, onnotice: () => {} });
    const [{ count }] = await probe`select count(*)::int as count from audit_leaves`.catch(() => [
      { count: -1 },
    ]);
    await probe.end();
    fresh = count !== n;
  }
  if (fresh) {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.unsafe(`create database ${name}`);
  }

  const database = await openDb(url, { max: 4 });
  try {
    await database.migrate();
    const key = await loadAuditKey(database.db, 'http://bench.local');
    if (fresh) {
      const raw = postgres(url, { max: 1, onnotice: () => {} });
      const t0 = performance.now();
      // Events shaped like the download path's: a user, a token, a file, a purpose, a small details object.
      await raw.unsafe(
        `insert into audit_events (actor_type, actor_id, actor_token_id, action, community_id, dataset_id,
           subject_type, subject_id, purpose, details, request_id)
         select 'token', gen_random_uuid(), gen_random_uuid(), 'download.issued', gen_random_uuid(), gen_random_uuid(),
           'File', gen_random_uuid()::text, 'ai-training',
           jsonb_build_object('name', 'part-' || i || '.parquet', 'size', i * 1024, 'tier', 'gated'),
           gen_random_uuid()::text
         from generate_series(1, ${n}) i`,
      );
      await raw`analyze audit_events`;
      await raw.end();
      console.log(
        `inserted ${n.toLocaleString('en')} events in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      const seq = new Sequencer(database.db, key, { batchSize: 10_000 });
      const t1 = performance.now();
      const {
        value: { added },
        nodeMs,
        dbMs,
      } = await cpuOf(admin, name, () => seq.flush());
      const s = (performance.now() - t1) / 1000;
      console.log(
        `sequencer: integrated ${added.toLocaleString('en')} events in ${s.toFixed(1)} s (${Math.round(added / s).toLocaleString('en')} events/s); ` +
          `CPU per 1M events: node ${per1M(nodeMs, added)} + PostgreSQL ${per1M(dbMs, added)}; ${load()}`,
      );
    }
    // As autovacuum would after a bulk load: without statistics the planner sorts leaves on disk.
    await database.db.execute(sql`analyze audit_events, audit_leaves, audit_nodes`);
    // BENCH_VERIFY_WORKERS: worker threads for the leaf check (0: none, the single-thread path).
    const w = process.env.BENCH_VERIFY_WORKERS;
    if (w !== undefined && !/^\d+$/.test(w)) throw new Error('BENCH_VERIFY_WORKERS must be a whole number');
    const verifyOptions = { databaseUrl: url, workers: w === undefined ? undefined : Number(w) };
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const {
        value: r,
        nodeMs,
        dbMs,
      } = await cpuOf(admin, name, () => verifyLog(database.db, verifyOptions));
      if (!r.ok) throw new Error(`verify failed: ${r.problems[0]}`);
      runs.push((r.events / r.ms) * 1000);
      console.log(
        `verify: ${r.events.toLocaleString('en')} events, ${r.checkpoints} checkpoints in ${(r.ms / 1000).toFixed(2)} s (${Math.round((r.events / r.ms) * 1000).toLocaleString('en')} events/s); ` +
          `CPU per 1M events: node ${per1M(nodeMs, r.events)} + PostgreSQL ${per1M(dbMs, r.events)}; ${load()}`,
      );
    }
    runs.sort((a, b) => a - b);
    console.log(`verify median: ${Math.round(runs[1]).toLocaleString('en')} events/s (target ≥ 200,000)`);
  } finally {
    await database.close();
    await admin.end();
  }
}

/** A steward server in its own process (as `npx steward serve`), resolved once it listens. */
const serve = (env: Record<string, string>) => serveSteward(env);

/**
 * The bench-only "plain INSERT" database: audit_events keeps its columns and defaults (the route's
 * INSERT is unchanged) but loses every index, constraint and trigger, and no sequencer runs against it.
 * This is what the download path would cost with an audit write and nothing behind it.
 */
async function stripAuditTable(url: string) {
  const c = postgres(url, { max: 1, onnotice: () => {} });
  for (const { tgname } of await c<{ tgname: string }[]>`select tgname from pg_trigger
      where tgrelid = 'audit_events'::regclass and not tgisinternal`)
    await c.unsafe(`drop trigger "${tgname}" on audit_events`);
  await c`alter table audit_events drop constraint audit_events_pkey`;
  for (const { name } of await c<{ name: string }[]>`select indexrelid::regclass::text as name from pg_index
      where indrelid = 'audit_events'::regclass`)
    await c.unsafe(`drop index ${name}`);
  const [{ n }] = await c<
    { n: number }[]
  >`select count(*)::int as n from pg_index where indrelid = 'audit_events'::regclass`;
  const [{ t }] = await c<
    { t: number }[]
  >`select count(*)::int as t from pg_trigger where tgrelid = 'audit_events'::regclass`;
  await c.end();
  if (n || t) throw new Error(`audit_events still has ${n} indexes and ${t} triggers`);
}

/** A builder with a token and a grant in force on the gated demo dataset; the gated file's URL. */
async function gatedTarget(url: string, base: string) {
  const page = await (await fetch(`${base}/api/v1/datasets/demo-oral-histories`)).json();
  const fileId = page.releases[0].files.find((f: { name: string }) => f.name === 'transcripts.txt')
    .id as string;
  const token = await builderTokenWithGrant(url, page.id);
  const target = {
    url: `${base}/api/v1/files/${fileId}/download`,
    headers: { authorization: `Bearer ${token}` },
  };
  const r = await fetch(target.url, { redirect: 'manual', headers: target.headers });
  if (r.status !== 302) throw new Error(`the gated download answered ${r.status}`);
  return target;
}

/**
 * `npm run bench -- audit download`: GET /files/:id/download (bearer token, under a grant) with the
 * audit log as it runs — indexed, append-only triggers, the sequencer integrating and signing every
 * second — against the same route where the audit write is a plain INSERT into a bare table and no
 * sequencer runs (AUDIT_SEQUENCER=off, plus stripAuditTable). Rounds alternate; target ≥ 0.8.
 * env: BENCH_SECONDS (20), BENCH_CONNECTIONS (32), BENCH_ROUNDS (3).
 */
async function benchDownloadRatio() {
  const baseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const seconds = Number(process.env.BENCH_SECONDS ?? 20);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  const variants = [
    { label: 'audit log (sequencer on)', db: 'steward_bench_audit_log', env: { AUDIT_SEQUENCER: 'on' } },
    { label: 'plain INSERT (bare table)', db: 'steward_bench_audit_plain', env: { AUDIT_SEQUENCER: 'off' } },
  ];
  const running: {
    label: string;
    db: string;
    child: ChildProcess;
    dir: string;
    url: string;
    headers: Record<string, string>;
  }[] = [];
  try {
    for (const v of variants) {
      await admin.unsafe(`drop database if exists ${v.db} with (force)`);
      await admin.unsafe(`create database ${v.db}`);
      const u = new URL(baseUrl);
      u.pathname = `/${v.db}`;
      const dir = mkdtempSync(join(tmpdir(), 'steward-bench-audit-'));
      const s = await serve({
        DATABASE_URL: u.toString(),
        DATA_DIR: dir,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        SEED_DEMO: 'true',
        DOWNLOAD_RATE_LIMIT: '1000000000',
        ...v.env,
      });
      const r = { label: v.label, db: v.db, child: s.child, dir, url: '', headers: {} };
      running.push(r);
      if (v.env.AUDIT_SEQUENCER === 'off') await stripAuditTable(u.toString());
      Object.assign(r, await gatedTarget(u.toString(), s.url));
    }
    const fire = async (r: (typeof running)[number], duration: number) => {
      const pid = r.child.pid!;
      const { value, nodeMs, dbMs } = await cpuOf(admin, r.db, async () => {
        const before = cpuMsOf(pid);
        const res = await autocannon({
          url: r.url,
          headers: r.headers,
          connections,
          duration,
          pipelining: 1,
        });
        return { res, server: cpuMsOf(pid) - before };
      });
      void nodeMs; // this process only drives the load
      const n = Math.max(1, value.res.requests.total);
      return {
        rps: value.res.requests.average,
        p99: value.res.latency.p99,
        errors: value.res.non2xx - (value.res['3xx'] ?? 0) + value.res.errors + value.res.timeouts,
        cpuMs: (value.server + dbMs) / n,
      };
    };
    console.log(
      `\ndownload path, ${connections} connections, warm-up 5 s each, then ${rounds} × ${seconds} s alternating`,
    );
    for (const r of running) await fire(r, 5);
    const got = new Map(running.map((r) => [r.label, [] as Awaited<ReturnType<typeof fire>>[]]));
    for (let i = 0; i < rounds; i++)
      for (const r of running) {
        const x = await fire(r, seconds);
        got.get(r.label)!.push(x);
        console.log(
          `  ${String(i + 1).padEnd(3)} ${r.label.padEnd(27)} ${x.rps.toFixed(0).padStart(6)} req/s  p99 ${String(x.p99).padStart(4)} ms  errors ${x.errors}  CPU ${x.cpuMs.toFixed(3)} ms/req (server + db); ${load()}`,
        );
      }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const [log, plain] = running.map((r) => got.get(r.label)!);
    const rps = [median(log.map((x) => x.rps)), median(plain.map((x) => x.rps))];
    const cpu = [median(log.map((x) => x.cpuMs)), median(plain.map((x) => x.cpuMs))];
    const logDb = new URL(baseUrl);
    logDb.pathname = `/${variants[0].db}`;
    const logHandle = await openDb(logDb.toString(), { max: 1 });
    const pending = await pendingCount(logHandle.db);
    await logHandle.close();
    console.log(
      `download with the audit log: ${rps[0].toFixed(0)} req/s vs plain INSERT ${rps[1].toFixed(0)} req/s → ratio ${(rps[0] / rps[1]).toFixed(2)} (target ≥ 0.8); ` +
        `CPU per request ${(cpu[0] / cpu[1]).toFixed(2)}× the plain INSERT's; events left for the sequencer at the end: ${pending}`,
    );
  } finally {
    for (const r of running) {
      await stopChild(r.child);
      rmSync(r.dir, { recursive: true, force: true });
    }
    await admin.end();
  }
}
