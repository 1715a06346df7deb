import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloads } from '../../api/reports/reports.repo.ts';
import { auditEvents, downloadCounts } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { people, seedReportWorld } from './report-world.ts';

const period = 'from=2026-01-01&to=2026-06-30';
const url = (q = '') => `/communities/demo-collective/report?${period}${q}`;

/** Tidy CSV (`metric,key,value`) into a map "metric|key" → value; the test data has no quoted commas. */
function parseCsv(text: string) {
  const lines = text.trim().split('\r\n');
  expect(lines[0]).toBe('metric,key,value');
  return new Map(
    lines.slice(1).map((l) => {
      const [metric, key, value] = l.split(',');
      return [`${metric}|${key}`, value];
    }),
  );
}

/** Usage reports over HTTP (issue 6): counts, period bounds, per dataset, CSV, who may read them. */
describe('community reports', () => {
  let app: TestApp;
  let steward: string;
  let auditor: string;
  let builder: string;
  let admin: string;
  let member: string;

  beforeAll(async () => {
    app = await startTestApp({ SEED_DEMO: 'true' });
    steward = (await app.user({ email: 'steward@example.org' })).token;
    auditor = (await app.user({ email: 'auditor@example.org', scopes: ['read'] })).token;
    builder = (await app.user({ email: 'builder@example.org' })).token;
    admin = (await app.user({ email: 'admin@example.org', admin: true })).token;
    const added = await app.api('/communities/demo-collective/members', {
      method: 'POST',
      token: steward,
      json: { email: 'member@test.org', role: 'member' },
    });
    expect(added.status).toBe(201);
    member = (await app.user({ email: 'member@test.org' })).token;
    const ana = await app.user({ email: people.ana.email });
    const ben = await app.user({ email: people.ben.email });
    const carl = await app.user({ email: people.carl.email });
    await seedReportWorld(app.database.db, { ana: ana.id, ben: ben.id, carl: carl.id });
  });
  afterAll(() => app?.stop());

  it('counts downloads by month, purpose, organisation and dataset; requests, grants, obligations, derived works', async () => {
    const res = await app.api(url(), { token: auditor });
    expect(res.status).toBe(200);
    const r = await res.json();
    expect(r.period).toEqual({ from: '2026-01-01', to: '2026-06-30', timeZone: 'UTC' });
    expect(r.dataset).toBeNull();
    // The last second of the period counts; the first second after it and the last before it do not.
    expect(r.downloads.total).toBe(8);
    expect(r.downloads.anonymous).toBe(1);
    expect(r.downloads.byMonth).toEqual([
      { month: '2026-01', count: 3 },
      { month: '2026-02', count: 2 },
      { month: '2026-03', count: 1 },
      { month: '2026-04', count: 1 },
      { month: '2026-05', count: 0 },
      { month: '2026-06', count: 1 },
    ]);
    expect(r.downloads.byPurpose).toEqual(
      expect.arrayContaining([
        { purpose: 'research', count: 4 },
        { purpose: 'ai-training', count: 2 },
        { purpose: 'education', count: 1 },
        { purpose: null, count: 1 },
      ]),
    );
    expect(r.downloads.byPurpose).toHaveLength(4);
    expect(r.downloads.byOrganisation).toEqual([
      { organisation: 'Universiteit A', count: 4 },
      { organisation: 'Lab B', count: 2 },
      { organisation: '=1+1', count: 1 },
    ]);
    expect(r.downloads.byDataset).toEqual(
      expect.arrayContaining([
        { dataset: 'demo-oral-histories', count: 4 },
        { dataset: 'demo-river-readings', count: 4 },
      ]),
    );
    expect(r.requests).toMatchObject({ total: 4, decided: 3, medianDecisionHours: 24 });
    expect(r.requests.acceptanceRate).toBeCloseTo(2 / 3);
    expect(r.requests.byStatus).toEqual(
      expect.arrayContaining([
        { status: 'approved', count: 2 },
        { status: 'denied', count: 1 },
        { status: 'submitted', count: 1 },
      ]),
    );
    expect(r.grants.total).toBe(3);
    expect(r.grants.byStatus).toEqual(
      expect.arrayContaining([
        { status: 'active', count: 1 },
        { status: 'expired', count: 1 },
        { status: 'revoked', count: 1 },
      ]),
    );
    expect(r.obligations.total).toBe(3);
    expect(r.obligations.byStatus).toEqual(
      expect.arrayContaining([
        { status: 'pending', count: 1 },
        { status: 'overdue', count: 1 },
        { status: 'fulfilled', count: 1 },
      ]),
    );
    expect(r.derivedWorks.total).toBe(1);
    expect(r.derivedWorks.byKind).toEqual([{ kind: 'model', count: 1 }]);
    expect(r.derivedWorks.items).toEqual([
      {
        title: 'Awa speech model',
        kind: 'model',
        url: 'https://models.test/awa',
        dataset: 'demo-oral-histories',
        registeredAt: '2026-05-01T00:00:00Z',
      },
    ]);
  });

  it('moves with the period: one day, and the default last twelve months', async () => {
    const one = await (
      await app.api('/communities/demo-collective/report?from=2026-06-30&to=2026-06-30', { token: steward })
    ).json();
    expect(one.downloads.total).toBe(1);
    expect(one.downloads.byMonth).toEqual([{ month: '2026-06', count: 1 }]);
    expect(one.requests.total).toBe(0);
    expect(one.requests.medianDecisionHours).toBeNull();
    expect(one.requests.acceptanceRate).toBeNull();
    const july = await (
      await app.api('/communities/demo-collective/report?from=2026-07-01&to=2026-07-31', { token: steward })
    ).json();
    expect(july.downloads.total).toBe(1);
    const dflt = await (await app.api('/communities/demo-collective/report', { token: steward })).json();
    expect(dflt.downloads.byMonth).toHaveLength(12);
    expect(dflt.period.to).toBe(new Date().toISOString().slice(0, 10));
    expect(dflt.period.from.endsWith('-01')).toBe(true);
  });

  it('per dataset', async () => {
    const r = await (await app.api(url('&dataset=demo-oral-histories'), { token: auditor })).json();
    expect(r.dataset).toMatchObject({ slug: 'demo-oral-histories' });
    expect(r.downloads.total).toBe(4);
    expect(r.downloads.byDataset).toEqual([{ dataset: 'demo-oral-histories', count: 4 }]);
    expect(r.downloads.byOrganisation).toEqual([{ organisation: 'Universiteit A', count: 4 }]);
    expect(r.requests).toMatchObject({ total: 2, decided: 2, medianDecisionHours: 18 });
    expect(r.grants).toEqual({ total: 1, byStatus: [{ status: 'active', count: 1 }] });
    expect(r.obligations.total).toBe(2);
    expect(r.derivedWorks.total).toBe(1);
    const river = await (await app.api(url('&dataset=demo-river-readings'), { token: auditor })).json();
    expect(river.downloads.total).toBe(4);
    expect(river.derivedWorks.total).toBe(0);
    // A dataset of no community, or of another, is 404.
    for (const slug of ['no-such-dataset']) {
      const res = await app.api(url(`&dataset=${slug}`), { token: auditor });
      expect(res.status).toBe(404);
      expect((await res.json()).code).toBe('dataset_not_found');
    }
  });

  it('CSV carries the same figures as JSON', async () => {
    const json = await (await app.api(url(), { token: auditor })).json();
    const res = await app.api(url('&format=csv'), { token: auditor });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(res.headers.get('content-disposition')).toContain(
      'report-demo-collective-2026-01-01-2026-06-30.csv',
    );
    const text = await res.text();
    const csv = parseCsv(text);
    expect(csv.get('downloads.total|')).toBe(String(json.downloads.total));
    expect(csv.get('downloads.anonymous|')).toBe(String(json.downloads.anonymous));
    for (const m of json.downloads.byMonth)
      expect(csv.get(`downloads.month|${m.month}`)).toBe(String(m.count));
    for (const p of json.downloads.byPurpose)
      expect(csv.get(`downloads.purpose|${p.purpose ?? ''}`)).toBe(String(p.count));
    for (const d of json.downloads.byDataset)
      expect(csv.get(`downloads.dataset|${d.dataset}`)).toBe(String(d.count));
    expect(csv.get('downloads.organisation|Universiteit A')).toBe('4');
    // A cell a spreadsheet would run as a formula is escaped.
    expect(csv.get("downloads.organisation|'=1+1")).toBe('1');
    expect(text).not.toMatch(/(^|,)=1\+1/m);
    for (const s of json.requests.byStatus)
      expect(csv.get(`requests.status|${s.status}`)).toBe(String(s.count));
    expect(Number(csv.get('requests.median_decision_hours|'))).toBe(json.requests.medianDecisionHours);
    expect(Number(csv.get('requests.acceptance_rate|'))).toBeCloseTo(json.requests.acceptanceRate);
    for (const s of json.grants.byStatus) expect(csv.get(`grants.status|${s.status}`)).toBe(String(s.count));
    for (const s of json.obligations.byStatus)
      expect(csv.get(`obligations.status|${s.status}`)).toBe(String(s.count));
    expect(csv.get('derived_works.kind|model')).toBe('1');
    expect(csv.get('period.from|')).toBe('2026-01-01');
  });

  it('stewards and auditors read it; members only when shared; everyone else 404', async () => {
    expect((await app.api(url(), { token: steward })).status).toBe(200);
    expect((await app.api(url(), { token: auditor })).status).toBe(200);
    for (const token of [builder, admin, member, undefined]) {
      const res = await app.api(url(), { token });
      expect(res.status).toBe(404);
      expect((await res.json()).code).toBe('report_not_found');
    }
    expect((await app.api('/communities/no-such-commons/report', { token: steward })).status).toBe(404);
    // Opting in to the public page does not publish the full report.
    const pub = await app.api('/communities/demo-collective', {
      method: 'PATCH',
      token: steward,
      json: { transparencyPublic: true },
    });
    expect(pub.status).toBe(200);
    expect((await app.api(url())).status).toBe(404);
    expect((await app.api(url(), { token: member })).status).toBe(404);
    // Only a steward flips the switches (the auditor reads, does not manage).
    const denied = await app.api('/communities/demo-collective', {
      method: 'PATCH',
      token: auditor,
      json: { reportsSharedWithMembers: true },
    });
    expect(denied.status).toBe(403);
    const shared = await app.api('/communities/demo-collective', {
      method: 'PATCH',
      token: steward,
      json: { reportsSharedWithMembers: true },
    });
    expect(shared.status).toBe(200);
    expect(await shared.json()).toMatchObject({ reportsSharedWithMembers: true, transparencyPublic: true });
    expect((await app.api(url(), { token: member })).status).toBe(200);
    expect((await app.api(url(), { token: builder })).status).toBe(404);
    // The switch is an audited act, with what changed.
    const events = await app.database.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'community.updated')))
      .orderBy(auditEvents.seq);
    expect(events.map((e) => e.details)).toEqual([
      { transparencyPublic: true },
      { reportsSharedWithMembers: true },
    ]);
    const off = await app.api('/communities/demo-collective', {
      method: 'PATCH',
      token: steward,
      json: { reportsSharedWithMembers: false, transparencyPublic: false },
    });
    expect(off.status).toBe(200);
    expect((await app.api(url(), { token: member })).status).toBe(404);
    const bad = await app.api('/communities/demo-collective', {
      method: 'PATCH',
      token: steward,
      json: { transparencyPublic: 'yes' },
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).code).toBe('validation_failed');
    expect(
      (await app.api('/communities/demo-collective', { method: 'PATCH', token: steward, json: {} })).status,
    ).toBe(400);
  });

  it('bad input is 400 with a stable code', async () => {
    const cases: [string, string][] = [
      ['from=2026-13-01', 'invalid_date'],
      ['from=2026-02-30', 'invalid_date'],
      ['to=yesterday', 'invalid_date'],
      ['from=0000-01-01&to=0000-06-01', 'invalid_date'],
      ['from=9999-12-01&to=9999-12-31', 'invalid_date'],
      ['from=2026-01-01T00:00:00Z', 'invalid_date'],
      ['from=2026-07-01&to=2026-06-30', 'invalid_period'],
      ['from=1990-01-01&to=2026-06-30', 'invalid_period'],
      ['format=xml', 'unsupported_format'],
      ['format=', 'unsupported_format'],
      ['dataset=Not%20A%20Slug', 'validation_failed'],
    ];
    for (const [q, code] of cases) {
      const res = await app.api(`/communities/demo-collective/report?${q}`, { token: auditor });
      expect({ q, status: res.status }).toEqual({ q, status: 400 });
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
      expect({ q, code: (await res.json()).code }).toEqual({ q, code });
    }
    const twice = await app.api('/communities/demo-collective/report?from=2026-01-01&from=2026-02-01', {
      token: auditor,
    });
    expect(twice.status).toBe(400);
  });

  // Last: it adds a download.
  it('counts the same from the monthly and daily rollups, from the live tail, and across both', async () => {
    const db = app.database.db;
    await app.sequencer.flush();
    const first = await (await app.api(url(), { token: auditor })).json();
    // Every seeded event now has its leaf, so the report rolled them up.
    const dailyTotal = sql<number>`coalesce(sum(n) filter (where dim = 'dataset' and not monthly), 0)::int`;
    const monthlyTotal = sql<number>`coalesce(sum(n) filter (where dim = 'dataset' and monthly), 0)::int`;
    const [{ n, monthly }] = await db.select({ n: dailyTotal, monthly: monthlyTotal }).from(downloadCounts);
    expect(n).toBeGreaterThanOrEqual(8);
    expect(monthly).toBe(n);
    expect(first.downloads.total).toBe(8);
    const community = await (await app.api('/communities/demo-collective')).json();
    const oral = await (await app.api('/datasets/demo-oral-histories')).json();
    // Periods with partial months at either edge, none whole, edges outside the seeded range, one dataset:
    // monthly rows for whole months, daily rows around them.
    const odd = [
      ['2026-01-06', '2026-03-03'],
      ['2026-01-06', '2026-01-31'],
      ['2026-01-07', '2026-02-10'],
      ['2025-12-31', '2026-07-01'],
      ['2026-02-01', '2026-06-30'],
      ['2026-01-31', '2026-02-28'],
    ].flatMap(([from, to]) =>
      [undefined, oral.id as string].map((datasetId) => ({
        communityId: community.id as string,
        datasetId,
        start: new Date(`${from}T00:00:00Z`),
        end: new Date(new Date(`${to}T00:00:00Z`).getTime() + 86_400_000),
      })),
    );
    const norm = (rows: { dim: string; key: string | null; n: number }[]) =>
      rows.map((r) => `${r.dim}|${r.key}|${r.n}`).sort();
    const fromRollups = [];
    for (const s of odd) fromRollups.push(norm(await downloads(db, s)));
    expect(fromRollups[0]).toContain('anonymous|null|1');
    expect(fromRollups[0]).toContain('month|2026-01|2');
    expect(fromRollups[0]).toContain('month|2026-02|2');
    expect(fromRollups[0]).toContain('month|2026-03|1');
    // From the live tail alone (rollups emptied, watermark back to 0): the same figures.
    await db.execute(sql`delete from download_counts`);
    await db.execute(sql`update report_rollup_state set next_leaf = 0`);
    await app.sequencer.stop();
    for (const [i, s] of odd.entries()) expect(norm(await downloads(db, s))).toEqual(fromRollups[i]);
    const scope = {
      communityId: community.id,
      start: new Date('2026-01-01T00:00:00Z'),
      end: new Date('2026-07-01T00:00:00Z'),
    };
    const sum = (rows: { dim: string; key: string | null; n: number }[], dim: string) =>
      Object.fromEntries(rows.filter((r) => r.dim === dim).map((r) => [r.key ?? '', r.n]));
    const tailRows = await downloads(db, scope);
    expect(sum(tailRows, 'month')).toEqual(
      Object.fromEntries(
        first.downloads.byMonth
          .filter((m: { count: number }) => m.count)
          .map((m: { month: string; count: number }) => [m.month, m.count]),
      ),
    );
    expect(sum(tailRows, 'organisation')).toEqual(
      Object.fromEntries(
        first.downloads.byOrganisation.map((o: { organisation: string; count: number }) => [
          o.organisation,
          o.count,
        ]),
      ),
    );
    expect(sum(tailRows, 'anonymous')).toEqual({ '': 1 });
    // The report rolls them up again, with the same figures.
    const again = await (await app.api(url(), { token: auditor })).json();
    expect(again.downloads).toEqual(first.downloads);
    const [{ m }] = await db.select({ m: dailyTotal }).from(downloadCounts);
    expect(m).toBe(n);
    // A download not yet in the tree counts at once.
    const [one] = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'download.issued'), eq(auditEvents.purpose, 'education')));
    const { seq: _seq, ...copy } = one;
    await db.insert(auditEvents).values({ ...copy, at: new Date('2026-05-15T12:00:00Z') });
    const more = await (await app.api(url(), { token: auditor })).json();
    expect(more.downloads.total).toBe(9);
    expect(more.downloads.byMonth[4]).toEqual({ month: '2026-05', count: 1 });
    expect(more.downloads.byOrganisation).toContainEqual({ organisation: '=1+1', count: 2 });
    await app.sequencer.flush();
    const after = await (await app.api(url(), { token: auditor })).json();
    expect(after.downloads).toEqual(more.downloads);
  });

  it('is in the OpenAPI document', async () => {
    const doc = await (await app.api('/openapi.json')).json();
    expect(
      Object.keys(
        doc.paths['/communities/{slug}/report'].get.parameters.map((p: { name: string }) => p.name),
      ),
    ).toHaveLength(5);
    expect(doc.paths['/communities/{slug}/transparency'].get).toBeDefined();
    expect(doc.paths['/communities/{slug}'].patch).toBeDefined();
  });
});
