// Headless Chromium for the report tests (playwright-core driving Debian's /usr/bin/chromium, which
// `npm test`'s bootstrap installs): a fresh profile, the new headless mode, no GPU, no background
// network, so that any request a page makes is its own.
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Runs `use` with a persistent context on a fresh profile, then closes it and removes the profile.
 * Fails the test when Chromium is missing.
 */
export async function withChromium<T>(use: (ctx: BrowserContext) => Promise<T>): Promise<T> {
  if (!existsSync(CHROMIUM)) {
    assert.unreachable(
      `Chromium is missing at ${CHROMIUM}; the report tests need it. Install it as root: apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium`,
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'dlmk-chromium-profile-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: false, // the flag below asks for the new headless mode itself
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1280, height: 900 },
    timeout: 60_000,
  });
  try {
    return await use(ctx);
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
