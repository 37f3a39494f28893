import assert from 'node:assert/strict';
import { bus, multicastIn, tab } from '../../testnet/flow-nodes';
import { startNodeRed, type NodeRedProcess } from '../../testnet/node-red-process';
import { nextPort } from '../support/ports';
import { ip, requireRootNamespaces } from '../support/private-network';
import { delay, until } from '../support/until';

// A gateway as it is often run: Node-RED headless (no admin or node HTTP server holds the process), one multicast in on
// a bus whose interface is a device that comes and goes: a USB adapter, a VPN tunnel.
const namespace = `mcb-headless-${process.pid}`;
const port = nextPort();
const flows = [
  tab,
  bus({ id: 'bus1', port, iface: 'lan0' }),
  multicastIn('bus1', 'log1', { id: 'in1', datatype: 'utf8' }),
  // A debug node that logs to the console: the only window a headless runtime has.
  { id: 'log1', type: 'debug', z: tab.id, active: true, tosidebar: false, console: true, complete: 'payload', targetType: 'msg', wires: [] },
];

function inHost(command: string, ...args: string[]): string {
  return ip('netns', 'exec', namespace, command, ...args);
}

/** Makes the device lan0 (a veth pair) with a documentation address: as a USB adapter appearing, a new ifindex each time. */
function plugIn(): void {
  inHost('ip', 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lan0p');
  inHost('ip', 'addr', 'add', '198.51.100.21/24', 'dev', 'lan0');
  inHost('ip', 'link', 'set', 'lan0p', 'up');
  inHost('ip', 'link', 'set', 'lan0', 'up');
}

function unplug(): void {
  inHost('ip', 'link', 'del', 'lan0');
}

/** Sends one datagram to the bus from inside the host, out of lan0 (its loopback copy reaches the bus). */
function send(text: string): void {
  const script = `const s=require('dgram').createSocket('udp4');s.bind(0,'198.51.100.21',()=>{s.setMulticastInterface('198.51.100.21');s.setMulticastTTL(0);s.send(${JSON.stringify(text)},${port},'239.255.76.67',()=>s.close())})`;
  try {
    inHost(process.execPath, '-e', script);
  } catch {
    // lan0 not there (yet): nothing to send on.
  }
}

/** Sends `text` every 200 ms until the runtime logs it; returns how long that took, in ms. */
async function deliveredAfter(red: NodeRedProcess, text: string): Promise<number> {
  const started = Date.now();
  await until(
    `"${text}" in the headless runtime's log`,
    () => {
      assert.equal(red.exitCode(), null, `Node-RED exited:\n${red.output()}`);
      if (red.output().includes(text)) return true;
      send(text);
      return false;
    },
    { ms: 10000, every: 200 },
  );
  return Date.now() - started;
}

describe('a headless Node-RED whose bus waits for its interface', function () {
  this.timeout(60000);
  let red: NodeRedProcess | undefined;
  beforeEach(function () {
    requireRootNamespaces(this);
    ip('netns', 'add', namespace);
    inHost('ip', 'link', 'set', 'lo', 'up');
  });
  afterEach(async () => {
    await red?.stop();
    red = undefined;
    try {
      ip('netns', 'del', namespace);
    } catch {
      // Not made: the test was skipped.
    }
  });

  async function startHeadless(): Promise<NodeRedProcess> {
    red = await startNodeRed({
      port: 1880,
      flows,
      prefix: ['ip', 'netns', 'exec', namespace],
      settings: { httpAdminRoot: false, httpNodeRoot: false },
    });
    assert.match(red.output(), /headless/i);
    return red;
  }

  it('stays up while the interface is not there yet, and delivers within 10 s of it appearing', async () => {
    const runtime = await startHeadless();
    await until('the bus to say it waits for lan0', () => runtime.output().includes('lan0 not found'));
    // Proving that it stays up: a runtime held by nothing would have exited at once.
    await delay(2000);
    assert.equal(runtime.exitCode(), null, `Node-RED exited while waiting:\n${runtime.output()}`);
    plugIn();
    const ms = await deliveredAfter(runtime, 'after plug-in');
    assert.ok(ms < 10000, `delivered ${ms} ms after the interface appeared`);
  });

  it('stays up while the interface is deleted, and delivers within 10 s of it being created again', async () => {
    plugIn();
    const runtime = await startHeadless();
    await deliveredAfter(runtime, 'before unplug');
    const waitsSaid = () => runtime.output().split('lan0 not found').length - 1;
    const before = waitsSaid();
    unplug();
    await until('the bus to say lan0 is gone', () => waitsSaid() > before);
    // Proving that it stays up: a runtime held by nothing would have exited at once.
    await delay(2000);
    assert.equal(runtime.exitCode(), null, `Node-RED exited after the interface was deleted:\n${runtime.output()}`);
    plugIn();
    const ms = await deliveredAfter(runtime, 'after replug');
    assert.ok(ms < 10000, `delivered ${ms} ms after the interface came back`);
  });
});
