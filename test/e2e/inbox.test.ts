import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertMany } from '../../api/notifications/notifications.repo.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { signedInPage } from '../helpers/browser-session.ts';
import { launchChromium } from '../helpers/chromium.ts';

/** The inbox page in chromium: the signed-in user's notifications, marking one read, then all. */
describe('browser: the inbox', () => {
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

  it('lists, marks read and marks all read, under the strict CSP', async () => {
    const sam = await app.user({ email: 'steward@example.org' });
    const bea = await app.user({ email: 'builder@example.org' });
    await insertMany(
      app.database.db,
      ['First', 'Second'].map((t, i) => ({
        userId: sam.id,
        kind: 'request.submitted',
        subjectType: 'AccessRequest',
        subjectId: crypto.randomUUID(),
        title: `${t} request to review`,
        body: `Body ${i}`,
        link: '/steward',
      })),
    );
    await insertMany(app.database.db, [
      {
        userId: bea.id,
        kind: 'request.approved',
        subjectType: 'AccessRequest',
        subjectId: crypto.randomUUID(),
        title: 'Not for Sam',
        link: '/',
      },
    ]);
    const problems: string[] = [];
    const { page } = await signedInPage(browser, app.url, /Sam Steward/, problems);

    await page.goto(`${app.url}/inbox`);
    await page.getByRole('heading', { name: 'Inbox' }).waitFor();
    await page.getByText('2 unread', { exact: true }).waitFor();
    await page.getByRole('link', { name: 'Second request to review' }).waitFor();
    expect(await page.getByText('Not for Sam').count()).toBe(0);
    await page.screenshot({ path: 'test-results/inbox.png', fullPage: true });

    await page.getByRole('button', { name: /Mark read.*Second request to review/ }).click();
    await page.getByText('1 unread', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Mark all read' }).click();
    await page.getByText('0 unread', { exact: true }).waitFor();
    await page.getByLabel('Unread only').check();
    await page.getByText('Nothing unread.').waitFor();
    expect(problems).toEqual([]);
  });
});
