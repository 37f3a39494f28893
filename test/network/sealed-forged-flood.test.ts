// A keyless attacker floods a sealed bus with forged frames: the receiving Node-RED must fare as it does under the same
// rate of plain garbage, since an unknown session is rejected by its session tag before any key derivation or
// decryption. Real Node-RED runtimes on namespace hosts: a1 sends 400 honest messages to a2 while a3 floods.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { busNode, lines, listener, sender } from '../net/host-flows';
import { deployFlow } from '../../testnet/host-runtimes';
import { networkPerSuite } from '../net/network-per-suite';
import { createTopology } from '../../testnet/topology';
import { keyId } from '../../src/core/sealed-frame';
import { namespaceMode, requireRootNamespaces } from '../support/private-network';
import { until } from '../support/until';

const KEY = Buffer.alloc(32, 0x5a);
const RATE = 30_000;
const HONEST = 400;

describe('a sealed bus flooded with forged frames (real Node-RED between hosts)', function () {
  this.timeout(120000);
  const lan = networkPerSuite(
    namespaceMode === 'root',
    () => createTopology('mcbf', ['a1', 'a2', 'a3'], [], { multicastRouting: false, routerAndMultiHomed: false }),
    ['a1', 'a2'],
  );
  const red = lan.red;
  beforeEach(function () {
    requireRootNamespaces(this);
  });

  const bus = { ...busNode('bus', { security: 'sealed' }), credentials: { key: KEY.toString('base64') } };
  const stats = () => red.a2.api('/multicast-bus/bus/stats');
  /** CPU seconds a2's Node-RED has used (ip netns exec execs it, so the pid is Node-RED's). */
  const cpuSeconds = () =>
    readFileSync(`/proc/${red.a2.pid}/stat`, 'utf8')
      .split(') ')[1]
      .split(' ')
      .slice(11, 13)
      .reduce((sum, ticks) => sum + Number(ticks), 0) / 100;
  const heard = () => lines(red.a2.userDir, 'l.jsonl').filter((m) => m.topic === 'honest').length;

  /** Floods from a3 for `seconds` while a1 sends HONEST messages; how many a2 delivered and read, and what it counted. */
  async function underFlood(mode: 'forged' | 'garbage', seconds: number) {
    const [heardBefore, before, cpuBefore] = [heard(), await stats(), cpuSeconds()];
    const flood = lan.net.spawn(lan.net.hosts.a3, process.execPath, [
      join(__dirname, '..', 'peers', 'forged-flood.js'),
      mode,
      '239.255.76.67',
      '7667',
      lan.net.hosts.a3.address,
      String(RATE),
      String(seconds),
      keyId(KEY).toString(16).padStart(8, '0'),
    ]);
    let report = '';
    flood.stdout!.on('data', (chunk) => (report += chunk));
    const finished = new Promise((resolve) => flood.once('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Paced well under what the receiver takes when nothing else arrives: only the flood can make it lose any.
    for (let n = 0; n < HONEST; n++) {
      const response = await fetch(`${red.a1.url}/send/s`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ topic: 'honest', payload: { n } }),
      });
      assert.equal(response.status, 204);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await finished;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const [after, cpu] = [await stats(), cpuSeconds() - cpuBefore];
    const sealed = (kind: string) => after.sealed[kind] - before.sealed[kind];
    return {
      sent: JSON.parse(report).sent as number,
      read: after.datagrams - before.datagrams,
      delivered: heard() - heardBefore,
      badSessionTag: sealed('badSessionTag'),
      plain: sealed('plain'),
      opened: sealed('opened'),
      derived: sealed('sessionKeysDerived'),
      cpu,
    };
  }

  it('delivers the honest messages as well as under the same rate of garbage, deriving no key for any forged frame', async () => {
    await Promise.all([deployFlow(red.a1, [bus, ...sender('s', 'bus')]), deployFlow(red.a2, [bus, ...listener('l', 'bus', red.a2.userDir)])]);
    await until('a2 to join', () => (lines(red.a2.userDir, 'l.status.jsonl').some((s) => s.fill === 'green') ? true : undefined));
    await until('a1 to be able to send', async () => {
      const response = await fetch(`${red.a1.url}/send/s`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"topic":"warm-up","payload":0}',
      });
      return response.status === 204 && lines(red.a2.userDir, 'l.jsonl').length > 0 ? true : undefined;
    });

    const garbage = await underFlood('garbage', 5);
    const forged = await underFlood('forged', 5);
    for (const [mode, run] of Object.entries({ garbage, forged })) {
      console.log(
        `      (${mode} at ${RATE}/s: ${run.sent} sent, ${run.read} read by a2, ${run.delivered} of ${HONEST} honest messages delivered; a2 used ${run.cpu.toFixed(2)} s of CPU)`,
      );
    }
    assert.equal(forged.badSessionTag + forged.opened, forged.read, 'every forged frame read was rejected by its session tag');
    assert.equal(forged.derived, 0, 'no session key derived for any forged frame');
    assert.equal(garbage.plain + garbage.opened, garbage.read);
    assert.ok(forged.delivered >= garbage.delivered - HONEST * 0.05, `forged flood: ${forged.delivered} delivered; garbage: ${garbage.delivered}`);
  });
});
