/**
 * `npm run bench -- catalog`: catalog search latency through HTTP against the real app, on a real
 * PostgreSQL with 100,000 datasets.
 *
 * A scratch database `steward_bench_catalog` is created (and dropped at the end) beside
 * BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres); 100,000 datasets over
 * 30 communities with varied tiers, statuses, languages, Local Contexts labels and licence versions
 * are generated in SQL. `steward serve` runs in its own process; requests are sent one at a time
 * (latency, not throughput). One table: per scenario the SQL time of its variants (EXPLAIN ANALYZE of
 * each statement a page runs, summed; median and worst; BENCH_EXPLAIN=1 prints the plans), HTTP
 * p50 / p95, and whether p95 ≤ 50 ms.
 * The load average is printed beside it: the machine is shared, compare SQL times across runs.
 *
 * env: BENCH_DATASETS (100000), BENCH_REQUESTS (300 per scenario), BENCH_KEEP=1 keeps the database,
 * BENCH_REUSE=1 reuses a kept one, BENCH_DB names it (steward_bench_catalog).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { systemCtx } from '../api/audit/audit.ts';
import * as datasetsRepo from '../api/datasets/datasets.repo.ts';
import { ListDatasets } from '../api/datasets/datasets.schema.ts';
import { catalogFilter } from '../api/datasets/datasets.service.ts';
import { createTokenFor } from '../api/tokens/tokens.service.ts';
import { ensureUser } from '../api/users/users.service.ts';
import { openDb } from '../db/index.ts';
import { memberships } from '../db/schema/index.ts';
import { type Actor, defineAbilityFor } from '../policies/index.ts';
import { dbUrl, serveSteward } from './bench-lib.ts';

const baseUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const total = Number(process.env.BENCH_DATASETS ?? 100_000);
const perScenario = Number(process.env.BENCH_REQUESTS ?? 300);
// BENCH_DB names the scratch database (so that two checkouts can bench side by side).
const NAME = process.env.BENCH_DB ?? 'steward_bench_catalog';

// Words are drawn with a Zipf-like skew (index = n·r^1.5): VOCAB[0] is in ~8% of titles and, with the
// synthetic words below, in ~25% of descriptions; late words are rare.
const VOCAB = [
  ...'river water land forest survey census health language song story map soil rain fish bird tree school village coast island mountain valley lake harbour road market farm crop seed weather climate record archive interview transcript photo audio video speech word dictionary grammar name place family genealogy elder youth ceremony festival history memory treaty law court council election budget hospital clinic disease vaccine nutrition diet sleep birth death migration labour income housing transport energy waste pollution flood drought fire storm earthquake tide current reef coral whale seal salmon eel kelp shell stone clay wood fibre weaving carving painting dance music drum flute canoe net trap hunt harvest garden orchard honey wool cattle sheep goat horse dog cat insect bee moth beetle spider frog snake lizard turtle'.split(
    ' ',
  ),
  ...'awa whenua ngahere reo waiata korero whakapapa marae iwi hapu whanau moana maunga roto kai wai rakau manu ika tangata mahi'.split(
    ' ',
  ),
  ...'rivière forêt terre chanson histoire langue école village côte île montagne lac pluie poisson oiseau arbre santé récolte mémoire archive'.split(
    ' ',
  ),
  ...'río bosque tierra canción lengua escuela pueblo montaña lago lluvia pez pájaro árbol salud cosecha memoria'.split(
    ' ',
  ),
  ...'quarterly annual regional national municipal longitudinal historical contemporary seasonal experimental synthetic annotated curated aggregated anonymised sampled weighted raw cleaned harmonised'.split(
    ' ',
  ),
  ...'acoustic benthic pelagic riparian alpine arid tropical temperate boreal coastal urban rural remote northern southern eastern western central upper lower'.split(
    ' ',
  ),
];

// Descriptions also draw from 3,375 made-up three-syllable words: a vocabulary as broad as real text.
const SYLLABLES = 'ka ro ne ti ma lu se vo ri pa do mi ga te bu'.split(' ');
const SYNTHETIC = SYLLABLES.flatMap((a) => SYLLABLES.flatMap((b) => SYLLABLES.map((c) => a + b + c)));
const DESCRIPTION_VOCAB = [...VOCAB, ...SYNTHETIC];

async function generate(url: string) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await sql`select setseed(0.42)`;
  await sql`
    insert into communities (slug, name)
    select 'bench-c' || lpad(i::text, 2, '0'), 'Bench community ' || i from generate_series(1, 30) i`;
  const t0 = performance.now();
  const chunk = 10_000;
  for (let start = 1; start <= total; start += chunk) {
    const end = Math.min(total, start + chunk - 1);
    await sql`
      with c as (select array_agg(id order by slug) as ids from communities where slug like 'bench-c%'),
      v as (select ${VOCAB}::text[] as w, ${VOCAB.length}::int as n,
                    ${DESCRIPTION_VOCAB}::text[] as dw, ${DESCRIPTION_VOCAB.length}::int as dn)
      insert into datasets (community_id, slug, title, summary, description, keywords, languages, labels,
                            tier, status, published_at, created_at, updated_at)
      select
        c.ids[1 + g % 30],
        'ds-' || g,
        initcap((select string_agg(v.w[1 + floor(v.n * random() ^ 1.5)::int + 0 * s.i], ' ')
                 from generate_series(1, 3 + g % 3) as s(i) where g > 0)),
        (select string_agg(v.w[1 + floor(v.n * random() ^ 1.5)::int + 0 * s.i], ' ')
         from generate_series(1, 12 + g % 7) as s(i) where g > 0),
        (select string_agg(v.dw[1 + floor(v.dn * random() ^ 1.5)::int + 0 * s.i], ' ')
         from generate_series(1, 40 + g % 60) as s(i) where g > 0),
        array(select v.w[1 + floor(v.n * random())::int + 0 * s.i] from generate_series(1, g % 5) as s(i) where g > 0),
        string_to_array((array['en', 'en-NZ', 'en', 'en,mi', 'fr', 'fr-CA', 'es', 'es-MX', 'de', 'mi',
               'mi-NZ', 'mi', 'haw', 'pt-BR', 'nl', 'sm', 'en', 'en', 'fr', ''])[1 + (g * 31) % 20], ','),
        case (g * 17) % 10
          when 0 then '[{"kind":"TK","type":"TK Attribution","text":"Attribute"}]'::jsonb
          when 1 then '[{"kind":"TK","type":"TK Attribution","text":"Attribute"},{"kind":"BC","type":"BC Provenance","text":"Provenance"}]'::jsonb
          when 2 then '[{"kind":"BC","type":"BC Provenance","text":"Provenance"}]'::jsonb
          when 3 then '[{"kind":"TK","type":"TK Community Voice","text":"Voice"}]'::jsonb
          when 4 then '[{"kind":"notice","type":"Open to Collaborate","text":"Notice"}]'::jsonb
          else '[]'::jsonb end,
        (array['open','open','open','open','registered','registered','gated','gated','restricted','closed'])[1 + (g * 7919) % 10]::access_tier,
        (case when (g::bigint * 104729) % 20 < 16 then 'published' when (g::bigint * 104729) % 20 < 19 then 'draft' else 'withdrawn' end)::dataset_status,
        case when (g::bigint * 104729) % 20 < 16 then timestamptz '2026-01-01' - (g / 5) * interval '10 minutes' end,
        -- five datasets share each creation time: ties for the keyset to break
        timestamptz '2026-01-01' - (g / 5) * interval '10 minutes',
        timestamptz '2026-01-01' - (g / 5) * interval '10 minutes'
      from generate_series(${start}::int, ${end}::int) g, c, v`;
    process.stdout.write(`\r  datasets ${end.toLocaleString('en')} / ${total.toLocaleString('en')}`);
  }
  await sql`
    insert into licence_versions (dataset_id, version, base, text, purposes)
    select id, 1, 'CC-BY-4.0', 'Terms.',
      string_to_array((array['research', 'research,education', 'ai', 'ai-training', 'education,journalism',
                             'commercial-product,ai', 'health-research'])[1 + (abs(hashtext(slug)) % 7)], ',')
    from datasets where abs(hashtext(slug)) % 10 < 7`;
  // A second version for some: the latest one is what counts.
  await sql`
    insert into licence_versions (dataset_id, version, base, text, purposes)
    select dataset_id, 2, 'CC-BY-NC-4.0', 'Narrower terms.', array['education']
    from licence_versions where abs(hashtext(dataset_id::text)) % 5 = 0`;
  await sql`analyze`;
  const [{ n, size }] = await sql`
    select count(*)::int as n, pg_size_pretty(pg_total_relation_size('datasets')) as size from datasets`;
  console.log(
    `\n  ${n} datasets (${size} with indexes) in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  await sql.end();
}

/** `steward serve` on the bench database, as the operator would run it. */
async function startServer(url: string, dataDir: string): Promise<{ child: ChildProcess; base: string }> {
  const s = await serveSteward({
    DATABASE_URL: url,
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    SEED_DEMO: 'false',
  });
  return { child: s.child, base: s.url };
}

