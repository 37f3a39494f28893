// Debian's Chromium for the browser tests, driven by playwright-core, and where its screenshots go.
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { skipWithReason } from '../support/private-network';

const CHROMIUM = '/usr/bin/chromium';

// The docs' screenshots are rewritten only on request (UPDATE_SCREENSHOTS=1), so a test run leaves the tree clean.
// Each run writes to a folder of its own, so runs by different users never collide.
const scratch = mkdtempSync(join(tmpdir(), 'multicast-bus-browser-'));
const images = process.env.UPDATE_SCREENSHOTS ? join(__dirname, '..', '..', 'docs', 'images') : scratch;

/** Starts Chromium headless, or skips the test (saying why) where it is not installed. */
export async function launchChromium(context: Mocha.Context): Promise<Browser> {
  if (!existsSync(CHROMIUM)) skipWithReason(context, 'needs Chromium (apt-get install chromium; .ci/run installs it)');
  mkdirSync(images, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
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

/** A screenshot for the docs (docs/images/<file> with UPDATE_SCREENSHOTS=1), once trays have finished sliding. */
export async function snap(page: Page, file: string): Promise<void> {
  await page.waitForTimeout(700);
  await page.screenshot({ path: join(images, file) });
}

/** For afterEach: what the page looked like when a step failed, the first thing to look at. */
export async function showFailure(context: Mocha.Context, page: Page | undefined): Promise<void> {
  if (context.currentTest?.state !== 'failed' || !page) return;
  const path = join(scratch, 'failure.png');
  await page.screenshot({ path }).catch(() => undefined);
  console.log(`      the page when it failed: ${path}`);
}
