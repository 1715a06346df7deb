import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { signedInPage } from '../helpers/browser-session.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { publishRelease } from '../helpers/publish.ts';

const shots = 'test-results';

/**
 * The grant page in chromium: a grantee gives evidence for an overdue obligation and registers a model
 * that meets the share-model term; the steward verifies the evidence, and downloads work again; the
 * dataset page lists the model.
 */
describe('browser: a grantee fulfils an obligation, the steward verifies it', () => {
  let app: TestApp;
  let browser: Browser;
  let grantId: string;
  let builder: { id: string; token: string };
  let file: string;

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    app = await startTestApp({ SEED_DEMO: 'true' });
    browser = await launchChromium();
    const steward = await app.user({ email: 'steward@example.org' });
    builder = await app.user({ email: 'builder@example.org' });
    const pub = await publishRelease(app.api, steward.token, {
      community: 'demo-collective',
      slug: 'e2e-songs',
      tier: 'gated',
      tag: 'v1',
      files: [{ name: 'songs.txt', body: 'songs\n' }],
      publishDataset: false,
    });
    file = pub.ids['songs.txt'];
    const post = (path: string, token: string, json: unknown = {}) =>
      app.api(path, { method: 'POST', token, json });
    const lic = await post('/datasets/e2e-songs/licences', steward.token, {
      base: 'CC-BY-4.0',
      text: 'Give back.',
      purposes: ['research'],
      prohibitions: [],
      reciprocity: [
        { kind: 'contribute-funds', timing: 'before-download', evidence: 'text' },
        { kind: 'share-model', timing: 'after-grant', dueDays: 60, evidence: 'link' },
        { kind: 'delete-at-end', timing: 'at-end', evidence: 'file' },
        // Asks for a text: no derived work (a paper either) can be its evidence.
        { kind: 'publish-results', timing: 'at-end', evidence: 'text' },
      ],
      decision: { rule: 'single' },
      fields: [],
    });
    expect(lic.status).toBe(201);
    await post('/datasets/e2e-songs/publish', steward.token);
    const req = await post('/datasets/e2e-songs/access-requests', builder.token, {
      purpose: { category: 'research', description: 'Song study', commercial: false, forProfit: false },
      licenceVersion: 1,
      answers: {},
    });
    const { id } = await req.json();
    const r = await (
      await post(`/access-requests/${id}/reviews`, steward.token, { decision: 'approve' })
    ).json();
    grantId = r.grant.id;
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  async function signIn(who: RegExp) {
    const problems: string[] = [];
    const { page } = await signedInPage(browser, app.url, who, problems);
    return { page, problems };
  }

  const obligation = (page: Page, name: string) =>
    page.getByRole('listitem').filter({ has: page.getByRole('heading', { name }) });

  it('works end to end in chromium', async () => {
    const download = () => app.api(`/files/${file}/download`, { token: builder.token });
    expect((await download()).status).toBe(403);

    const b = await signIn(/Bea Builder/);
    await b.page.goto(`${app.url}/grants/${grantId}`);
    await b.page.getByRole('heading', { name: 'Access grant' }).waitFor();
    const funds = obligation(b.page, 'Contribute funds (benefit sharing)');
    await funds.getByText('overdue').waitFor();
    await funds.getByLabel('Statement').fill('Paid NZ$500 to the community fund, ref 77.');
    await funds.getByRole('button', { name: 'Submit evidence' }).click();
    await funds.getByText(/waiting for a steward/).waitFor();
    expect((await download()).status).toBe(403);

    // A model that meets the share-model term, registered from the same page.
    const g = await (await app.api(`/grants/${grantId}`, { token: builder.token })).json();
    const share = g.obligations.find((o: { kind: string }) => o.kind === 'share-model');
    // Only obligations a work of the kind can be the evidence of are offered (the API refuses others):
    // none for a paper (publish-results asks for a text), the link-evidenced share-model for a model.
    await b.page.getByLabel('Kind').selectOption('paper');
    expect(await b.page.getByLabel(/meets this obligation/).count()).toBe(0);
    await b.page.getByLabel('Kind').selectOption('model');
    const offered = b.page.getByLabel(/meets this obligation/).locator('option');
    expect(await offered.evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual([
      '',
      share.id,
    ]);
    await b.page.getByLabel('Title').fill('Song-BERT');
    await b.page.locator('#w-url').fill('https://models.example.org/song-bert');
    await b.page.getByLabel(/meets this obligation/).selectOption(share.id);
    await b.page.getByRole('button', { name: 'Register' }).click();
    await b.page.getByRole('link', { name: 'Song-BERT' }).first().waitFor();
    await obligation(b.page, 'Share the trained model')
      .getByText(/Derived work: Song-BERT/)
      .waitFor();
    // The evidence forms offer the work only where it can be evidence: not for a text or a file term.
    const workSelect = (name: string) => obligation(b.page, name).getByLabel(/Or a derived work/);
    expect(await workSelect('Share the trained model').locator('option').allTextContents()).toEqual([
      '—',
      'Song-BERT (model)',
    ]);
    for (const name of [
      'Contribute funds (benefit sharing)',
      'Delete the data at the end',
      'Publish the results',
    ])
      expect(await workSelect(name).count()).toBe(0);
    // A file as evidence: its bytes go from the browser to the object store by the signed PUT.
    const del = obligation(b.page, 'Delete the data at the end');
    await del.getByLabel('File').setInputFiles({
      name: 'deletion-certificate.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('All copies deleted.\n'),
    });
    await del.getByRole('button', { name: 'Submit evidence' }).click();
    await del.getByRole('link', { name: 'deletion-certificate.txt' }).waitFor();
    await b.page.screenshot({ path: `${shots}/grant-grantee.png`, fullPage: true });
    expect(b.problems).toEqual([]);

    const s = await signIn(/Sam Steward/);
    await s.page.goto(`${app.url}/grants/${grantId}`);
    const sf = obligation(s.page, 'Contribute funds (benefit sharing)');
    await sf.getByText(/ref 77/).waitFor();
    await sf.getByRole('button', { name: 'Verify' }).click();
    await sf.getByText('fulfilled').waitFor();
    await s.page.getByRole('heading', { name: 'Manage this grant' }).waitFor();
    const sd = obligation(s.page, 'Delete the data at the end');
    await sd.getByRole('button', { name: 'Verify' }).click();
    await sd.getByText('fulfilled').waitFor();
    const del2 = g.obligations.find((o: { kind: string }) => o.kind === 'delete-at-end');
    const file2 = await app.api(`/obligations/${del2.id}/evidence/file`, { token: builder.token });
    expect(await (await fetch(file2.headers.get('location')!)).text()).toBe('All copies deleted.\n');
    await s.page.screenshot({ path: `${shots}/grant-steward.png`, fullPage: true });
    expect(s.problems).toEqual([]);
    expect((await download()).status).toBe(302);

    await b.page.goto(`${app.url}/datasets/e2e-songs`);
    await b.page.getByRole('heading', { name: 'Built with this data' }).waitFor();
    await b.page.getByRole('link', { name: 'Song-BERT' }).waitFor();
  });
});
