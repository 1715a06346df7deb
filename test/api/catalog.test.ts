import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TS_CONFIGS, tsConfigFor } from '../../api/datasets/search-config.ts';
import { datasets, type LocalContextsLabel, licenceVersions } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

interface Item {
  slug: string;
  title: string;
  status: string;
  labels: LocalContextsLabel[];
}
interface Page {
  items: Item[];
  nextCursor: string | null;
}

/**
 * Catalog search (GET /datasets): full-text ranked, language-aware, every filter and the policy in
 * SQL, cursor-paginated.
 */
describe('catalog search', () => {
  let app: TestApp;
  let admin: { token: string };
  let s1: { token: string };
  let s2: { token: string };
  let member1: { token: string };
  let outsider: { token: string };

  const create = async (
    token: string,
    body: Record<string, unknown>,
    opts: {
      publish?: boolean;
      labels?: LocalContextsLabel[];
      licences?: { purposes: string[]; withdrawn?: boolean }[];
    } = {},
  ) => {
    const res = await app.api('/datasets', { method: 'POST', token, json: body });
    expect(res.status).toBe(201);
    const d = await res.json();
    if (opts.publish !== false) {
      expect((await app.api(`/datasets/${d.slug}/publish`, { method: 'POST', token })).status).toBe(200);
    }
    if (opts.labels) {
      await app.database.db.update(datasets).set({ labels: opts.labels }).where(eq(datasets.id, d.id));
    }
    // Licence versions straight into their table: the licence endpoints are built elsewhere.
    for (const [i, l] of (opts.licences ?? []).entries()) {
      await app.database.db.insert(licenceVersions).values({
        datasetId: d.id,
        version: i + 1,
        base: 'CC-BY-4.0',
        text: 'terms',
        purposes: l.purposes,
        status: l.withdrawn ? 'withdrawn' : 'published',
      });
    }
    return d;
  };

  beforeAll(async () => {
    app = await startTestApp();
    admin = await app.user({ email: 'admin@test.org', admin: true });
    for (const [slug, name, steward] of [
      ['river-people', 'River People', 's1@test.org'],
      ['forest-folk', 'Forest Folk', 's2@test.org'],
    ]) {
      await app.api('/communities', {
        method: 'POST',
        token: admin.token,
        json: { slug, name, stewardEmail: steward },
      });
    }
    s1 = await app.user({ email: 's1@test.org' });
    s2 = await app.user({ email: 's2@test.org' });
    member1 = await app.user({ email: 'm1@test.org' });
    outsider = await app.user({ email: 'out@test.org' });
    await app.api('/communities/river-people/members', {
      method: 'POST',
      token: s1.token,
      json: { email: 'm1@test.org', role: 'member' },
    });

    // Created oldest first: the title hit is older than the description hit, so rank — not
    // recency — must put it first.
    await create(
      s1.token,
      {
        community: 'river-people',
        slug: 'river-words',
        title: 'River words',
        summary: 'Whānau names for water',
        languages: ['mi-NZ'],
        keywords: ['awa'],
      },
      {
        labels: [{ kind: 'TK', type: 'TK Attribution', text: 'Attribute the river people.' }],
        licences: [{ purposes: ['research'] }],
      },
    );
    await create(
      s1.token,
      {
        community: 'river-people',
        slug: 'valley-songs',
        title: 'Songs of the valley',
        summary: 'Recorded singing',
        description: 'Sung beside the river at dawn.',
        languages: ['en'],
        tier: 'registered',
      },
      {
        labels: [{ kind: 'BC', type: 'BC Provenance', text: 'Collected with consent.' }],
        // v2 narrowed the purposes; v3 was withdrawn: v2 is what counts.
        licences: [
          { purposes: ['research'] },
          { purposes: ['ai'] },
          { purposes: ['education'], withdrawn: true },
        ],
      },
    );
    await create(
      s2.token,
      {
        community: 'forest-folk',
        slug: 'forest-rivers',
        title: 'Les rivières de la forêt',
        summary: 'Relevés hydrologiques',
        languages: ['fr'],
        tier: 'gated',
      },
      { licences: [{ purposes: ['education'] }] },
    );
    await create(s1.token, {
      community: 'river-people',
      slug: 'closed-river',
      title: 'Secret river maps',
      tier: 'closed',
    });
    await create(
      s1.token,
      { community: 'river-people', slug: 'draft-river', title: 'Unpublished river draft' },
      { publish: false },
    );
    // 25 datasets with the same text, all created in one statement (one timestamp): ties
    // everywhere, broken only by id.
    const [{ id: c2 }] = await app.database.db
      .select({ id: datasets.communityId })
      .from(datasets)
      .where(eq(datasets.slug, 'forest-rivers'));
    const at = new Date('2026-01-01T00:00:00.123456Z');
    await app.database.db.insert(datasets).values(
      Array.from({ length: 25 }, (_, i) => ({
        communityId: c2,
        slug: `bulk-${i}`,
        title: `Bulk census ${i % 2 ? 'sheet' : 'table'}`,
        summary: 'Tallies',
        status: 'published' as const,
        publishedAt: at,
        createdAt: at,
        updatedAt: at,
      })),
    );
  });
  afterAll(() => app?.stop());

  const search = async (query: string, init: { token?: string; headers?: Record<string, string> } = {}) => {
    const res = await app.api(`/datasets?${query}`, init);
    expect(res.status).toBe(200);
    return (await res.json()) as Page;
  };
  const slugs = async (query: string, init: { token?: string; headers?: Record<string, string> } = {}) =>
    (await search(query, init)).items.map((i) => i.slug);
  /** Every page of a query, following the cursor. */
  const allPages = async (query: string, token?: string) => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await search(`${query}${cursor ? `&cursor=${cursor}` : ''}`, { token });
      seen.push(...page.items.map((i) => i.slug));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 50);
    return { seen, pages };
  };

  it('finds words in title, keywords and summary; a title hit ranks above a description hit', async () => {
    expect(await slugs('q=river')).toEqual(['river-words', 'valley-songs']);
    expect(await slugs('q=awa')).toEqual(['river-words']);
    expect(await slugs('q=whānau')).toEqual(['river-words']);
    expect(await slugs('q=dawn')).toEqual(['valley-songs']);
    expect(await slugs('q=nothing-like-this')).toEqual([]);
    // websearch syntax: phrases, or, exclusion.
    expect(await slugs('q=%22river%20words%22')).toEqual(['river-words']);
    expect(await slugs('q=river%20-dawn')).toEqual(['river-words']);
    expect(await slugs('q=awa%20or%20dawn')).toHaveLength(2);
  });

  it('is language-aware: stems in the dataset language, parses the query in the reader languages', async () => {
    // English stemming of the query ("rivers" → river) finds the Māori-tagged dataset's plain word
    // and the English description's stem.
    expect(await slugs('q=rivers')).toEqual(['river-words', 'valley-songs']);
    expect(await slugs('q=singing')).toEqual(['valley-songs']);
    expect(await slugs('q=sing')).toEqual(['valley-songs']); // "singing" stemmed in the English summary
    // French: "rivière" finds "rivières" only through the French stemmer — from Accept-Language
    // or the language filter; a plain-word query without it does not.
    expect(await slugs('q=rivière')).toEqual([]);
    expect(await slugs('q=rivière', { headers: { 'accept-language': 'fr-CH, fr;q=0.9, en;q=0.8' } })).toEqual(
      ['forest-rivers'],
    );
    expect(await slugs('q=rivière&language=fr')).toEqual(['forest-rivers']);
    // The exact word is found whatever the reader's language.
    expect(await slugs('q=rivières', { headers: { 'accept-language': 'de' } })).toEqual(['forest-rivers']);
  });

  it('filters by tier, community, label type and language', async () => {
    expect(await slugs('q=river&tier=registered')).toEqual(['valley-songs']);
    expect(await slugs('tier=gated')).toEqual(['forest-rivers']);
    expect((await slugs('community=river-people')).sort()).toEqual(['river-words', 'valley-songs']);
    expect(await slugs('q=river&community=forest-folk')).toEqual([]);
    expect(await slugs('label=TK%20Attribution')).toEqual(['river-words']);
    expect(await slugs('label=BC%20Provenance&q=river')).toEqual(['valley-songs']);
    expect(await slugs('label=TK%20Notice')).toEqual([]);
    // A primary tag matches its regional forms; case does not matter.
    expect(await slugs('language=mi')).toEqual(['river-words']);
    expect(await slugs('language=MI-nz')).toEqual(['river-words']);
    expect(await slugs('language=mi-AU')).toEqual([]);
    expect(await slugs('language=en')).toEqual(['valley-songs']);
    expect(await slugs('language=fr&tier=open')).toEqual([]);
  });

  it('filters by permitted purpose in the latest published licence version, broader purposes included', async () => {
    expect(await slugs('purpose=research')).toEqual(['river-words']); // valley-songs' v1 is superseded
    expect(await slugs('purpose=ai')).toEqual(['valley-songs']);
    expect(await slugs('purpose=ai-training')).toEqual(['valley-songs']); // ai permits ai-training
    expect(await slugs('purpose=health-research')).toEqual(['river-words']); // research permits it
    expect(await slugs('purpose=disease-specific:MONDO:0005015')).toEqual(['river-words']);
    expect(await slugs('purpose=education')).toEqual(['forest-rivers']); // the withdrawn v3 does not count
    expect(await slugs('purpose=journalism')).toEqual([]);
    expect(await slugs('purpose=research&q=river&language=mi')).toEqual(['river-words']);
  });

  it('pages through ties without gaps or duplicates, plain and ranked', async () => {
    const whole = await slugs('q=bulk&limit=100');
    expect(whole).toHaveLength(25);
    const ranked = await allPages('q=bulk&limit=7');
    expect(ranked.pages).toBe(4);
    expect(ranked.seen).toEqual(whole);

    const everything = await slugs('limit=100');
    expect(everything).toHaveLength(28);
    const plain = await allPages('limit=4');
    expect(plain.pages).toBe(7);
    expect(plain.seen).toEqual(everything);
    expect(new Set(plain.seen).size).toBe(28);

    // Filters hold across pages; a steward's drafts page too.
    const census = await allPages('q=census%20sheet&limit=5');
    expect(census.seen).toHaveLength(12);
    expect(census.seen.every((s) => Number(s.split('-')[1]) % 2 === 1)).toBe(true);
    const drafts = await allPages('includeDrafts=1&community=river-people&limit=1', s1.token);
    expect(drafts.seen.sort()).toEqual(['closed-river', 'draft-river', 'river-words', 'valley-songs']);
    expect((await search('limit=100')).nextCursor).toBeNull();
    expect((await search('')).items).toHaveLength(20); // the default limit
  });

  it('never shows a closed or draft dataset to outsiders, even for an exact query', async () => {
    for (const token of [undefined, outsider.token, s2.token]) {
      const init = { token };
      expect(await slugs('q=%22Secret%20river%20maps%22', init)).toEqual([]);
      expect(await slugs('q=Unpublished%20river%20draft&includeDrafts=1', init)).toEqual([]);
      expect(await slugs('tier=closed&includeDrafts=1&community=river-people', init)).toEqual([]);
      expect(await slugs('q=river&includeDrafts=1&limit=100', init)).toEqual(['river-words', 'valley-songs']);
    }
    // A member of the owning community sees the closed dataset and the draft.
    expect(await slugs('q=%22Secret%20river%20maps%22', { token: member1.token })).toEqual(['closed-river']);
    expect(await slugs('q=river&includeDrafts=1', { token: member1.token })).toHaveLength(4);
    // Their steward sees their own drafts when asking for them, not otherwise.
    expect(await slugs('q=Unpublished%20river%20draft', { token: s1.token })).toEqual([]);
    const mine = await search('q=Unpublished%20river%20draft&includeDrafts=1', { token: s1.token });
    expect(mine.items).toEqual([expect.objectContaining({ slug: 'draft-river', status: 'draft' })]);
  });

  const expectProblem = async (res: Response, code: string) => {
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect((await res.json()).code).toBe(code);
  };

  it('answers a bad cursor with 400 invalid_cursor', async () => {
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const plainCursor = (await search('limit=1')).nextCursor!;
    const rankedCursor = (await search('q=bulk&limit=1')).nextCursor!;
    for (const bad of [
      'not-a-cursor',
      '%%%',
      enc({ t: 'yesterday', i: '1' }),
      // Well-formed ISO, but a time PostgreSQL refuses (year 0): a 400, not the database's error.
      enc({ t: '0000-01-01T00:00:00Z', i: '00000000-0000-4000-8000-000000000000' }),
      enc({ t: '2026-01-01T00:00:00Z', i: 'x'.repeat(36) }),
      enc({ r: 'NaN', t: '2026-01-01T00:00:00Z', i: '00000000-0000-4000-8000-000000000000' }),
      enc([1, 2, 3]),
      enc(null),
      Buffer.from('{"t":').toString('base64url'),
    ]) {
      await expectProblem(await app.api(`/datasets?cursor=${bad}`), 'invalid_cursor');
    }
    // A listing's cursor does not fit a ranked query, nor the other way round.
    await expectProblem(await app.api(`/datasets?q=bulk&cursor=${plainCursor}`), 'invalid_cursor');
    await expectProblem(await app.api(`/datasets?cursor=${rankedCursor}`), 'invalid_cursor');
    await expectProblem(await app.api(`/datasets?cursor=${'a'.repeat(600)}`), 'validation_failed');
  });

  it('answers odd queries without a 500; bad filters are 400 validation_failed', async () => {
    for (const q of [
      '"',
      "'",
      "it's",
      'a:b',
      'river:*',
      '&',
      '!',
      '!!river',
      '|| &&',
      '(river',
      'river)',
      '<->',
      '\\',
      '-',
      'or',
      '""',
      'the',
      '😀 река 河 نهر',
      'river\u0000words',
      '%',
      '_',
      'x'.repeat(1000),
      'river '.repeat(150),
    ]) {
      const res = await app.api(`/datasets?q=${encodeURIComponent(q)}`);
      expect(res.status, q.slice(0, 20)).toBe(200);
      expect(Array.isArray((await res.json()).items)).toBe(true);
    }
    // Bytes that are not UTF-8, and broken percent-escapes, as a client may send them.
    for (const raw of ['%ED%A0%80', '%FF', '%C0%AF', '%', '%%', '%E2%82']) {
      const res = await app.api(`/datasets?q=${raw}`);
      expect(res.status, raw).toBe(200);
    }
    expect(await slugs(`q=${encodeURIComponent('river\u0000words')}`)).toEqual(['river-words']);
    expect(await slugs(`q=${encodeURIComponent("'river'")}`)).toEqual(['river-words', 'valley-songs']);
    await expectProblem(await app.api(`/datasets?q=${'x'.repeat(10_000)}`), 'validation_failed');
    await expectProblem(await app.api('/datasets?q=a&q=b'), 'validation_failed');
    for (const bad of [
      'tier=secret',
      'limit=0',
      'limit=101',
      'limit=abc',
      'purpose=a%20b',
      `purpose=${'p'.repeat(101)}`,
      'language=english',
      'language=e',
      'community=Bad%20Slug',
      `label=${'l'.repeat(101)}`,
      'label=',
    ]) {
      await expectProblem(await app.api(`/datasets?${bad}`), 'validation_failed');
    }
    // Odd Accept-Language headers are ignored, never an error.
    for (const h of ['*', ';;;', 'xx-yy-zz-00000000000', 'en;q=abc', ',,,', 'q=1']) {
      expect((await app.api('/datasets?q=river', { headers: { 'accept-language': h } })).status).toBe(200);
    }
  });

  it('maps languages to the same text search configurations in SQL and in TypeScript', async () => {
    const tags = [...Object.keys(TS_CONFIGS), 'mi', 'haw', 'en-NZ', 'PT-br', 'x'];
    const result: unknown = await app.database.db.execute(
      sql`select t.tag, catalog_ts_config(array[t.tag])::text as cfg from unnest(${`{${tags.join(',')}}`}::text[]) as t(tag)`,
    );
    // postgres.js answers an array, PGlite an object with `rows`.
    const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as {
      tag: string;
      cfg: string;
    }[];
    expect(Object.fromEntries(rows.map((r) => [r.tag, r.cfg]))).toEqual(
      Object.fromEntries(tags.map((t) => [t, tsConfigFor(t)])),
    );
    expect(tsConfigFor('mi')).toBe('simple');
    expect(tsConfigFor('en-NZ')).toBe('english');
  });

  it('presents labels and no search internals in catalog entries', async () => {
    const [item] = (await search('q=awa')).items as unknown as Record<string, unknown>[];
    expect(item.labels).toEqual([
      { kind: 'TK', type: 'TK Attribution', text: 'Attribute the river people.' },
    ]);
    expect(Object.keys(item)).not.toEqual(expect.arrayContaining(['search']));
    expect(item).not.toHaveProperty('rank');
    expect(item).not.toHaveProperty('createdAtKey');
  });
});

