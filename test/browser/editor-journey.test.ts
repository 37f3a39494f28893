// A newcomer's first ten minutes in the Node-RED editor, in Debian's Chromium driven by playwright-core, inside this
// test's private network namespace: the palette, a first flow dragged together from palette defaults, the bus dialog
// (tabs, interface picker, Test), deploy, the first message in the debug sidebar, every checked field marking its
// node invalid before deploy (Node-RED's own red triangle and deploy warning), a send failure readable in full, no
// text cut off, and an example from Import ▸ Examples.
import assert from 'node:assert/strict';
import { type Browser, type Page } from 'playwright-core';
import { startNodeRed, type NodeRedProcess } from '../../testnet/node-red-process';
import { nextPort } from '../support/ports';
import { requirePrivateNetwork } from '../support/private-network';
import { until } from '../support/until';
import { launchChromium, showFailure, snap as snapPage } from './chromium';
import { cutOffTexts } from './cut-off-texts';
import { dragFromPalette, wire } from './editor-canvas';

describe('the first ten minutes in the editor, in a real browser', function () {
  this.timeout(180000);
  let red: NodeRedProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const ids: Record<string, string> = {};

  /** Opens a node's dialog by double-clicking it on the canvas. */
  async function openNode(id: string) {
    // A double click right after the canvas redrew can land as two single clicks, as it can for a user: try again.
    for (let attempt = 1; ; attempt++) {
      await page.locator(`[id="${id}"] .red-ui-flow-node`).dblclick();
      try {
        await page.waitForSelector('.red-ui-tray-body .form-row', { timeout: 3000 });
        return;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  }

  /** Opens the dialog of the bus a multicast out uses, from the out node's dialog (the pencil next to Bus). */
  async function openBusOf(outId: string) {
    await openNode(outId);
    await page.click('#node-input-btn-bus-edit');
    await page.waitForSelector('#node-config-input-group');
  }

  async function closeDialogs() {
    await page.click('#node-config-dialog-ok');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-input-bus', { state: 'detached' });
  }

  /** Whether Node-RED's red triangle shows on a node of the canvas, once the dialog has closed and the view redrawn. */
  async function hasTriangle(id: string): Promise<boolean> {
    await page.waitForSelector('.red-ui-tray', { state: 'detached' });
    await page.waitForTimeout(300);
    return page.locator(`[id="${id}"] .red-ui-flow-node-error`).isVisible();
  }

  /** The reasons Node-RED keeps for an invalid node (what the triangle's tooltip lists). */
  async function reasons(id: string): Promise<string[]> {
    return page.evaluate((nodeId) => {
      const node = (window as any).RED.nodes.node(nodeId);
      return node.valid ? [] : (node.validationErrors ?? []).map(String);
    }, id);
  }

  /** A screenshot for the README (docs/images, with UPDATE_SCREENSHOTS=1). */
  const snap = (file: string) => snapPage(page, file);

  async function deploy(): Promise<void> {
    await page.click('#red-ui-header-button-deploy');
    await page.waitForSelector('.red-ui-notification:has-text("Successfully deployed")', { timeout: 15000 });
  }

  before(async function () {
    requirePrivateNetwork(this);
    browser = await launchChromium(this);
    red = await startNodeRed({ port: nextPort() });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(10000);
  });
  afterEach(async function () {
    await showFailure(this, page);
  });
  after(async () => {
    await browser?.close();
    await red?.stop();
  });

  it('shows multicast in and multicast out under network, each with its own icon, and says that multicast in filters', async () => {
    await page.goto(red!.url);
    const palette = (type: string) => page.locator(`#red-ui-palette-network .red-ui-palette-node[data-palette-type="${type}"]`);
    await palette('multicast-in').waitFor();
    const label = async (type: string) => (await palette(type).locator('.red-ui-palette-label').innerText()).replace(/\s+/g, ' ');
    assert.equal(await label('multicast-in'), 'multicast in');
    assert.equal(await label('multicast-out'), 'multicast out');
    const icon = (type: string) =>
      palette(type)
        .locator('.red-ui-palette-icon')
        .evaluate((element) => getComputedStyle(element).backgroundImage);
    assert.notEqual(await icon('multicast-in'), await icon('multicast-out'), 'the two nodes look different in the palette');
    await palette('multicast-in').hover();
    const tooltip = page.locator('.red-ui-popover').filter({ hasText: /filter|match/i });
    await tooltip.first().waitFor({ timeout: 5000 });
    await page.mouse.move(700, 450);
  });

  it('builds the first flow from palette defaults: inject → multicast out → a new bus → multicast in → debug', async () => {
    ids.inject = await dragFromPalette(page, 'inject', 'common', 330, 200);
    ids.out = await dragFromPalette(page, 'multicast-out', 'network', 560, 200);
    ids.in = await dragFromPalette(page, 'multicast-in', 'network', 330, 300);
    ids.debug = await dragFromPalette(page, 'debug', 'common', 560, 300);
    await wire(page, ids.inject, ids.out);
    await wire(page, ids.in, ids.debug);

    // The out node's dialog explains which topic it sends on, then a new bus is added from it.
    await openNode(ids.out);
    assert.match(await page.locator('.form-tips[data-i18n*="tip.topic"]').innerText(), /msg\.topic.*messages/s);
    await page.click('#node-input-btn-bus-add');
    await page.waitForSelector('#node-config-input-group');
    const tabs = await page.locator('#multicast-bus-tabs .red-ui-tab-label').allInnerTexts();
    assert.deepEqual(
      tabs.map((t) => t.trim()),
      ['Connection', 'Messages', 'Security', 'Advanced', 'Statistics'],
    );
    // Test sits with the network settings, in view without scrolling.
    assert.ok(await page.locator('#multicast-bus-test').isVisible());
    assert.ok(await page.locator('#multicast-bus-test').evaluate((button) => button.getBoundingClientRect().bottom <= window.innerHeight));
    // The interface picker lists this host's interfaces, and says where "OS default" goes.
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll('#multicast-bus-iface-choice option')).some((o) => (o as HTMLOptionElement).value === 'lo'),
    );
    const choices = await page.locator('#multicast-bus-iface-choice option').allInnerTexts();
    assert.ok(
      choices.some((c) => c.startsWith('lo — 127.0.0.1')),
      choices.join(' | '),
    );
    assert.ok(choices.includes('All interfaces'), choices.join(' | '));
    assert.equal(await page.locator('#node-config-input-iface').isVisible(), false, 'no free-text box until "Other…"');
    // A new bus is named as a new flow is ("Flow 1"): short enough for the configuration sidebar.
    assert.equal(await page.locator('#node-config-input-name').inputValue(), 'bus 1');
    await page.selectOption('#multicast-bus-iface-choice', 'lo');
    assert.equal(await page.locator('#node-config-input-iface').inputValue(), 'lo');
    await snap('config-dialog.png');

    // A settings error: the Test button names it, and gives no network advice.
    await page.fill('#node-config-input-group', '192.168.1.1');
    assert.match(await page.locator('.multicast-bus-message[data-for="group"]').innerText(), /Not a multicast group/);
    await page.click('#multicast-bus-test');
    await page.waitForSelector('#multicast-bus-test-result .multicast-bus-test-failed');
    assert.match(await page.locator('#multicast-bus-test-result').innerText(), /not a multicast group/);
    assert.equal(await page.locator('#multicast-bus-test-result .multicast-bus-test-advice').count(), 0);
    await snap('config-validation.png');

    await page.fill('#node-config-input-group', '239.255.76.67');
    assert.equal(await page.locator('.multicast-bus-message[data-for="group"]').innerText(), '');
    await page.click('#multicast-bus-test');
    await page.waitForFunction(() => document.querySelectorAll('#multicast-bus-test-result .multicast-bus-test-ok').length === 5, undefined, {
      timeout: 10000,
    });
    assert.match(await page.locator('#multicast-bus-test-result').innerText(), /the probe came back: this host hears the bus/);
    assert.equal(await page.locator('#multicast-bus-test-result .multicast-bus-test-advice').count(), 1);
    await snap('config-test.png');
    await closeDialogs();

    // The in node was dropped before the bus existed: pick it in the list.
    await openNode(ids.in);
    await page.selectOption('#node-input-bus', { label: 'bus 1' });
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-input-bus', { state: 'detached' });
    const busId = await page.evaluate((id) => (window as any).RED.nodes.node(id).bus, ids.out);
    assert.deepEqual(
      await reasons(busId),
      [],
      `the bus made from defaults is valid: ${await page.evaluate((id) => JSON.stringify(Object.fromEntries(['rejoin', 'ttl', 'port', 'replayWindow', 'source'].map((k) => [k, (window as any).RED.nodes.node(id)[k]]))), busId)}`,
    );
    for (const id of Object.values(ids)) assert.equal(await hasTriangle(id), false, `${id} is valid`);
  });

  it('deploys, and one press of the inject button puts the first message in the debug sidebar', async () => {
    await deploy();
    await page.waitForFunction((id) => document.querySelector(`[id="${id}"] .red-ui-flow-node-status-dot-green`) !== null, ids.in, {
      timeout: 15000,
    });
    await page.click('#red-ui-tab-debug-link-button');
    await page.locator(`[id="${ids.inject}"] .red-ui-flow-node-button`).click();
    const message = page.locator('.red-ui-debug-msg').first();
    await message.waitFor({ timeout: 10000 });
    assert.match(await message.innerText(), /messages/, 'msg.topic is the default topic');
    assert.match(await message.locator('.red-ui-debug-msg-payload').innerText(), /^\d{13}$/, 'the inject timestamp');
    // Each node's status tells its own traffic: the out what it sent.
    await page.waitForFunction(
      (id) => /sent/.test(document.querySelector(`[id="${id}"] .red-ui-flow-node-status-label`)?.textContent ?? ''),
      ids.out,
      {
        timeout: 10000,
      },
    );
    await snap('first-flow.png');
  });

  const busFields: [string, string, RegExp][] = [
    ['ttl', '300', /TTL must be/],
    ['port', '70000', /Port must be/],
    ['group', '192.168.1.1', /Not a multicast group/],
    ['maxDatagram', '100', /Datagram size must be/],
    ['rejoin', '-5', /Rejoin must be/],
    ['maxMessage', '2 GiB', /Largest message must be/],
    ['rcvbuf', 'lots', /Receive buffer must be/],
    ['source', '198.51.100.7', /source-specific group/],
  ];
  for (const [field, wrong, message] of busFields) {
    it(`marks the flow invalid before deploy when the bus's ${field} is ${wrong}`, async () => {
      await openBusOf(ids.out);
      const tab = await page.locator(`#node-config-input-${field}`).evaluate((input) => input.closest('[id^="multicast-bus-tab-"]')!.id);
      await page.click(`#multicast-bus-tabs a[href="#${tab}"]`);
      const original = await page.locator(`#node-config-input-${field}`).inputValue();
      // Typed as a user types, so Node-RED's own per-key validation runs.
      await page.fill(`#node-config-input-${field}`, '');
      await page.locator(`#node-config-input-${field}`).pressSequentially(wrong);
      assert.match(await page.locator(`.multicast-bus-message[data-for="${field}"]`).innerText(), message);
      assert.ok(await page.locator(`#node-config-input-${field}`).evaluate((input) => input.classList.contains('input-error')), 'red border');
      await closeDialogs();

      const busId = await page.evaluate((id) => (window as any).RED.nodes.node(id).bus, ids.out);
      assert.ok(
        (await reasons(busId)).some((reason) => message.test(reason)),
        `the bus names the reason: ${await reasons(busId)}`,
      );
      assert.ok(await hasTriangle(ids.out), 'multicast out shows the red triangle');
      assert.ok(await hasTriangle(ids.in), 'multicast in shows the red triangle');
      await page.click('#red-ui-header-button-deploy');
      const warning = page.locator('.red-ui-notification').filter({ hasText: 'not properly configured' });
      await warning.waitFor({ timeout: 5000 });
      assert.match(await warning.innerText(), /multicast-bus/);
      await warning.getByRole('button', { name: 'Cancel' }).click();

      await openBusOf(ids.out);
      await page.click(`#multicast-bus-tabs a[href="#${tab}"]`);
      await page.fill(`#node-config-input-${field}`, original);
      await closeDialogs();
      assert.equal(await hasTriangle(ids.out), false, 'valid again');
    });
  }

  it('marks a sealed bus without a key invalid, and a key from Generate makes it valid', async () => {
    await openBusOf(ids.out);
    await page.click('#multicast-bus-tabs a[href="#multicast-bus-tab-security"]');
    await page.selectOption('#node-config-input-security', 'sealed');
    assert.match(await page.locator('.multicast-bus-message[data-for="key"]').innerText(), /needs a key/);
    await snap('config-security.png');
    await closeDialogs();
    assert.ok(await hasTriangle(ids.out));
    await openBusOf(ids.out);
    await page.click('#multicast-bus-tabs a[href="#multicast-bus-tab-security"]');
    await page.click('#multicast-bus-generate-key');
    assert.equal(await page.locator('.multicast-bus-message[data-for="key"]').innerText(), '');
    await page.locator('#node-config-input-replayWindow').fill('');
    await page.locator('#node-config-input-replayWindow').pressSequentially('0');
    assert.match(await page.locator('.multicast-bus-message[data-for="replayWindow"]').innerText(), /Time window must be/);
    assert.match(
      (await page.locator('#multicast-bus-tabs a[href="#multicast-bus-tab-security"]').getAttribute('style')) ?? '',
      /color/,
      'the tab is marked',
    );
    await page.locator('#node-config-input-replayWindow').fill('120');
    await closeDialogs();
    assert.equal(await hasTriangle(ids.out), false);
    // The editor never gets the key back from the runtime: after a deploy and a reload the bus is still valid.
    await deploy();
    await page.reload();
    await page.locator(`[id="${ids.out}"]`).waitFor();
    assert.equal(await hasTriangle(ids.out), false, 'a deployed sealed bus stays valid after a reload');
    await openBusOf(ids.out);
    await page.click('#multicast-bus-tabs a[href="#multicast-bus-tab-security"]');
    await page.selectOption('#node-config-input-security', 'none');
    await closeDialogs();
    assert.equal(await hasTriangle(ids.out), false);
  });

  it('marks a multicast in invalid for the filter sensors/#/temp, and a multicast out for a 64-byte topic', async () => {
    for (const [id, wrong, message] of [
      [ids.in, 'sensors/#/temp', /# must be a whole level at the end/],
      [ids.out, 'x'.repeat(64), /at most 63 bytes/],
    ] as const) {
      await openNode(id);
      await page.fill('#node-input-topic', wrong);
      assert.match(await page.locator('.multicast-bus-message[data-for="topic"]').innerText(), message);
      await page.click('#node-dialog-ok');
      assert.ok(await hasTriangle(id));
      assert.ok(
        (await reasons(id)).some((reason) => message.test(reason)),
        String(await reasons(id)),
      );
      await openNode(id);
      await page.fill('#node-input-topic', '');
      await page.click('#node-dialog-ok');
      assert.equal(await hasTriangle(id), false);
    }
  });

  it('marks a multicast out with Delivery reliable invalid once its bus has raw framing, and valid again on LCM', async () => {
    await openNode(ids.out);
    await page.selectOption('#node-input-delivery', 'reliable');
    assert.equal(await page.locator('.multicast-bus-message[data-for="delivery"]').innerText(), '', 'reliable on an LCM bus is fine');
    await page.check('#node-input-retain');
    await snap('out-delivery.png');
    await page.uncheck('#node-input-retain');
    await page.click('#node-dialog-ok');
    assert.equal(await hasTriangle(ids.out), false);

    const setFraming = async (framing: string) => {
      await openBusOf(ids.out);
      await page.click('#multicast-bus-tabs a[href="#multicast-bus-tab-messages"]');
      await page.selectOption('#node-config-input-framing', framing);
      await closeDialogs();
    };
    await setFraming('raw');
    assert.ok(await hasTriangle(ids.out), 'multicast out shows the red triangle');
    assert.ok(
      (await reasons(ids.out)).some((reason) => /need a bus with LCM framing/.test(reason)),
      String(await reasons(ids.out)),
    );
    await openNode(ids.out);
    assert.match(await page.locator('.multicast-bus-message[data-for="delivery"]').innerText(), /need a bus with LCM framing/);
    // Retain alone asks for the same.
    await page.selectOption('#node-input-delivery', 'best-effort');
    assert.equal(await page.locator('.multicast-bus-message[data-for="delivery"]').innerText(), '');
    await page.check('#node-input-retain');
    assert.match(await page.locator('.multicast-bus-message[data-for="delivery"]').innerText(), /need a bus with LCM framing/);
    await page.uncheck('#node-input-retain');
    await page.click('#node-dialog-ok');
    assert.equal(await hasTriangle(ids.out), false, 'best effort on a raw bus is valid');
    await setFraming('lcm');
    assert.equal(await hasTriangle(ids.out), false);
  });

  it('gives multicast in an input when its subscriptions are set at runtime, and disables its Topic', async () => {
    const inputPort = () => page.locator(`[id="${ids.in}"] .red-ui-flow-port-input`).count();
    assert.equal(await inputPort(), 0, 'no input while the Topic subscribes');
    await openNode(ids.in);
    await page.check('#node-input-dynamic');
    assert.equal(await page.locator('#node-input-topic').isDisabled(), true, 'the Topic is not used');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('.red-ui-tray', { state: 'detached' });
    await until('an input port', async () => ((await inputPort()) === 1 ? true : undefined), 3000);
    await openNode(ids.in);
    await page.uncheck('#node-input-dynamic');
    assert.equal(await page.locator('#node-input-topic').isDisabled(), false);
    await page.click('#node-dialog-ok');
    await until('the input port gone', async () => ((await inputPort()) === 0 ? true : undefined), 3000);
  });

  it('cuts no text off in the dialogs or the configuration sidebar at 1400×900', async () => {
    // Measured once a tray has finished sliding in.
    const cutOff = async (root: string) => {
      await page.waitForTimeout(700);
      return cutOffTexts(page, root);
    };
    await openBusOf(ids.out);
    for (const tab of ['connection', 'messages', 'security', 'advanced', 'statistics']) {
      await page.click(`#multicast-bus-tabs a[href="#multicast-bus-tab-${tab}"]`);
      // The deployed bus's counters, measured once they are there.
      if (tab === 'statistics') await page.locator('#multicast-bus-statistics .multicast-bus-stats-group').first().waitFor();
      assert.deepEqual(await cutOff('.red-ui-tray:last-of-type .red-ui-tray-body'), [], `bus dialog, ${tab} tab`);
    }
    await page.click('#node-config-dialog-cancel');
    assert.deepEqual(await cutOff('.red-ui-tray .red-ui-tray-body'), [], 'multicast out dialog');
    await page.click('#node-dialog-cancel');
    await openNode(ids.in);
    assert.deepEqual(await cutOff('.red-ui-tray .red-ui-tray-body'), [], 'multicast in dialog');
    await page.click('#node-dialog-cancel');
    await page.click('#red-ui-tab-config-link-button').catch(async () => page.keyboard.press('Control+g c'));
    await page.waitForSelector('#red-ui-sidebar-content .red-ui-palette-node[data-palette-type="multicast-bus"], .red-ui-palette-node-config');
    assert.deepEqual(await cutOff('#red-ui-sidebar-content'), [], 'configuration nodes sidebar');
  });

  it('turns multicast out red on a failed send and shows the whole error in the debug sidebar', async () => {
    // A raw bus takes one datagram per message: 70,000 bytes cannot go.
    const raw = await page.evaluate(() => {
      const RED = (window as any).RED;
      const bus = { id: RED.nodes.id(), type: 'multicast-bus', group: '239.255.76.99', port: 7699, ttl: 0, iface: 'lo', framing: 'raw' };
      const z = RED.workspaces.active();
      const inject = { id: RED.nodes.id(), type: 'inject', z, x: 330, y: 420, name: 'too big', props: [{ p: 'payload' }] };
      Object.assign(inject, { payload: '$pad("", 70000, "x")', payloadType: 'jsonata', repeat: '', once: false, topic: '' });
      const out = { id: RED.nodes.id(), type: 'multicast-out', z, x: 560, y: 420, bus: bus.id, topic: '', name: '' };
      (inject as any).wires = [[out.id]];
      RED.view.importNodes([bus, inject, out], { generateIds: false, addFlow: false, touchImport: true });
      return { inject: inject.id, out: out.id };
    });
    await page.mouse.click(700, 600);
    await deploy();
    await page.click('#red-ui-tab-debug-link-button');
    await page
      .locator('.red-ui-sidebar .red-ui-debug-toolbar a, #red-ui-sidebar-debug-clear, .red-ui-debug-toolbar .fa-trash')
      .first()
      .click()
      .catch(() => undefined);
    await page.locator(`[id="${raw.inject}"] .red-ui-flow-node-button`).click();
    const status = page.locator(`[id="${raw.out}"] .red-ui-flow-node-status-label`);
    await page.waitForFunction(
      (id) => document.querySelector(`[id="${id}"] .red-ui-flow-node-status-ring-red, [id="${id}"] .red-ui-flow-node-status-dot-red`) !== null,
      raw.out,
      {
        timeout: 10000,
      },
    );
    assert.match((await status.textContent()) ?? '', /70000|too large|datagram/i);
    const error = page.locator('.red-ui-debug-msg-level-20').first();
    await error.waitFor({ timeout: 10000 });
    // A long string shows shortened, as every message in the sidebar does; one click on it shows it whole.
    await error.locator('.red-ui-debug-msg-payload .red-ui-debug-msg-type-string').first().click();
    const text = await error.innerText();
    assert.match(text, /send smaller messages/, `the advice at the end of the error is there: ${text}`);
    assert.deepEqual(await cutOffTexts(page, '.red-ui-debug-msg-level-20'), [], 'the error is not cut off');
    await snap('send-failure.png');
  });

  it('imports "Sensor fanout" from Import ▸ Examples, deploys, and shows green status and messages in the debug sidebar', async () => {
    await page.click('#red-ui-header-button-sidemenu');
    await page.click('#menu-item-import');
    const dialog = page.locator('.red-ui-editor-dialog, .ui-dialog').filter({ hasText: 'Import nodes' });
    await dialog.getByText('Examples', { exact: true }).first().click();
    await dialog.locator('.red-ui-treeList-label').filter({ hasText: 'node-red-contrib-multicast-bus' }).first().click();
    await dialog.locator('.red-ui-treeList-label').filter({ hasText: 'Sensor fanout' }).first().click();
    await snap('import-examples.png');
    await page.click('#red-ui-clipboard-dialog-ok');
    // The imported nodes stick to the mouse until placed.
    await page.mouse.move(700, 500, { steps: 5 });
    await page.mouse.click(700, 500);
    await page.click('#red-ui-header-button-deploy');
    const confirm = page.locator('#red-ui-deploy-dialog-confirm-deploy-deploy');
    if (await confirm.count()) await confirm.first().click();
    // The example brings its own tab.
    await page.locator('.red-ui-tab').filter({ hasText: 'Sensor fanout' }).first().click();
    await page.waitForFunction(() => document.querySelectorAll('.red-ui-flow-node-status-dot-green').length >= 3, undefined, { timeout: 15000 });
    await page.click('#red-ui-tab-debug-link-button').catch(() => undefined);
    await page.waitForFunction(
      () => Array.from(document.querySelectorAll('.red-ui-debug-msg')).some((m) => m.textContent?.includes('sensors/')),
      undefined,
      {
        timeout: 15000,
      },
    );
    await snap('sensor-fanout.png');
  });
});
