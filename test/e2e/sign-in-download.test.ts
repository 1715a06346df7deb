import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { launchChromium } from '../helpers/chromium.ts';

/** A person's path through the real app: sign in at the development IdP, open a dataset, download, compare bytes. */
describe('browser: sign in, open a dataset, download a file', () => {
  let app: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    app = await startTestApp({ SEED_DEMO: 'true' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('works end to end in chromium', async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });

    await page.goto(app.url);
    await page.getByRole('link', { name: 'Sign in' }).first().click();
    // The sign-in page explains the development IdP; continue to it.
    if (!page.url().includes('/oidc/interaction/')) {
      await page
        .getByRole('link', { name: /sign in/i })
        .last()
        .click();
    }
    await page.waitForURL(/\/oidc\/interaction\//);
    await page.getByText('Development identity provider').first().waitFor();
    await page.getByRole('button', { name: /Bea Builder/ }).click();
    await page.waitForURL((u) => u.origin === app.url && !u.pathname.startsWith('/oidc'));
    await page.getByText('Bea Builder').first().waitFor();

    await page.goto(app.url);
    await page.getByRole('link', { name: 'Community word list' }).click();
    await page.waitForURL(/\/datasets\/demo-word-list/);
    await page.getByRole('heading', { name: 'Community word list' }).waitFor();
    await page.screenshot({ path: 'test-results/dataset-page.png', fullPage: true });

    const meta = await (await app.api('/datasets/demo-word-list')).json();
    const file = meta.releases[0].files[0];
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page
        .getByRole('link', { name: /download/i })
        .first()
        .click(),
    ]);
    const path = await download.path();
    const bytes = readFileSync(path);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
    expect(bytes.length).toBe(file.size);
    expect(download.suggestedFilename()).toBe(file.name);
    expect(problems).toEqual([]);
    await context.close();
  });
});
