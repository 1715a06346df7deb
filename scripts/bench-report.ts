/**
 * `npm run bench -- report`: a 12-month community report over 1,000,000 download events on a real
 * PostgreSQL (target p50 ≤ 300 ms).
 *
 *   1. fills a scratch database (`steward_bench_report`) with BENCH_REPORT_EVENTS (1,000,000) `download.issued`
 *      events of one community spread over twelve months (2,000 users in 50 organisations, 6 purposes,
 *      10 datasets, 5% anonymous), 100,000 events of other communities and actions, and 2,000 access
 *      requests with grants, obligations and derived works;
 *   2. runs the whole report (`buildReport`, every part) BENCH_REPORT_RUNS (20) times after 3 warm-ups and
 *      prints p50 / p95, the plan of the downloads query, and the machine's load (`uptime`).
 *
 * The database is kept between runs with the same event count (BENCH_REPORT_FRESH=1 rebuilds it).
 * env: BENCH_DATABASE_URL as for the other benchmarks.
 */
import { execFileSync } from 'node:child_process';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { sequencerState } from '../api/audit/audit.repo.ts';
import { loadAuditKey } from '../api/audit/checkpoint.ts';
import { Sequencer } from '../api/audit/sequencer.ts';
import { downloadsSql, rollUp } from '../api/reports/reports.repo.ts';
import { parsePeriod } from '../api/reports/reports.schema.ts';
import { buildReport } from '../api/reports/reports.service.ts';
import { openDb, queryRows } from '../db/index.ts';
import { communities } from '../db/schema/index.ts';
import { benchBaseUrl, dbUrl } from './bench-lib.ts';

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

