import { mkdirSync, readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { signedInPage, watchProblems } from '../helpers/browser-session.ts';
import { launchChromium } from '../helpers/chromium.ts';

const shots = 'test-results';

/**
 * The community's view of use, in the browser: an auditor reads the usage report (figures, Chart.js
 * charts with their tables, the CSV), a steward publishes the transparency page, and an anonymous
 * visitor reads it — and saw nothing before it was published.
 */
describe('browser: usage report and transparency page', () => {
  let app: TestApp;
  let browser: Browser;
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    app = await startTestApp({ SEED_DEMO: 'true' });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('shows the report to an auditor and the published transparency page to anyone', async () => {
    // Three downloads of the open demo file by a builder's script.
    const builder = await app.user({ email: 'builder@example.org', scopes: ['read', 'download'] });
    const meta = await (await app.api('/datasets/demo-word-list')).json();
    const fileId = meta.releases[0].files[0].id as string;
    for (let i = 0; i < 3; i++) {
      const r = await app.api(`/files/${fileId}/download`, {
        token: builder.token,
        headers: { accept: 'application/json' },
      });
      expect(r.status).toBe(200);
    }
    // The report counts what the sequencer has integrated (it runs by itself, about every second).
    const auditorToken = (await app.user({ email: 'auditor@example.org' })).token;
    await expect
      .poll(
        async () =>
          (await (await app.api('/communities/demo-collective/report', { token: auditorToken })).json())
            .downloads.total,
        { timeout: 20_000, interval: 500 },
      )
      .toBeGreaterThanOrEqual(3);

    // Before publication an anonymous visitor finds no transparency page.
    const anon = await browser.newContext();
    const visitor = await anon.newPage();
    // (The browser logs the API's 404 here as a console error: expected, so not watched yet.)
    await visitor.goto(`${app.url}/communities/demo-collective/transparency`);
    await visitor.getByRole('heading', { name: 'No transparency page' }).waitFor();
    watchProblems(visitor, problems);

    const { context: ac, page: auditor } = await signedInPage(browser, app.url, /Ari Auditor/, problems, {
      acceptDownloads: true,
    });
    await auditor.goto(`${app.url}/communities/demo-collective/report`);
    await auditor.getByRole('heading', { name: /Usage report: Demo Language Collective/ }).waitFor();
    const figures = auditor.getByRole('region', { name: 'Key figures' });
    await expect
      .poll(async () => Number((await figures.locator('strong').first().textContent()) ?? 0))
      .toBeGreaterThanOrEqual(3);
    // Each chart is a Chart.js canvas with its numbers in a table beside it for screen readers.
    await auditor.getByRole('heading', { name: 'Downloads by month' }).waitFor();
    expect(await auditor.locator('figure.chart canvas').count()).toBeGreaterThanOrEqual(3);
    const monthTable = auditor.locator('figure.chart table', { hasText: 'Downloads per month' });
    expect(await monthTable.locator('td').last().textContent()).toMatch(/^[1-9]\d*$/);
    // The canvas was drawn (Chart.js sizes it), not left empty.
    const box = await auditor.locator('figure.chart canvas').first().boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(100);
    // What has nothing to show says so, rather than drawing empty axes (the demo has no requests yet).
    await auditor.getByText('No access requests submitted in this period.').waitFor();
    await auditor.getByText('No grants or obligations created in this period.').waitFor();
    await auditor.screenshot({ path: `${shots}/report-dashboard.png`, fullPage: true });
    // The CSV says the same.
    const [csv] = await Promise.all([
      auditor.waitForEvent('download'),
      auditor.getByRole('link', { name: 'Download CSV' }).click(),
    ]);
    const text = readFileSync(await csv.path(), 'utf8');
    expect(Number(text.match(/^downloads\.total,,(\d+)\r?$/m)?.[1])).toBeGreaterThanOrEqual(3);
    // An auditor reads; only stewards publish.
    expect(await auditor.getByLabel(/Publish a public transparency page/).count()).toBe(0);
    await ac.close();

    const { context: sc, page: steward } = await signedInPage(browser, app.url, /Sam Steward/, problems);
    await steward.goto(`${app.url}/communities/demo-collective/report`);
    const publish = steward.getByLabel(/Publish a public transparency page/);
    await publish.check();
    await expect
      .poll(async () => (await (await app.api('/communities/demo-collective')).json()).transparencyPublic)
      .toBe(true);
    await sc.close();

    await visitor.goto(`${app.url}/communities/demo-collective/transparency`);
    await visitor.getByRole('heading', { name: "How Demo Language Collective's data is used" }).waitFor();
    expect(await visitor.getByText(/Preview: the community has not published/).count()).toBe(0);
    await visitor.getByRole('heading', { name: 'Downloads per month' }).waitFor();
    const body = (await visitor.locator('main').textContent()) ?? '';
    expect(body).not.toContain('builder@example.org');
    expect(body).not.toContain('Bea Builder');
    await visitor.screenshot({ path: `${shots}/transparency.png`, fullPage: true });
    await anon.close();
    expect(problems, problems.join('\n')).toEqual([]);
  });
});
