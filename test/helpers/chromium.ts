import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Debian's chromium, headless, with the flags this machine's closed network needs (no background
 * networking, sync or component updates, which would otherwise be refused many at a time).
 */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(executablePath))
    throw new Error(`chromium not found at ${executablePath} (apt-get install chromium)`);
  return chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
