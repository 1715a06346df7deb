import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { signedInPage } from '../helpers/browser-session.ts';
import { launchChromium } from '../helpers/chromium.ts';

const shots = 'test-results';
const slug = 'demo-oral-histories';

/**
 * The access loop in the browser, on the demo seed: a builder requests access to the gated demo dataset
 * for a purpose its licence permits, the community's reviewers approve in the review queue, and the
 * builder sees the grant and downloads the gated file, bytes compared by SHA-256.
 *
 * The demo licence ("community consent") needs two approvals of three reviewers (quorum, veto): the
 * demo community's steward (Sam Steward) and reviewer (Rua Reviewer) approve. Its one before-download term ("attribute") asks for no
 * evidence, so the grant downloads at once.
 */
describe('browser: the access loop — request, review, grant, download', () => {
  let app: TestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    app = await startTestApp({ SEED_DEMO: 'true' });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await app?.stop();
  });

  /** A new browser context signed in at the development IdP as the demo account named `who`. */
  async function signedIn(who: RegExp): Promise<Page> {
    const { context, page } = await signedInPage(browser, app.url, who, problems, { acceptDownloads: true });
    contexts.push(context);
    return page;
  }

  /** A reviewer opens the community's queue from the navigation and approves Bea Builder's request. */
  async function approveFromQueue(page: Page, expected: RegExp) {
    await page.getByRole('link', { name: /Review queue/ }).click();
    await page.getByRole('heading', { name: /Review queue · Demo Language Collective/ }).waitFor();
    await page.getByRole('link', { name: /Review the request of Bea Builder/ }).click();
    await page.getByRole('heading', { name: 'Your review' }).waitFor();
    await page.getByRole('radio', { name: /Approve/ }).check();
    await page.getByLabel(/Comment/).fill('The purpose fits the community’s terms.');
    await page.getByRole('button', { name: 'Record review' }).click();
    await page.getByText('Your review was recorded.').waitFor();
    await page.locator('.title-row .badge', { hasText: expected }).waitFor();
  }

  it('works end to end in chromium', async () => {
    const started = performance.now();

    // The builder finds the gated dataset and asks for access to it.
    const builder = await signedIn(/Bea Builder/);
    await builder.getByRole('link', { name: 'Oral histories (transcripts)' }).click();
    await builder.waitForURL(new RegExp(`/datasets/${slug}$`));
    await builder.getByText('Needs an access grant').first().waitFor();
    await builder.getByRole('link', { name: 'Request access' }).click();
    await builder.waitForURL(new RegExp(`/datasets/${slug}/request$`));
    await builder.getByRole('heading', { name: 'The terms you accept' }).waitFor();
    await builder.getByLabel('Purpose', { exact: true }).selectOption('research');
    await builder
      .getByLabel('What you will do with the data')
      .fill('A study of how the oral histories describe the river, returned to the community.');
    await builder.getByRole('group', { name: 'Is the use commercial?' }).getByLabel('No').check();
    await builder.getByRole('group', { name: 'Is your organisation for-profit?' }).getByLabel('No').check();
    await builder.getByLabel('Access for how many days?').fill('90');
    // Submitted with the licence's own questions unanswered: each says why, and its control names that text.
    await builder.getByRole('button', { name: 'Submit request' }).click();
    const institution = builder.getByLabel('Your institution or organisation');
    await expect.poll(() => institution.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await institution.getAttribute('aria-describedby')) ?? '';
    expect(describedBy).not.toBe('');
    expect(await builder.locator(`[id="${describedBy}"]`).innerText()).toMatch(/\w/);
    await institution.fill('University of the River');
    await builder
      .getByLabel('Your relationship with the community')
      .selectOption('Working with the community');
    await builder.getByLabel('Where the work happens').selectOption('NZ');
    await builder.getByLabel('The work has ethics approval').check();
    await builder.getByLabel(/accept licence version 1/).check();
    await builder.getByRole('button', { name: 'Submit request' }).click();
    await builder.waitForURL(/\/requests\/[0-9a-f-]{36}\?submitted=1$/);
    const requestUrl = builder.url().replace(/\?.*$/, '');
    await builder.getByRole('heading', { name: 'Terms match' }).waitFor();
    await builder.getByText('The licence permits research.').waitFor();
    await builder.screenshot({ path: `${shots}/access-loop-submitted.png`, fullPage: true });

    // Two of the community's reviewers approve it from their queue: the first puts it in review, the second decides.
    const steward = await signedIn(/Sam Steward/);
    await approveFromQueue(steward, /In review/);
    const reviewer = await signedIn(/Rua Reviewer/);
    await approveFromQueue(reviewer, /Approved/);
    await reviewer.screenshot({ path: `${shots}/access-loop-approved.png`, fullPage: true });

    // The builder sees the grant, then downloads the gated file from the dataset page.
    await builder.goto(requestUrl);
    await builder.locator('.title-row .badge', { hasText: 'Approved' }).waitFor();
    await builder.getByRole('link', { name: 'My grants' }).click();
    await builder.getByRole('heading', { name: 'My grants' }).waitFor();
    await builder.getByRole('link', { name: /Open the grant for Oral histories/ }).waitFor();
    await builder.goBack();
    await builder.getByRole('link', { name: 'Download from the dataset page' }).click();
    await builder.waitForURL(new RegExp(`/datasets/${slug}$`));
    const [download] = await Promise.all([
      builder.waitForEvent('download'),
      builder.getByRole('link', { name: 'Download transcripts.txt' }).click(),
    ]);
    const bytes = readFileSync(await download.path());
    const elapsed = Math.round(performance.now() - started);
    console.log(`access loop: ${elapsed} ms`);

    const builderToken = (await app.user({ email: 'builder@example.org' })).token;
    const meta = await (await app.api(`/datasets/${slug}`, { token: builderToken })).json();
    const file = meta.releases[0].files.find((f: { name: string }) => f.name === 'transcripts.txt');
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
    expect(bytes.length).toBe(file.size);
    expect(download.suggestedFilename()).toBe('transcripts.txt');

    // The loop is on record: one grant, issued for the request, for the declared purpose.
    const grants = await (await app.api('/grants?mine=1', { token: builderToken })).json();
    expect(grants.items).toHaveLength(1);
    expect(grants.items[0]).toMatchObject({ status: 'active', purpose: 'research', datasetSlug: slug });
    expect(problems).toEqual([]);
  }, 180_000);

  it('returns a request, which the builder changes, resubmits, then withdraws', async () => {
    const builder = await signedIn(/Bea Builder/);
    await builder.goto(`${app.url}/datasets/${slug}/request`);
    await builder.getByLabel('Purpose', { exact: true }).selectOption('education');
    await builder.getByLabel('What you will do with the data').fill('Teaching material.');
    await builder.getByRole('group', { name: 'Is the use commercial?' }).getByLabel('No').check();
    await builder.getByRole('group', { name: 'Is your organisation for-profit?' }).getByLabel('No').check();
    await builder.getByLabel('Your institution or organisation').fill('River School');
    await builder.getByLabel('Your relationship with the community').selectOption('Member of the community');
    await builder.getByLabel('Where the work happens').selectOption('NZ');
    await builder.getByLabel('The work has ethics approval').check();
    await builder.getByLabel(/accept licence version 1/).check();
    await builder.getByRole('button', { name: 'Submit request' }).click();
    await builder.waitForURL(/\/requests\/[0-9a-f-]{36}\?submitted=1$/);
    const requestUrl = builder.url().replace(/\?.*$/, '');

    // A return needs a reason: the page asks for one before anything is sent.
    const steward = await signedIn(/Sam Steward/);
    await steward.goto(requestUrl);
    await steward.getByRole('radio', { name: /Return/ }).check();
    await steward.getByRole('button', { name: 'Record review' }).click();
    await steward.getByText('Say why you return it').waitFor();
    await steward.getByLabel(/Comment/).fill('Which classes, and for how long?');
    await steward.getByRole('button', { name: 'Record review' }).click();
    await steward.locator('.title-row .badge', { hasText: 'Returned' }).waitFor();

    await builder.goto(requestUrl);
    await builder.getByText('Returned by a reviewer: Which classes, and for how long?').first().waitFor();
    await builder.getByRole('button', { name: 'Change and resubmit' }).click();
    // The form comes back filled in; the licence is accepted again, explicitly.
    await expect
      .poll(() => builder.getByLabel('Your institution or organisation').inputValue())
      .toBe('River School');
    await builder.getByLabel('Intended outputs').fill('Two classes of year 9, one term.');
    await builder.getByRole('button', { name: 'Resubmit request' }).click();
    await builder.getByText('Tick to accept licence version 1.').first().waitFor();
    await builder.getByLabel(/accept licence version 1/).check();
    await builder.getByRole('button', { name: 'Resubmit request' }).click();
    await builder.getByText('Your request was resubmitted for review.').waitFor();
    await builder.getByText('round 2').waitFor();
    await builder.getByText('Two classes of year 9, one term.').waitFor();

    await builder.getByRole('button', { name: 'Withdraw request' }).click();
    await builder.getByLabel(/Reason/).fill('Found another source.');
    await builder.getByRole('button', { name: 'Withdraw request' }).click();
    await builder.getByText('Your request was withdrawn.').waitFor();
    await builder.locator('.title-row .badge', { hasText: 'Withdrawn' }).waitFor();
    expect(await builder.getByRole('button', { name: /Withdraw|Change and resubmit/ }).count()).toBe(0);
    expect(problems).toEqual([]);
  }, 180_000);
});
