/**
 * `npm run bench -- audit`: the audit log on a real PostgreSQL.
 *
 *   1. fills a scratch database (`steward_bench_audit`) with BENCH_AUDIT_EVENTS events (1,000,000) in SQL;
 *   2. lets the sequencer integrate them (hashing, leaves, subtrees, one checkpoint): events/s;
 *   3. runs `steward audit verify`'s verifier over the whole log: events/s (target ≥ 200,000).
 *
 * The database is kept between runs with the same event count (set BENCH_AUDIT_FRESH=1 to rebuild),
 * so that step 3 alone can be repeated. env: BENCH_DATABASE_URL as for the other benchmarks.
 */
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { loadAuditKey } from '../api/audit/checkpoint.ts';
import { Sequencer } from '../api/audit/sequencer.ts';
import { verifyLog } from '../api/audit/verify.ts';
import { openDb } from '../db/index.ts';

export async function benchAudit() {
  const baseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const n = Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000);
  const name = 'steward_bench_audit';
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  const url = u.toString();

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
  await admin.end();

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
      await raw.end();
      console.log(
        `inserted ${n.toLocaleString('en')} events in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      const seq = new Sequencer(database.db, key, { batchSize: 10_000 });
      const t1 = performance.now();
      const { added } = await seq.flush();
      const s = (performance.now() - t1) / 1000;
      console.log(
        `sequencer: integrated ${added.toLocaleString('en')} events in ${s.toFixed(1)} s (${Math.round(added / s).toLocaleString('en')} events/s)`,
      );
    }
    // As autovacuum would after a bulk load: without statistics the planner sorts leaves on disk.
    await database.db.execute(sql`analyze audit_events, audit_leaves, audit_nodes`);
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await verifyLog(database.db);
      if (!r.ok) throw new Error(`verify failed: ${r.problems[0]}`);
      runs.push((r.events / r.ms) * 1000);
      console.log(
        `verify: ${r.events.toLocaleString('en')} events, ${r.checkpoints} checkpoints in ${(r.ms / 1000).toFixed(2)} s (${Math.round((r.events / r.ms) * 1000).toLocaleString('en')} events/s)`,
      );
    }
    runs.sort((a, b) => a - b);
    console.log(`verify median: ${Math.round(runs[1]).toLocaleString('en')} events/s (target ≥ 200,000)`);
  } finally {
    await database.close();
  }
}