/**
 * The text query's order at scale: tiers by the best part of the document the whole query matches
 * in — title or keywords (ranked), summary, description — the last two newest first, with the tier
 * in the cursor.
 */
describe('catalog search tiers', () => {
  let app: TestApp;
  let communityId: string;
  let n = 0;
  /** Published datasets straight into their table, each a minute newer than the one before. */
  const insert = async (
    rows: { slug: string; title: string; summary?: string; description?: string; keywords?: string[] }[],
    at?: Date,
  ) => {
    await app.database.db.insert(datasets).values(
      rows.map((r) => {
        const t = at ?? new Date(Date.UTC(2026, 0, 1, 0, n++));
        return {
          communityId,
          status: 'published' as const,
          publishedAt: t,
          createdAt: t,
          updatedAt: t,
          ...r,
        };
      }),
    );
  };
  const search = async (query: string) => {
    const res = await app.api(`/datasets?${query}`);
    expect(res.status).toBe(200);
    return (await res.json()) as Page;
  };
  const slugs = async (query: string) => (await search(query)).items.map((i) => i.slug);

  beforeAll(async () => {
    app = await startTestApp();
    const admin = await app.user({ email: 'admin@test.org', admin: true });
    const res = await app.api('/communities', {
      method: 'POST',
      token: admin.token,
      json: { slug: 'estuary-keepers', name: 'Estuary Keepers', stewardEmail: 's@test.org' },
    });
    expect(res.status).toBe(201);
    communityId = (await res.json()).id;
    // Oldest first, weakest last: newest-first order would reverse them.
    await insert([
      { slug: 'in-title', title: 'Estuary birds', description: 'Counted at the mudflat.' },
      { slug: 'in-keywords', title: 'Bird counts', keywords: ['estuary'] },
      { slug: 'in-summary-old', title: 'Tide gauge', summary: 'Estuary levels' },
      { slug: 'in-summary-new', title: 'Tide table', summary: 'Estuary tides' },
      // The older one says it three times (a higher ts_rank); in its tier the newer comes first.
      { slug: 'in-description-old', title: 'Field notes', description: 'Estuary, estuary, estuary.' },
      { slug: 'in-description-new', title: 'Survey', description: 'Walked the estuary once.' },
    ]);
  });
  afterAll(() => app?.stop());

  it('orders title and keyword hits (ranked), then summary hits, then description hits, each newest first', async () => {
    expect(await slugs('q=estuary')).toEqual([
      'in-title',
      'in-keywords',
      'in-summary-new',
      'in-summary-old',
      'in-description-new',
      'in-description-old',
    ]);
    // The whole query must match within a tier's part: "estuary birds" is in the title, "bird
    // counts estuary" only across title and keywords (still tier 1), "tide estuary" across title and summary.
    expect(await slugs('q=%22estuary%20birds%22')).toEqual(['in-title']);
    expect(await slugs('q=tide%20estuary')).toEqual(['in-summary-new', 'in-summary-old']);
    expect(await slugs('q=field%20estuary')).toEqual(['in-description-old']);
  });

  it('excludes words found anywhere, the description included', async () => {
    // "mudflat" is only in in-title's description.
    expect(await slugs('q=estuary%20-mudflat')).toEqual([
      'in-keywords',
      'in-summary-new',
      'in-summary-old',
      'in-description-new',
      'in-description-old',
    ]);
    expect(await slugs('q=birds%20-mudflat')).toEqual(['in-keywords']);
  });

  it('pages across the tiers without gaps or duplicates, ties broken by id', async () => {
    const at = new Date('2026-02-01T00:00:00Z');
    await insert(
      Array.from({ length: 21 }, (_, i) => {
        const where = i % 3;
        return {
          slug: `heron-${i}`,
          title: where === 0 ? `Heron ${i}` : `Wader ${i}`,
          summary: where === 1 ? 'Heron roosts' : '',
          description: where === 2 ? 'A heron was seen.' : '',
        };
      }),
      at,
    );
    const whole = await slugs('q=heron&limit=100');
    expect(whole).toHaveLength(21);
    const tierOf = (slug: string) => Number(slug.split('-')[1]) % 3;
    expect(whole.map(tierOf)).toEqual([...Array(7).fill(0), ...Array(7).fill(1), ...Array(7).fill(2)]);
    for (const limit of [1, 4, 7]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: Page = await search(`q=heron&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...page.items.map((i) => i.slug));
        cursor = page.nextCursor;
      } while (cursor && seen.length < 100);
      expect(seen, `limit ${limit}`).toEqual(whole);
    }
  });

  it('answers a cursor of another kind with 400 invalid_cursor', async () => {
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const t = '2026-01-01T00:00:00.000000Z';
    const i = '00000000-0000-4000-8000-000000000000';
    for (const [query, cursor] of [
      ['', { k: 2, t, i }],
      ['q=estuary&', { k: 4, t, i }],
      ['q=estuary&', { k: 1, t, i }],
      ['q=estuary&', { t, i }],
    ] as const) {
      const res = await app.api(`/datasets?${query}cursor=${enc(cursor)}`);
      expect(res.status, JSON.stringify(cursor)).toBe(400);
      expect((await res.json()).code).toBe('invalid_cursor');
    }
    // A tier-1 cursor given out before the tiers (no `k`) still pages.
    expect((await app.api(`/datasets?q=estuary&cursor=${enc({ r: 0.5, t, i })}`)).status).toBe(200);
  });
});

/**
 * Tier 1 is ranked in `catalog_entries`, the narrow copy of `datasets` that a trigger keeps: every
 * way a dataset changes (created, edited, published, withdrawn, relabelled, deleted) shows in the
 * catalog at once, and the copy equals what `datasets` derives.
 */
describe('catalog entries', () => {
  let app: TestApp;
  let steward: { token: string };
  let builder: { token: string };

  const search = async (query: string, token?: string) => {
    const res = await app.api(`/datasets?${query}`, { token });
    expect(res.status).toBe(200);
    return ((await res.json()) as Page).items.map((i) => i.slug);
  };
  const patch = async (slug: string, json: Record<string, unknown>) =>
    expect((await app.api(`/datasets/${slug}`, { method: 'PATCH', token: steward.token, json })).status).toBe(
      200,
    );
  /** Rows where the copy differs from what `datasets` says, either way; none when in step. */
  const drift = async () => {
    const result: unknown = await app.database.db.execute(sql`
      select coalesce(d.slug, e.dataset_id::text) as slug
      from datasets d full join catalog_entries e on e.dataset_id = d.id
      where (d.id, d.community_id, d.status, d.tier, d.created_at, d.language_keys, d.search_title)
              is distinct from
            (e.dataset_id, e.community_id, e.status, e.tier, e.created_at, e.language_keys, e.search_title)
         or e.label_types is distinct from
            coalesce((select array_agg(distinct l ->> 'type' order by l ->> 'type')
                      from jsonb_array_elements(d.labels) l), '{}')`);
    return (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { slug: string }[];
  };

  beforeAll(async () => {
    app = await startTestApp();
    const admin = await app.user({ email: 'admin@test.org', admin: true });
    const res = await app.api('/communities', {
      method: 'POST',
      token: admin.token,
      json: { slug: 'harbour-crew', name: 'Harbour Crew', stewardEmail: 's@test.org' },
    });
    expect(res.status).toBe(201);
    steward = await app.user({ email: 's@test.org' });
    builder = await app.user({ email: 'b@test.org' });
    for (const [slug, title, summary] of [
      ['tide-log', 'Tide log', 'Harbour levels'],
      ['eel-counts', 'Eel counts', 'Harbour eels'],
    ]) {
      const created = await app.api('/datasets', {
        method: 'POST',
        token: steward.token,
        json: { community: 'harbour-crew', slug, title, summary, languages: ['en'] },
      });
      expect(created.status).toBe(201);
    }
  });
  afterAll(() => app?.stop());

  it('follows every change of a dataset', async () => {
    expect(await drift()).toEqual([]);
    // Drafts: in the steward's catalog only.
    expect(await search('q=tide&includeDrafts=1', steward.token)).toEqual(['tide-log']);
    expect(await search('q=tide')).toEqual([]);
    for (const slug of ['tide-log', 'eel-counts']) {
      expect(
        (await app.api(`/datasets/${slug}/publish`, { method: 'POST', token: steward.token })).status,
      ).toBe(200);
    }
    expect(await search('q=tide')).toEqual(['tide-log']);
    // "harbour" is in both summaries (tier 2) until a title says it (tier 1, first).
    expect(await search('q=harbour')).toEqual(['eel-counts', 'tide-log']);
    await patch('tide-log', { title: 'Harbour tide log' });
    expect(await search('q=harbour')).toEqual(['tide-log', 'eel-counts']);
    // Keywords are tier 1 too, stemmed in the dataset's language: "gauging" → gaug.
    await patch('eel-counts', { keywords: ['gauging'] });
    expect(await search('q=gauges')).toEqual(['eel-counts']);
    // The language decides the stemmer and the language filter.
    await patch('eel-counts', { languages: ['mi'] });
    expect(await search('q=gauges')).toEqual([]);
    expect(await search('q=gauging&language=mi')).toEqual(['eel-counts']);
    expect(await search('q=gauging&language=en')).toEqual([]);
    // Labels: the label filter beside a text query.
    await patch('tide-log', { labels: [{ kind: 'TK', type: 'TK Attribution', text: 'Name the crew.' }] });
    expect(await search('q=harbour&label=TK%20Attribution')).toEqual(['tide-log']);
    await patch('tide-log', { labels: [] });
    expect(await search('q=harbour&label=TK%20Attribution')).toEqual([]);
    // The tier: a closed dataset leaves the public catalog, a gated one matches its tier filter.
    await patch('tide-log', { tier: 'closed' });
    expect(await search('q=harbour', builder.token)).toEqual(['eel-counts']);
    expect(await search('q=harbour', steward.token)).toEqual(['tide-log', 'eel-counts']);
    await patch('tide-log', { tier: 'gated' });
    expect(await search('q=harbour&tier=gated')).toEqual(['tide-log']);
    // Withdrawn: gone from the catalog.
    expect(
      (await app.api('/datasets/tide-log/withdraw', { method: 'POST', token: steward.token })).status,
    ).toBe(200);
    expect(await search('q=harbour')).toEqual(['eel-counts']);
    expect(await drift()).toEqual([]);
  });

  it('follows writes that bypass the api, and deletes', async () => {
    const [{ communityId }] = await app.database.db
      .select({ communityId: datasets.communityId })
      .from(datasets)
      .where(eq(datasets.slug, 'eel-counts'));
    await app.database.db.insert(datasets).values({
      communityId,
      slug: 'buoy-feed',
      title: 'Buoy feed',
      status: 'published',
      publishedAt: new Date(),
      labels: [{ kind: 'BC', type: 'BC Provenance', text: 'From the buoys.' }],
    });
    expect(await search('q=buoy&label=BC%20Provenance')).toEqual(['buoy-feed']);
    await app.database.db
      .update(datasets)
      .set({ title: 'Mooring feed' })
      .where(eq(datasets.slug, 'buoy-feed'));
    expect(await search('q=buoy')).toEqual([]);
    expect(await search('q=mooring')).toEqual(['buoy-feed']);
    // A write that changes nothing the catalog reads leaves the copy alone (and in step).
    await app.database.db
      .update(datasets)
      .set({ description: 'Every ten minutes.' })
      .where(eq(datasets.slug, 'buoy-feed'));
    expect(await drift()).toEqual([]);
    await app.database.db.delete(datasets).where(eq(datasets.slug, 'buoy-feed'));
    expect(await search('q=mooring')).toEqual([]);
    expect(await drift()).toEqual([]);
  });
});
