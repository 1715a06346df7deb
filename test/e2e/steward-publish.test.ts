import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { and, eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../db/schema/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { signedInPage, watchProblems } from '../helpers/browser-session.ts';
import { launchChromium } from '../helpers/chromium.ts';

const MiB = 1024 ** 2;
const shots = 'test-results';

/**
 * A steward's path through the real app: create a gated dataset, attach a Local Contexts label, write a
 * licence with two reciprocity terms, create a release, upload a file (in parts, through the browser),
 * publish; then an anonymous visitor sees the terms and a "Request access" button, and no download.
 */
describe('browser: a steward publishes a gated dataset; a visitor sees its terms, not a download', () => {
  let app: TestApp;
  let browser: Browser;
  const slug = 'river-songs';
  const labelText = 'Kaua e hokona — not for sale.\nAsk the kaumātua first.';
  // 6 MiB over 5 MiB parts: the browser uploads two parts and reads each part's ETag (CORS-exposed).
  const bytes = randomBytes(6 * MiB);

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    app = await startTestApp({
      SEED_DEMO: 'true',
      MULTIPART_THRESHOLD: String(5 * MiB),
      MULTIPART_PART_SIZE: String(5 * MiB),
    });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  function watch(page: Page) {
    const problems: string[] = [];
    watchProblems(page, problems);
    return problems;
  }

  it('works end to end in chromium', async () => {
    // Signed in at the development IdP as the demo community's steward.
    const problems: string[] = [];
    const { context: steward, page } = await signedInPage(browser, app.url, /Sam Steward/, problems);
    // Publishing asks for confirmation.
    page.on('dialog', (d) => d.accept());

    // A new gated dataset.
    await page.goto(`${app.url}/steward`);
    // The community's members: the steward adds a reviewer by e-mail and sees them listed.
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    await page.getByLabel('E-mail').fill('new-reviewer@example.org');
    await page.getByLabel('Role').selectOption('reviewer');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'is now a reviewer of Demo Language Collective' })
      .waitFor();
    await page.getByRole('cell', { name: 'new-reviewer@example.org' }).waitFor();
    await page.screenshot({ path: `${shots}/steward-members.png`, fullPage: true });

    await page.getByLabel('Title').fill('River songs');
    await page.getByLabel('Slug').fill(slug);
    await page.getByLabel('Summary').fill('Songs of the river, recorded with the community.');
    await page.getByLabel('Access tier').selectOption('gated');
    await page.getByRole('button', { name: 'Create dataset' }).click();
    await page.waitForURL(new RegExp(`/steward/datasets/${slug}$`));
    await page.getByRole('heading', { name: 'River songs' }).waitFor();

    // A Local Contexts label, in the community's words.
    await page.getByRole('button', { name: 'Add a label' }).click();
    await page.getByLabel('Label 1', { exact: true }).selectOption('TK Non-Commercial');
    await page.getByLabel('The community’s text for label 1').fill(labelText);
    await page.getByRole('button', { name: 'Save labels' }).click();
    await page.getByText('Labels saved.').waitFor();

    // The licence: two reciprocity terms, and the label's suggestion confirmed.
    await page.getByRole('link', { name: 'Write the licence' }).click();
    await page.getByRole('heading', { name: 'Licence', exact: true }).waitFor();
    await page.getByRole('button', { name: 'AI training, model shared back' }).click();
    await page.getByText('Editing: AI training, model shared back').waitFor();
    const owe = page.getByRole('group', { name: 'What requesters owe back' });
    while ((await owe.getByRole('button', { name: 'Remove' }).count()) > 0)
      await owe.getByRole('button', { name: 'Remove' }).first().click();
    await owe.getByRole('button', { name: 'Add a term' }).click();
    await owe.getByRole('button', { name: 'Add a term' }).click();
    await page.getByLabel('Kind of term 1').selectOption('attribute');
    await page.getByLabel('When term 1 is due').selectOption('before-download');
    await page.getByLabel('Kind of term 2').selectOption('share-model');
    await page.getByLabel('When term 2 is due').selectOption('after-grant');
    const suggested = page.getByRole('region', { name: 'Suggested by your labels' });
    await suggested.getByText('Prohibit: Commercial use').waitFor();
    await suggested.getByRole('button', { name: 'Confirm' }).click();
    await suggested.getByText('In the terms').waitFor();
    await page.screenshot({ path: `${shots}/steward-licence-editor.png`, fullPage: true });
    await page.getByRole('button', { name: 'Publish version 1' }).click();
    await page.getByText('Published version 1.').waitFor();

    // A release, a file uploaded in parts, both published.
    await page.goto(`${app.url}/steward/datasets/${slug}`);
    await page.getByLabel('Tag').fill('v1');
    await page.getByRole('button', { name: 'Create release' }).click();
    await page.locator('input[type=file]').setInputFiles({
      name: 'songs.bin',
      mimeType: 'application/octet-stream',
      buffer: bytes,
    });
    await page.getByText('Uploaded and verified.').waitFor({ timeout: 120_000 });
    await page.getByText('in 2 parts').waitFor();
    await page.getByRole('button', { name: 'Publish release' }).click();
    await page.getByRole('button', { name: 'Publish release' }).waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Publish dataset' }).click();
    await page.getByRole('button', { name: 'Withdraw dataset' }).waitFor();
    await page.screenshot({ path: `${shots}/steward-dataset.png`, fullPage: true });
    expect(problems).toEqual([]);

    // What the browser did, as the API and the audit log saw it.
    const meta = await (await app.api(`/datasets/${slug}`)).json();
    expect(meta).toMatchObject({ status: 'published', tier: 'gated', licence: { version: 1 } });
    expect(meta.labels).toEqual([{ kind: 'TK', type: 'TK Non-Commercial', text: labelText }]);
    const licence = await (await app.api(`/datasets/${slug}/licences/1`)).json();
    expect(licence.reciprocity.map((t: { kind: string }) => t.kind)).toEqual(['attribute', 'share-model']);
    expect(licence.prohibitions).toContain('commercial');
    const file = meta.releases[0].files[0];
    expect(file).toMatchObject({ name: 'songs.bin', status: 'available', size: bytes.length });
    const [completed] = await app.database.db
      .select({ details: auditEvents.details })
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'file.completed'), eq(auditEvents.subjectId, file.id)));
    expect(completed.details).toMatchObject({
      multipart: true,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
    await steward.close();

    // An anonymous visitor.
    const visitor = await browser.newContext();
    const anon = await visitor.newPage();
    const anonProblems = watch(anon);
    await anon.goto(`${app.url}/datasets/${slug}`);
    await anon.getByRole('heading', { name: 'River songs' }).waitFor();
    const terms = anon.getByRole('region', { name: 'Terms of use' });
    await terms.getByText('Attribute the community').waitFor();
    await terms.getByText('Share the trained model').waitFor();
    await expect(terms.getByRole('link', { name: 'Request access' }).isVisible()).resolves.toBe(true);
    // The label, exactly as the community wrote it.
    const labels = anon.getByRole('region', { name: 'Local Contexts Labels and Notices' });
    await labels.getByText('TK Non-Commercial').waitFor();
    expect(await labels.locator('.lc-text').innerText()).toBe(labelText);
    // No download for the gated file.
    expect(await anon.getByRole('link', { name: /download/i }).count()).toBe(0);
    await anon.getByText('Needs an access grant').waitFor();
    await anon.screenshot({ path: `${shots}/visitor-gated-dataset.png`, fullPage: true });
    expect(anonProblems.filter((p) => !/401|Unauthorized/.test(p))).toEqual([]);
    await visitor.close();
  }, 300_000);
});