export async function benchReport() {
  const baseUrl = benchBaseUrl;
  const n = Number(process.env.BENCH_REPORT_EVENTS ?? 1_000_000);
  const runs = Number(process.env.BENCH_REPORT_RUNS ?? 20);
  const name = 'steward_bench_report';
  const url = dbUrl(name);
  // The twelve months that end with November 2026 (the seeded events' span).
  const period = parsePeriod({ from: '2025-12-01', to: '2026-11-30' }, new Date());

  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  const exists = (await admin`select 1 from pg_database where datname = ${name}`).length > 0;
  let fresh = !exists || process.env.BENCH_REPORT_FRESH === '1';
  if (!fresh) {
    const probe = postgres(url, { max: 1, onnotice: () => {} });
    const [{ count }] = await probe`select count(*)::int as count from audit_events e
      join communities c on c.id = e.community_id where c.slug = 'bench' and e.action = 'download.issued'
        and e.subject_id <> 'live'`.catch(() => [{ count: -1 }]);
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
    if (fresh) {
      const raw = postgres(url, { max: 1, onnotice: () => {} });
      const t0 = performance.now();
      await raw.unsafe(`
        insert into communities (slug, name) values ('bench', 'Bench commons'), ('elsewhere', 'Elsewhere');
        insert into users (email, name, home_organization)
          select 'u' || i || '@bench.test', 'User ' || i, 'Organisation ' || (i % 50) from generate_series(1, 2000) i;
        insert into datasets (community_id, slug, title, tier, status)
          select c.id, 'bench-' || i, 'Bench dataset ' || i, 'gated', 'published'
          from communities c, generate_series(1, 10) i where c.slug = 'bench';
        insert into licence_versions (dataset_id, version, base, text)
          select id, 1, 'CC-BY-4.0', 'bench' from datasets;`);
      // Downloads: uniform over the twelve months; purposes, users and datasets spread like real use.
      await raw.unsafe(`
        with u as (select array_agg(id order by email) a from users),
             d as (select array_agg(id order by slug) a from datasets),
             c as (select id from communities where slug = 'bench')
        insert into audit_events (at, actor_type, actor_id, action, community_id, dataset_id, subject_type,
          subject_id, purpose, details, request_id)
        select timestamptz '2025-12-01 00:00:00+00' + (random() * interval '364 days 23 hours'),
          case when i % 20 = 0 then 'anonymous' else 'token' end,
          case when i % 20 = 0 then null else u.a[1 + ((i::bigint * 7919) % 2000)::int] end,
          'download.issued', c.id, d.a[1 + i % 10], 'File', gen_random_uuid()::text,
          case when i % 20 = 0 then null else (array['research','ai-training','ai-evaluation','education','health-research','journalism'])[1 + i % 6] end,
          jsonb_build_object('release', gen_random_uuid(), 'size', i::bigint * 1024, 'tier', 'gated', 'grant', gen_random_uuid()),
          gen_random_uuid()::text
        from generate_series(1, ${n}) i, u, d, c`);
      // Noise: other communities' downloads and other acts of this one.
      await raw.unsafe(`
        insert into audit_events (at, actor_type, action, community_id, subject_type, subject_id, details)
        select timestamptz '2025-12-01 00:00:00+00' + (random() * interval '364 days'), 'user',
          case when i % 2 = 0 then 'download.issued' else 'dataset.updated' end,
          (select id from communities where slug = case when i % 2 = 0 then 'elsewhere' else 'bench' end),
          'File', i::text, '{}'::jsonb
        from generate_series(1, 100000) i`);
      await raw.unsafe(`
        insert into access_requests (dataset_id, requester_id, purpose_category, purpose_description, commercial,
          for_profit, licence_version_id, licence_accepted_at, status, status_changed_at, match_result, created_at)
        select lv.dataset_id, u.id, 'research', 'bench', false, false, lv.id, t, s::request_status,
          t + (random() * interval '20 days'), 'abstain', t
        from (select i, timestamptz '2025-12-01 00:00:00+00' + (random() * interval '360 days') t,
                (array['approved','denied','submitted','in_review'])[1 + i % 4] s
              from generate_series(1, 2000) i) x
        join lateral (select * from licence_versions order by id offset (x.i % 10) limit 1) lv on true
        join lateral (select id from users order by email offset (x.i % 2000) limit 1) u on true;
        insert into grants (dataset_id, request_id, kind, licence_version_id, purpose_category, starts_at, expires_at, created_at)
          select r.dataset_id, r.id, 'request', r.licence_version_id, 'research', r.status_changed_at,
            r.status_changed_at + interval '180 days', r.status_changed_at
          from access_requests r where r.status = 'approved';
        insert into grantees (grant_id, user_id) select g.id, r.requester_id from grants g join access_requests r on r.id = g.request_id;
        insert into obligations (grant_id, kind, timing, due_at, created_at)
          select id, 'report-use', 'after-grant', starts_at + interval '90 days', created_at from grants;
        insert into derived_works (grant_id, dataset_id, kind, title, created_at)
          select id, dataset_id, 'model', 'Model ' || id, created_at + interval '30 days' from grants where random() < 0.3;`);
      await raw.unsafe('vacuum analyze');
      await raw.end();
      console.log(
        `inserted ${n.toLocaleString('en')} downloads + 100,000 other events in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    }
    if (fresh) {
      // As in production: the sequencer puts the events in the tree, the reports roll them up.
      const key = await loadAuditKey(database.db, 'http://bench.local');
      const t1 = performance.now();
      const { added } = await new Sequencer(database.db, key, { batchSize: 10_000 }).flush();
      console.log(
        `sequencer: ${added.toLocaleString('en')} events in ${((performance.now() - t1) / 1000).toFixed(1)} s`,
      );
      const t2 = performance.now();
      let leaves = 0;
      for (let k = await rollUp(database.db); k > 0; k = await rollUp(database.db)) leaves += k;
      const rolled = await queryRows(database.db, sql`select count(*)::int as n from download_counts`);
      console.log(
        `rollup catch-up: ${leaves.toLocaleString('en')} leaves in ${((performance.now() - t2) / 1000).toFixed(1)} s → ${JSON.stringify(rolled[0])} rollup rows`,
      );
      await database.db.execute(sql`vacuum analyze download_counts`);
    }
    const [community] = await database.db.select().from(communities).where(sql`slug = 'bench'`);
    // A fresh download (not yet in the tree) on top, so that the live tail is part of what is measured.
    await database.db.execute(sql`insert into audit_events (actor_type, action, community_id, dataset_id, subject_type, subject_id)
      select 'anonymous', 'download.issued', community_id, dataset_id, 'File', 'live' from download_counts limit 1`);
    const plan = await queryRows<{ 'QUERY PLAN': string }>(
      database.db,
      sql`explain (analyze, buffers) ${downloadsSql({ communityId: community.id, start: period.start, end: period.end }, (await sequencerState(database.db)).floor)}`,
    );
    console.log(plan.map((r) => `  ${r['QUERY PLAN']}`).join('\n'));
    for (let i = 0; i < 3; i++) await buildReport(database.db, community, undefined, period);
    const ms: number[] = [];
    let total = 0;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const r = await buildReport(database.db, community, undefined, period);
      ms.push(performance.now() - t);
      total = r.downloads.total;
    }
    console.log(
      `report: 12 months, ${total.toLocaleString('en')} downloads counted, ${runs} runs: p50 ${pct(ms, 50).toFixed(0)} ms, p95 ${pct(ms, 95).toFixed(0)} ms (target p50 ≤ 300 ms)`,
    );
    console.log(`uptime: ${execFileSync('uptime').toString().trim()}`);
  } finally {
    await database.close();
  }
}