interface Scenario {
  name: string;
  /** Query strings after `/api/v1/datasets?`. */
  variants: string[];
  token?: string;
  actor: Actor;
  headers?: Record<string, string>;
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

export async function benchCatalog() {
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  // BENCH_REUSE=1 with a database kept by BENCH_KEEP=1: skip the generation (while tuning indexes).
  const reuse = Boolean(process.env.BENCH_REUSE);
  if (!reuse) {
    await admin.unsafe(`drop database if exists ${NAME} with (force)`);
    await admin.unsafe(`create database ${NAME}`);
  }
  const url = dbUrl(NAME, baseUrl);
  const dataDir = mkdtempSync(join(tmpdir(), 'steward-bench-catalog-'));
  let server: ChildProcess | undefined;
  const handle = await openDb(url, { max: 2 });
  const raw = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await handle.migrate();
    if (!reuse) {
      console.log(`generating ${total.toLocaleString('en')} datasets…`);
      await generate(url);
    }
    // Fresh statistics and visibility map (a reused database may have new columns).
    await raw`vacuum analyze datasets, catalog_entries`;

    // A member of one community (its drafts and closed datasets join their catalog).
    const [community] = await raw`select id from communities where slug = 'bench-c03'`;
    const { user } = await ensureUser(handle.db, systemCtx('bench'), {
      email: 'member@example.org',
      name: 'Mo Member',
    });
    await handle.db
      .insert(memberships)
      .values({ communityId: community.id, userId: user.id, role: 'member' })
      .onConflictDoNothing();
    const { token } = await createTokenFor(
      { ...systemCtx('bench'), db: handle.db, now: new Date() },
      user.id,
      {
        name: 'bench',
        scopes: ['read'],
        expiresInDays: 1,
      },
    );
    const anon: Actor = { kind: 'anonymous' };
    const member: Actor = {
      kind: 'user',
      userId: user.id,
      isAdmin: false,
      memberships: [{ communityId: community.id, role: 'member' }],
      token: { id: 'bench', scopes: ['read'] },
    };

    const s = await startServer(url, dataDir);
    server = s.child;
    const api = (query: string, init: { token?: string; headers?: Record<string, string> } = {}) =>
      fetch(`${s.base}/api/v1/datasets?${query}`, {
        headers: { ...init.headers, ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) },
      });

