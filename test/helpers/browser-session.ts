import type { Browser, BrowserContext, Page } from 'playwright-core';

/**
 * A new browser context signed in at the development IdP as the demo account whose button matches
 * `who`. Page errors and console errors are pushed into `problems` (tests assert it stays empty).
 */
export async function signedInPage(
  browser: Browser,
  appUrl: string,
  who: RegExp,
  problems: string[],
  contextOptions: Parameters<Browser['newContext']>[0] = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  watchProblems(page, problems);
  await page.goto(appUrl);
  await page.getByRole('link', { name: 'Sign in' }).first().click();
  // The sign-in page explains the development IdP; continue to it.
  if (!page.url().includes('/oidc/interaction/'))
    await page
      .getByRole('link', { name: /sign in/i })
      .last()
      .click();
  await page.waitForURL(/\/oidc\/interaction\//);
  await page.getByRole('button', { name: who }).click();
  await page.waitForURL((u) => u.origin === appUrl && !u.pathname.startsWith('/oidc'));
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  return { context, page };
}

/** Collects a page's uncaught errors and console errors. */
export function watchProblems(page: Page, problems: string[]) {
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
}
