// The bus sidebar and the bus dialog's Statistics tab, in Debian's Chromium driven by playwright-core, inside this
// test's private network namespace, on a Node-RED with admin auth: an admin deploys a flow that publishes on an LCM
// bus on lo; a user who may only read sees the publisher and its topic live (through comms, not by polling), its last
// payload on a click, and the bus's counters in the dialog; nobody who has not logged in sees any of it.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { type Browser, type Page } from 'playwright-core';
import { bus, multicastIn, multicastOut, tab } from '../../testnet/flow-nodes';
import { startNodeRed, type NodeRedProcess } from '../../testnet/node-red-process';
import { nextPort } from '../support/ports';
import { requirePrivateNetwork } from '../support/private-network';
import { until } from '../support/until';
import { launchChromium, showFailure, snap as snapPage } from './chromium';
import { cutOffTexts } from './cut-off-texts';

// Node-RED's own bcrypt, as `node-red admin hash-pw` uses it.
const bcrypt = require(require.resolve('bcryptjs', { paths: [require.resolve('node-red')] }));

const PASSWORDS = { admin: 'admin-secret-1', reader: 'reader-secret-1' };
const TOPIC = 'plant/line1/speed';
const PAYLOAD = '{"speed":42.5,"unit":"m/s"}';

describe('the bus sidebar and the Statistics tab, for a user who may only read', function () {
  this.timeout(180000);
  let red: NodeRedProcess | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const plant = bus({ name: 'plant bus', framing: 'lcm', port: nextPort() });
  const out = multicastOut(plant.id, { topic: TOPIC, x: 400, y: 120 });
  const speed = {
    id: 'speed',
    type: 'inject',
    z: tab.id,
    name: 'speed',
    props: [{ p: 'payload' }],
    payload: PAYLOAD,
    payloadType: 'json',
    repeat: '0.3',
    once: true,
    onceDelay: 0.1,
    topic: '',
    x: 160,
    y: 120,
    wires: [[out.id]],
  };
  // Something must listen for the bus to hear its senders.
  const listen = multicastIn(plant.id, '', { x: 160, y: 200, wires: [[]] });
  // A bus that listens and hears nobody.
  const quiet = bus({ name: 'quiet bus', framing: 'lcm', port: nextPort() });
  const listenQuietly = multicastIn(quiet.id, '', { x: 160, y: 260, wires: [[]] });
  let admin: Record<string, string>;

  /** An access token for the admin API, as `node-red admin login` gets one. */
  async function token(username: keyof typeof PASSWORDS): Promise<string> {
    const answer = await red!.api('/auth/token', {
      method: 'POST',
      body: { client_id: 'node-red-admin', grant_type: 'password', scope: '*', username, password: PASSWORDS[username] },
    });
    return answer.access_token;
  }

  /** The status of an admin API request made without logging in. */
  async function anonymous(path: string, method = 'GET'): Promise<number> {
    const response = await fetch(`${red!.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: method === 'POST' ? JSON.stringify({ sender: 'x', topic: TOPIC }) : undefined,
    });
    await response.arrayBuffer();
    return response.status;
  }

  /** A page of a browser context of its own: no login token from another test. */
  async function freshPage(): Promise<Page> {
    const fresh = await (await browser!.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    fresh.setDefaultTimeout(10000);
    return fresh;
  }

  async function logIn(as: keyof typeof PASSWORDS): Promise<void> {
    await page.goto(red!.url);
    await page.fill('#node-dialog-login-username', as);
    await page.fill('#node-dialog-login-password', PASSWORDS[as]);
    await page.click('#node-dialog-login-submit');
    await page.locator(`[id="${out.id}"] .red-ui-flow-node`).waitFor({ timeout: 20000 });
  }

  /** A screenshot for the docs (docs/images, with UPDATE_SCREENSHOTS=1). */
  const snap = (file: string) => snapPage(page, file);

  /** Every request the page makes to a path matching `pattern` from now on. */
  function requestsTo(pattern: RegExp): string[] {
    const seen: string[] = [];
    page.on('request', (request) => {
      const path = new URL(request.url()).pathname;
      if (pattern.test(path)) seen.push(`${request.method()} ${path}`);
    });
    return seen;
  }

  const topicRow = () => page.locator(`tr.multicast-bus-dir-topic[data-topic="${TOPIC}"]`);

  before(async function () {
    requirePrivateNetwork(this);
    browser = await launchChromium(this);
    const user = (username: keyof typeof PASSWORDS, permissions: string) => ({
      username,
      password: bcrypt.hashSync(PASSWORDS[username], 8),
      permissions,
    });
    red = await startNodeRed({
      port: nextPort(),
      settings: { adminAuth: { type: 'credentials', users: [user('admin', '*'), user('reader', 'read')] } },
    });
    // The admin deploys, through the admin API.
    admin = { authorization: `Bearer ${await token('admin')}` };
    const flow = [tab, plant, speed, out, listen, quiet, listenQuietly];
    await red.api('/flows', { method: 'POST', body: flow, headers: { ...admin, 'Node-RED-Deployment-Type': 'full' } });
    await until('the bus hears its own topic', async () => {
      const directory = await red!.api(`/multicast-bus/${plant.id}/directory`, { headers: admin }).catch(() => undefined);
      return directory?.senders.some((sender: { topics: { topic: string }[] }) => sender.topics.some((t) => t.topic === TOPIC));
    });
  });
  afterEach(async function () {
    await showFailure(this, page);
  });
  after(async () => {
    await browser?.close();
    await red?.stop();
  });

  it('answers 401 to the directory, its watch and the stats without a login, and the editor shows only its login form', async () => {
    assert.equal(await anonymous(`/multicast-bus/${plant.id}/directory`), 401);
    assert.equal(await anonymous('/multicast-bus/directory/watch', 'POST'), 401);
    assert.equal(await anonymous(`/multicast-bus/${plant.id}/watch`, 'POST'), 401);
    assert.equal(await anonymous(`/multicast-bus/${plant.id}/stats`), 401);

    page = await freshPage();
    await page.goto(red!.url);
    await page.locator('#node-dialog-login-username').waitFor();
    // Long enough for a feed that reached this page to have shown something.
    await page.waitForTimeout(3000);
    assert.equal(await page.locator('#red-ui-tab-multicast-bus-link-button').count(), 0, 'no bus tab');
    assert.equal(await page.locator('.multicast-bus-directory').count(), 0, 'no sidebar content');
    assert.ok(!(await page.content()).includes(TOPIC), 'no topic anywhere in the page');
    await page.context().close();
  });

  it('shows the reader the publisher by host name and its topic with a rate, updated live through comms', async () => {
    page = await freshPage();
    await logIn('reader');
    const asked = requestsTo(/\/multicast-bus\//);
    // The sidebar has more tabs than fit as icons: the bus tab is in its menu, as a user finds it.
    await page.click('#red-ui-sidebar .red-ui-tab-link-button-menu');
    await page.click('#red-ui-tabs-menu-option-multicast-bus');
    const sender = page.locator('.multicast-bus-dir-sender').filter({ has: topicRow() });
    // The host name comes with the bus's first announcement (every 5 s).
    await until(
      () => `the host name ${hostname()}`,
      async () => (await sender.locator('.multicast-bus-dir-sender-name').innerText()).includes(hostname()),
      { ms: 15000, every: 250 },
    );
    assert.match(await sender.locator('.multicast-bus-dir-sender-name').innerText(), /online/);
    assert.deepEqual(
      (await page.locator('.multicast-bus-dir-title').allInnerTexts()).map((title) => title.trim().split(' ').slice(0, 2).join(' ')),
      ['plant bus', 'quiet bus'],
    );
    const quietSection = page.locator('section').filter({ has: page.locator('.multicast-bus-dir-title', { hasText: 'quiet bus' }) });
    assert.equal(await quietSection.locator('.multicast-bus-dir-notes').innerText(), 'Nothing heard yet');
    const cells = () => topicRow().locator('td').allInnerTexts();
    const [, rate, bandwidth, lost] = await cells();
    assert.match(rate, /^\d+(\.\d+)?\/s$/);
    assert.notEqual(rate, '0/s', 'a rate above zero');
    assert.match(bandwidth, /^\d+(\.\d+)? (B|KiB)\/s$/);
    assert.equal(lost, '0');

    // Live: the sender's message count changes second by second, with no reload and no request for the data.
    const marker = await page.evaluate(() => ((window as any).__notReloaded = Math.random()));
    asked.length = 0;
    const totals = new Set<string>();
    for (let i = 0; i < 10; i++) {
      totals.add(await sender.locator('.multicast-bus-dir-sender-totals').innerText());
      await page.waitForTimeout(400);
    }
    assert.ok(totals.size >= 3, `the count changed at least twice in 4 s: ${[...totals].join(' | ')}`);
    assert.equal(await page.evaluate(() => (window as any).__notReloaded), marker, 'the page was not reloaded');
    assert.deepEqual(asked, [], 'the data came through comms, not by asking');
    assert.deepEqual(await cutOffTexts(page, '#red-ui-sidebar-content'), [], 'nothing cut off at the default width');
  });

  it('shows the last payload of a topic once it is clicked', async () => {
    const asked = requestsTo(/\/watch$/);
    await topicRow().click();
    const preview = page.locator('tr.multicast-bus-dir-preview');
    await until(
      'the payload preview',
      async () =>
        (await preview
          .locator('pre')
          .innerText()
          .catch(() => '')) === PAYLOAD,
      { ms: 8000, every: 200 },
    );
    assert.deepEqual(asked, [`POST /multicast-bus/${plant.id}/watch`]);
    assert.match(await preview.locator('div').innerText(), /^\d+ B · (now|\d+ s ago)$/);
    assert.deepEqual(await cutOffTexts(page, '#red-ui-sidebar-content'), [], 'nothing cut off with the preview open');
    await snap('sidebar-directory.png');
  });

  it('shows the deployed bus counters in its dialog, every 2 s while the Statistics tab shows, and stops as it closes', async () => {
    const asked = requestsTo(/\/stats$/);
    await page.locator(`[id="${out.id}"] .red-ui-flow-node`).dblclick();
    await page.click('#node-input-btn-bus-edit');
    await page.click('#multicast-bus-tabs a[href="#multicast-bus-tab-statistics"]');
    const received = page.locator('table[data-group="received"] tr').filter({ has: page.locator('th', { hasText: /^messages$/ }) });
    const messages = async () =>
      Number(
        (
          await received
            .locator('td')
            .innerText()
            .catch(() => '0')
        ).replace(/\D/g, ''),
      );
    const first = await until('messages received', async () => (await messages()) || undefined);
    await until('messages received to go up', async () => (await messages()) > first, { ms: 5000, every: 250 });
    for (const group of ['received', 'sent', 'sendQueue', 'malformed', 'reassembly', 'sequence', 'reliable', 'presence']) {
      assert.equal(await page.locator(`table[data-group="${group}"]`).count(), 1, `the ${group} group`);
    }
    assert.deepEqual(await cutOffTexts(page, '.red-ui-tray:last-of-type .red-ui-tray-body'), [], 'nothing cut off');
    // No tooltip over the counters.
    await page.mouse.move(700, 700);
    await snap('bus-statistics.png');
    assert.ok(asked.length >= 2, `asked again: ${asked.length}`);

    await page.click('#multicast-bus-tabs a[href="#multicast-bus-tab-connection"]');
    await page.waitForTimeout(500);
    const whileHidden = asked.length;
    await page.waitForTimeout(2500);
    assert.equal(asked.length, whileHidden, 'no request while another tab shows');
    await page.click('#multicast-bus-tabs a[href="#multicast-bus-tab-statistics"]');
    await until('asked again once shown', () => asked.length > whileHidden, 3000);
    await page.click('#node-config-dialog-cancel');
    await page.waitForTimeout(500);
    const closed = asked.length;
    await page.waitForTimeout(2500);
    assert.equal(asked.length, closed, 'no request once the dialog closed');
  });

  it('says a bus that is not deployed yet has to be deployed first', async () => {
    await page.click('#node-input-btn-bus-add');
    await page.waitForSelector('#node-config-input-group');
    await page.click('#multicast-bus-tabs a[href="#multicast-bus-tab-statistics"]');
    await until('the deploy-first line', async () => /Deploy the bus/.test(await page.locator('#multicast-bus-statistics').innerText()));
    await page.click('#node-config-dialog-cancel');
    await page.click('#node-dialog-cancel');
    await page.waitForSelector('.red-ui-tray', { state: 'detached' });
  });

  it('says "No bus deployed" once the admin deploys a flow without buses, with no reload', async () => {
    await red!.api('/flows', { method: 'POST', body: [tab], headers: { ...admin, 'Node-RED-Deployment-Type': 'full' } });
    const empty = page.locator('.multicast-bus-dir-empty');
    await empty.waitFor({ state: 'visible' });
    assert.equal(await empty.innerText(), 'No bus deployed');
    assert.equal(await page.locator('.multicast-bus-dir-buses section').count(), 0);
  });
});