    // Word frequencies: VOCAB[0] is in the most titles, a late index is rare.
    const common = VOCAB[0];
    const medium = VOCAB[40];
    const rare = VOCAB[200];
    const q = (w: string) => `q=${encodeURIComponent(w)}`;
    /** The cursor of page 5 (four `nextCursor` hops). */
    const page5 = async (query: string, init: { token?: string } = {}) => {
      let cursor = '';
      for (let i = 0; i < 4; i++) {
        const body = (await (await api(`${query}${cursor ? `&cursor=${cursor}` : ''}`, init)).json()) as {
          nextCursor: string | null;
        };
        if (!body.nextCursor) throw new Error(`${query} has fewer than 5 pages`);
        cursor = body.nextCursor;
      }
      return `${query}&cursor=${cursor}`;
    };

    const scenarios: Scenario[] = [
      { name: 'anonymous first page', variants: ['', 'limit=20'], actor: anon },
      {
        name: 'member first page',
        variants: ['includeDrafts=1', '', 'includeDrafts=1&limit=50'],
        token,
        actor: member,
      },
      {
        name: 'text query',
        variants: [
          q(common),
          q(medium),
          q(rare),
          q(`${common} ${medium}`),
          q(`"${VOCAB[1]} ${VOCAB[2]}"`),
          q('whakapapa'),
          q(`${common} or ${rare}`),
          q('rivers'),
        ],
        actor: anon,
      },
      {
        name: 'text query + filters',
        variants: [
          `${q(common)}&tier=open`,
          `${q(medium)}&purpose=ai-training`,
          `${q(common)}&language=en&label=${encodeURIComponent('TK Attribution')}`,
          `${q(medium)}&community=bench-c07`,
          `${q(rare)}&tier=gated&purpose=research`,
          `${q('rivière')}&language=fr`,
        ],
        actor: anon,
      },
      {
        name: 'filters, no text',
        variants: [
          'tier=open&language=mi',
          'purpose=health-research',
          `label=${encodeURIComponent('BC Provenance')}`,
          'community=bench-c11&tier=restricted',
          'purpose=journalism&language=de',
        ],
        actor: anon,
      },
      {
        name: 'page 5 via cursor',
        variants: [await page5(''), await page5('tier=open&language=en')],
        actor: anon,
      },
      {
        name: 'page 5 via cursor, text',
        variants: [
          await page5(q(common)),
          await page5(`${q(medium)}&tier=open`),
          await page5(q(`${common} ${medium}`)),
        ],
        actor: anon,
      },
      {
        name: 'page 5 via cursor (member)',
        variants: [await page5('includeDrafts=1', { token })],
        token,
        actor: member,
      },
    ];

