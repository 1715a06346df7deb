import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRANSPARENCY_PER_MINUTE } from '../../api/reports/reports.routes.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { people, secretPurpose, seedReportWorld } from './report-world.ts';

const page = '/communities/demo-collective/transparency?from=2026-01-01&to=2026-06-30';

/** The public transparency page: 404 until the community opts in, then aggregates without personal data. */
describe('transparency page', () => {
  let app: TestApp;
  let steward: string;

  beforeAll(async () => {
    app = await startTestApp({ SEED_DEMO: 'true' });
    steward = (await app.user({ email: 'steward@example.org' })).token;
    const ana = await app.user({ email: people.ana.email });
    const ben = await app.user({ email: people.ben.email });
    const carl = await app.user({ email: people.carl.email });
    await seedReportWorld(app.database.db, { ana: ana.id, ben: ben.id, carl: carl.id });
  });
  afterAll(() => app?.stop());

  it('is 404 until the community opts in; its stewards preview it', async () => {
    const builder = (await app.user({ email: 'builder@example.org' })).token;
    for (const token of [undefined, builder]) {
      const res = await app.api(page, { token });
      expect(res.status).toBe(404);
      expect((await res.json()).code).toBe('transparency_page_not_found');
    }
    const preview = await app.api(page, { token: steward });
    expect(preview.status).toBe(200);
    expect((await preview.json()).published).toBe(false);
    expect((await app.api('/communities/no-such-commons/transparency')).status).toBe(404);
  });

  it('after opting in, anyone reads the aggregates and approved uses, and no person is named', async () => {
    const on = await app.api('/communities/demo-collective', {
      method: 'PATCH',
      token: steward,
      json: { transparencyPublic: true },
    });
    expect(on.status).toBe(200);
    const res = await app.api(page);
    expect(res.status).toBe(200);
    const text = await res.text();
    const t = JSON.parse(text);
    expect(t.community).toMatchObject({ slug: 'demo-collective' });
    expect(t.published).toBe(true);
    expect(t.period).toEqual({ from: '2026-01-01', to: '2026-06-30', timeZone: 'UTC' });
    expect(t.downloads.total).toBe(8);
    expect(t.downloads.byMonth.map((m: { count: number }) => m.count)).toEqual([3, 2, 1, 1, 0, 1]);
    expect(t.requests).toMatchObject({ total: 4, decided: 3, medianDecisionHours: 24 });
    expect(t.requests.acceptanceRate).toBeCloseTo(2 / 3);
    expect(t.derivedWorks.items.map((w: { title: string }) => w.title)).toEqual(['Awa speech model']);
    // Approved uses: purpose, organisation, dates; the click-through grant is no approved request.
    expect(t.approvedUses).toEqual([
      {
        purpose: 'ai-training',
        organisation: 'Lab B',
        dataset: 'demo-river-readings',
        datasetTitle: expect.any(String),
        startsAt: '2026-02-03',
        expiresAt: '2026-03-01',
        status: 'expired',
      },
      {
        purpose: 'research',
        organisation: 'Universiteit A',
        dataset: 'demo-oral-histories',
        datasetTitle: expect.any(String),
        startsAt: '2026-01-11',
        expiresAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
        status: 'active',
      },
    ]);
    // No personal data: no e-mail, no name, no user id, no free-text purpose, no per-organisation counts.
    expect(text).not.toMatch(/@/);
    for (const p of Object.values(people)) {
      expect(text).not.toContain(p.name);
      expect(text).not.toContain(p.name.split(' ')[0]);
    }
    expect(text).not.toContain(secretPurpose);
    expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
    expect(t.downloads.byOrganisation).toBeUndefined();
  });

  it('bad dates are 400; opting out makes it 404 again', async () => {
    const bad = await app.api('/communities/demo-collective/transparency?from=2026-06-01&to=2026-01-01');
    expect(bad.status).toBe(400);
    expect((await bad.json()).code).toBe('invalid_period');
    await app.api('/communities/demo-collective', {
      method: 'PATCH',
      token: steward,
      json: { transparencyPublic: false },
    });
    expect((await app.api(page)).status).toBe(404);
  });

  // Last: it spends this IP's allowance for the minute.
  it('holds anyone to a number of page builds a minute: 429 with Retry-After, counted per caller', async () => {
    let status = 0;
    let res: Response | undefined;
    for (let i = 0; i <= TRANSPARENCY_PER_MINUTE && status !== 429; i++) {
      res = await app.api(page);
      status = res.status;
    }
    expect(status).toBe(429);
    expect(res!.headers.get('retry-after')).toBe('60');
    expect((await res!.json()).code).toBe('rate_limited');
    // A signed-in steward is counted apart from the anonymous callers of the same address.
    expect((await app.api(page, { token: steward })).status).not.toBe(429);
  });
});
