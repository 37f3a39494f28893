import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bus, multicastIn } from '../../testnet/flow-nodes';
import { deployFlow } from '../../testnet/host-runtimes';
import type { NodeRedProcess } from '../../testnet/node-red-process';
import { lines, listener } from '../net/host-flows';
import { nodeRedPerTest } from '../support/node-red-per-test';
import { nextPort } from '../support/ports';
import { delay, until } from '../support/until';

const flood = join(__dirname, '..', 'peers', 'flood.js');
const MIB = 1024 * 1024;

/** Resident memory of a process, from /proc. */
function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) * 1024;
}

function runPeer(args: string[]): { sent: number; seconds?: number } {
  return JSON.parse(execFileSync(process.execPath, [flood, ...args], { encoding: 'utf8', timeout: 60000 }));
}

describe('a receiver nothing can crash (real Node-RED, flooded on loopback)', function () {
  this.timeout(120000);
  const nodeRed = nodeRedPerTest();

  /**
   * A Node-RED with an LCM bus on lo (on a port of its own), a listener for GOOD written to a file and, optionally, a
   * flow that works on every LOAD message.
   */
  async function startWithListener(workOnLoad = false): Promise<{ node: NodeRedProcess; port: string }> {
    const node = await nodeRed.start({ port: nextPort() });
    const port = nextPort();
    const work = workOnLoad
      ? [
          multicastIn('bus', 'load-work', { id: 'load-in', topic: 'LOAD', datatype: 'buffer' }),
          {
            id: 'load-work',
            type: 'change',
            z: 'tab',
            rules: [{ t: 'set', p: 'work', pt: 'msg', to: '$sum([1..50]) & $string(payload)', tot: 'jsonata' }],
            wires: [[]],
          },
        ]
      : [];
    await deployFlow(node, [bus({ id: 'bus', port, framing: 'lcm' }), ...listener('l', 'bus', node.userDir, { topic: 'GOOD' }), ...work]);
    await until('the listener to join', () => lines(node.userDir, 'l.status.jsonl').some((s) => s.fill === 'green'));
    return { node, port: String(port) };
  }

  /** The bus's stats once its receiver has read all the kernel held for it: the same count of datagrams twice running. */
  async function settled(node: NodeRedProcess): Promise<any> {
    let before = -1;
    return until(
      'the receiver to read all that was queued for it',
      async () => {
        const now = await node.api('/multicast-bus/bus/stats');
        const still = now.datagrams === before;
        before = now.datagrams;
        return still ? now : undefined;
      },
      { ms: 30000, every: 200 },
    );
  }

  it('survives random bytes, lying headers and 20,000 never-ending huge messages: memory bounded, admin API up, good messages after', async () => {
    const { node, port } = await startWithListener();
    const pid = node.pid;
    const baseline = rssOf(pid);
    let peak = baseline;
    let slowestAdmin = 0;
    const watching = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 50);
    const adminProbe = (async () => {
      while (peak !== -1) {
        const started = Date.now();
        await node.api('/flows');
        slowestAdmin = Math.max(slowestAdmin, Date.now() - started);
        await delay(200); // the pace of the probe, not a wait for anything
      }
    })();
    const { sent } = runPeer(['hostile', '239.255.76.67', port, '127.0.0.1', '20000']);
    const stats = await settled(node);
    clearInterval(watching);
    const finalPeak = peak;
    peak = -1;
    await adminProbe;

    console.log(
      `      (flood of ${sent} datagrams: RSS ${Math.round(baseline / MIB)} MiB before, peak ${Math.round(finalPeak / MIB)} MiB; ` +
        `slowest admin answer ${slowestAdmin} ms; ${stats.datagrams} read, ${stats.reassembly.evicted} evicted)`,
    );
    assert.ok(stats.datagrams > 0);
    assert.equal(stats.messages, 0, 'nothing hostile became a message');
    assert.ok(stats.reassembly.bytesHeld <= 64 * MIB);
    assert.ok(finalPeak - baseline < 160 * MIB, `RSS grew ${Math.round((finalPeak - baseline) / MIB)} MiB; the bound is 160 MiB`);
    assert.ok(slowestAdmin < 3000, `the admin API took ${slowestAdmin} ms`);

    const good = ['GOOD', 'GOOD', 'GOOD'].map(
      (_, i) =>
        `${Buffer.from([0x4c, 0x43, 0x30, 0x32]).toString('hex')}${(1000 + i).toString(16).padStart(8, '0')}${Buffer.from('GOOD\0{"ok":' + i + '}').toString('hex')}`,
    );
    const file = join(node.userDir, 'good.hex');
    require('node:fs').writeFileSync(file, good.join('\n'));
    execFileSync(process.execPath, [join(__dirname, '..', 'peers', 'send-datagrams.js'), '239.255.76.67', port, '127.0.0.1', file]);
    const heard = await until('the good messages after the flood', () =>
      lines(node.userDir, 'l.jsonl').length >= 3 ? lines(node.userDir, 'l.jsonl') : undefined,
    );
    assert.deepEqual(
      heard.map((m) => m.payload.ok),
      [0, 1, 2],
    );
  });

  it('under twice the load it can take: drops and counts, memory bounded, and recovers when the load stops', async () => {
    const { node, port } = await startWithListener(true);
    const pid = node.pid;
    const stats = () => node.api('/multicast-bus/bus/stats');
    // Capacity: what this Node-RED takes in per second from an unpaced blast, with its flow working on every message.
    const before = (await stats()).messages;
    const blast = runPeer(['steady', '239.255.76.67', port, '127.0.0.1', '400000', '2']);
    const capacity = ((await settled(node)).messages - before) / blast.seconds!;
    const blastRate = blast.sent / blast.seconds!;
    const baseline = rssOf(pid);

    const overload = runPeer(['steady', '239.255.76.67', port, '127.0.0.1', String(Math.round(capacity * 2)), '3']);
    const after = await settled(node);
    const lost = Object.values(after.senders as Record<string, { lost: number }>).reduce((sum, s) => sum + s.lost, 0);
    const rss = rssOf(pid);
    console.log(
      `      (capacity ${Math.round(capacity)} msg/s of a ${Math.round(blastRate)} msg/s blast; at ${Math.round(capacity * 2)} msg/s for ${overload.seconds} s: ` +
        `${overload.sent} sent, ${lost} counted lost in all (both runs); RSS ${Math.round(baseline / MIB)} → ${Math.round(rss / MIB)} MiB)`,
    );
    assert.ok(blastRate > capacity * 2, 'the sender can really send twice what the receiver takes');
    assert.ok(overload.sent / overload.seconds! > capacity * 1.5, 'and did, within reason');
    assert.ok(lost > 0, 'the overload was seen as losses');
    assert.ok(rss - baseline < 100 * MIB, `RSS grew ${Math.round((rss - baseline) / MIB)} MiB under overload`);

    // Recovered: a paced stream well under capacity arrives whole.
    const paced = runPeer(['steady', '239.255.76.67', port, '127.0.0.1', String(Math.max(100, Math.round(capacity / 10))), '1']);
    const senderKey = await until('the paced stream to be counted', async () => {
      const now = await stats();
      const newest = Object.entries(now.senders as Record<string, { messages: number; lost: number }>).find(([, s]) => s.messages === paced.sent);
      return newest?.[0];
    });
    assert.equal((await stats()).senders[senderKey].lost, 0, 'no loss once the load stopped');
  });
});