    // The SQL alone, as the app runs it (the text query parsed first, then the steps of
    // `datasetsRepo.list` in order until the page is full), for every variant: EXPLAIN ANALYZE three
    // times, the last one counts (warm caches), summed over the steps. Less sensitive to load than HTTP.
    const explainMs = async (sc: Scenario, v: string) => {
      const f = await catalogFilter(
        { ability: defineAbilityFor(sc.actor), db: handle.db },
        ListDatasets.parse(Object.fromEntries(new URLSearchParams(v))),
      );
      let total = 0;
      let rows = 0;
      for (const step of datasetsRepo.catalogSteps(f)) {
        const { sql: text, params } = datasetsRepo.tierQuery(handle.db, f, step, f.limit - rows).toSQL();
        let plan: string[] = [];
        for (let i = 0; i < 3; i++) {
          plan = (await raw.unsafe(`explain (analyze, buffers) ${text}`, params as never[])).map(
            (r) => r['QUERY PLAN'] as string,
          );
        }
        if (process.env.BENCH_EXPLAIN)
          console.log(`\n${sc.name}: ${v} (step ${step})\n${plan.map((l) => `  ${l}`).join('\n')}`);
        total += Number(plan.find((l) => l.startsWith('Execution Time'))!.match(/[\d.]+/)![0]);
        rows += Number(plan[0].match(/actual time=\S+ rows=(\d+)/)![1]);
        if (rows >= f.limit) break;
      }
      return total;
    };

    const load = () =>
      loadavg()
        .map((l) => l.toFixed(1))
        .join(' ');
    console.log(`\nload average before: ${load()} (${cpus().length} cores)`);
    const results: { name: string; sql: number[]; p50: number; p95: number }[] = [];
    for (const sc of scenarios) {
      const sqlMs: number[] = [];
      for (const v of sc.variants) sqlMs.push(await explainMs(sc, v));
      const init = { token: sc.token, headers: sc.headers };
      for (const v of sc.variants)
        for (let i = 0; i < 5; i++) {
          const res = await api(v, init);
          if (res.status !== 200) throw new Error(`${sc.name} ${v}: ${res.status} ${await res.text()}`);
          await res.arrayBuffer();
        }
      const times: number[] = [];
      for (let i = 0; i < perScenario; i++) {
        const v = sc.variants[i % sc.variants.length];
        const t0 = performance.now();
        const res = await api(v, init);
        await res.json();
        times.push(performance.now() - t0);
        if (res.status !== 200) throw new Error(`${sc.name}: ${res.status}`);
      }
      times.sort((a, b) => a - b);
      sqlMs.sort((a, b) => a - b);
      results.push({ name: sc.name, sql: sqlMs, p50: pct(times, 50), p95: pct(times, 95) });
      process.stdout.write('.');
    }
    console.log(`\nload average after: ${load()}`);
    console.log(
      `\n${perScenario} sequential requests per scenario over HTTP (variants in turn, after a warm-up); SQL = EXPLAIN ANALYZE execution time, median and worst of the variants:\n`,
    );
    const row = (cells: string[]) =>
      `| ${cells.map((c, i) => (i ? c.padStart(12) : c.padEnd(28))).join(' | ')} |`;
    console.log(row(['scenario', 'SQL med/max', 'p50 ms', 'p95 ms', 'p95 ≤ 50 ms']));
    console.log(row(['-'.repeat(28), ...Array(4).fill(`${'-'.repeat(11)}:`)]));
    for (const r of results) {
      console.log(
        row([
          r.name,
          `${pct(r.sql, 50).toFixed(1)}/${r.sql[r.sql.length - 1].toFixed(1)}`,
          r.p50.toFixed(1),
          r.p95.toFixed(1),
          r.p95 <= 50 ? 'yes' : 'NO',
        ]),
      );
    }
  } finally {
    if (server && server.exitCode === null) {
      server.removeAllListeners('exit');
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    await raw.end();
    await handle.close();
    if (!process.env.BENCH_KEEP) await admin.unsafe(`drop database if exists ${NAME} with (force)`);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
