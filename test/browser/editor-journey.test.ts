// A new user's journey in the Node-RED editor, in Debian's Chromium driven by playwright-core, inside this test's
// private network namespace: palette, drag, dialogs, interface list, inline validation, Test, an example, deploy.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startNodeRed, type NodeRedProcess } from '../../testnet/node-red-process';
import { nextPort } from '../support/ports';
import { requirePrivateNetwork, skipWithReason } from '../support/private-network';

const CHROMIUM = '/usr/bin/chromium';
// The README's screenshots are rewritten only on request (UPDATE_SCREENSHOTS=1), so a test run leaves the tree clean.
const images = process.env.UPDATE_SCREENSHOTS ? join(__dirname, '..', '..', 'docs', 'images') : join(tmpdir(), 'multicast-bus-screenshots');

describe('the editor journey in a real browser', function () {
  this.timeout(120000);
  let red: NodeRedProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;

  before(async function () {
    requirePrivateNetwork(this);
    if (!existsSync(CHROMIUM)) skipWithReason(this, 'needs Chromium (apt-get install chromium; .ci/run installs it)');
    red = await startNodeRed({ port: nextPort() });
    browser = await chromium.launch({
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
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    mkdirSync(images, { recursive: true });
  });
  afterEach(async function () {
    // What the page looked like when a step failed: the first thing to look at.
    if (this.currentTest?.state === 'failed' && page)
      await page.screenshot({ path: join(tmpdir(), 'multicast-bus-browser-failure.png') }).catch(() => undefined);
  });
  after(async () => {
    await browser?.close();
    await red?.stop();
  });

  it('finds the three nodes in the palette, under network', async () => {
    await page.goto(red!.url);
    await page.waitForSelector('#red-ui-palette-network .red-ui-palette-node[data-palette-type="multicast-in"]');
    for (const type of ['multicast-in', 'multicast-out']) {
      assert.equal(await page.locator(`#red-ui-palette-network .red-ui-palette-node[data-palette-type="${type}"]`).count(), 1, type);
    }
    assert.equal(
      await page.locator('#red-ui-palette-network .red-ui-palette-node[data-palette-type="multicast-in"] .red-ui-palette-label').innerText(),
      'multicast in',
    );
  });

  it('drags multicast-in onto the canvas and creates a bus in the config dialog: interfaces listed, inline validation, Test', async () => {
    const from = page.locator('#red-ui-palette-network .red-ui-palette-node[data-palette-type="multicast-in"]');
    await from.scrollIntoViewIfNeeded();
    const box = (await from.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(500, 300, { steps: 20 });
    await page.mouse.move(520, 320, { steps: 5 });
    await page.mouse.up();
    const node = page.locator('#red-ui-workspace-chart g.red-ui-flow-node-group, #red-ui-workspace-chart g.red-ui-flow-node').first();
    await node.waitFor();
    await node.dblclick();
    await page.waitForSelector('#node-input-bus');
    await page.click('#node-input-btn-bus-add');
    await page.waitForSelector('#node-config-input-group');
    await page.waitForFunction(() => document.querySelectorAll('#multicast-bus-interfaces option').length >= 3);
    const interfaces = await page
      .locator('#multicast-bus-interfaces option')
      .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    assert.ok(interfaces.includes('lo') && interfaces.includes('*'), interfaces.join(', '));

    await page.fill('#node-config-input-group', '10.0.0.1');
    assert.match(await page.locator('#multicast-bus-message-group').innerText(), /Not a multicast group/);
    await page.fill('#node-config-input-ttl', '300');
    assert.match(await page.locator('#multicast-bus-message-ttl').innerText(), /TTL must be/);
    await page.fill('#node-config-input-source', '198.51.100.7');
    assert.match(await page.locator('#multicast-bus-message-source').innerText(), /source-specific group/);
    await page.locator('#node-config-input-group').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(images, 'config-validation.png') });

    await page.fill('#node-config-input-group', '239.255.76.67');
    await page.fill('#node-config-input-ttl', '0');
    await page.fill('#node-config-input-source', '');
    await page.fill('#node-config-input-iface', 'lo');
    assert.equal(await page.locator('#multicast-bus-message-group').innerText(), '');
    await page.click('#multicast-bus-test');
    await page.waitForFunction(() => document.querySelectorAll('#multicast-bus-test-result .multicast-bus-test-ok').length === 5, undefined, {
      timeout: 10000,
    });
    const said = await page.locator('#multicast-bus-test-result').innerText();
    assert.match(said, /the probe came back: this host hears the bus/);
    await page.locator('#multicast-bus-test-result').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(images, 'config-test.png') });
    await page.click('#node-config-dialog-ok');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-input-bus', { state: 'detached' });
  });

  it('imports "Sensor fanout" from Import ▸ Examples, deploys, and shows green status and messages in the debug sidebar', async () => {
    await page.click('#red-ui-header-button-sidemenu');
    await page.click('#menu-item-import');
    const dialog = page.locator('.red-ui-editor-dialog, .ui-dialog').filter({ hasText: 'Import nodes' });
    await dialog.getByText('Examples', { exact: true }).first().click();
    await dialog.locator('.red-ui-treeList-label').filter({ hasText: 'node-red-contrib-multicast-bus' }).first().click();
    await dialog.locator('.red-ui-treeList-label').filter({ hasText: 'Sensor fanout' }).first().click();
    await page.screenshot({ path: join(images, 'import-examples.png') });
    await page.click('#red-ui-clipboard-dialog-ok');
    // The imported nodes stick to the mouse until placed.
    await page.mouse.move(700, 500, { steps: 5 });
    await page.mouse.click(700, 500);
    await page.click('#red-ui-header-button-deploy');
    const confirm = page.locator('#red-ui-header-button-deploy-confirm, .red-ui-notification button:has-text("Confirm deploy")');
    if (await confirm.count()) await confirm.first().click();
    // The example brings its own tab.
    await page.locator('.red-ui-tab').filter({ hasText: 'Sensor fanout' }).first().click();
    await page.waitForFunction(() => document.querySelectorAll('.red-ui-flow-node-status-dot-green').length >= 3, undefined, { timeout: 15000 });
    await page.click('#red-ui-tab-debug-link-button').catch(() => undefined);
    await page.waitForFunction(() => document.querySelectorAll('.red-ui-debug-msg').length >= 2, undefined, { timeout: 15000 });
    const topics = await page.locator('.red-ui-debug-msg').allInnerTexts();
    assert.ok(
      topics.some((t) => t.includes('sensors/')),
      topics.slice(0, 3).join(' | '),
    );
    await page.screenshot({ path: join(images, 'sensor-fanout.png') });
  });
});
