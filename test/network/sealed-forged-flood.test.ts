// A keyless attacker floods a sealed bus: the receiving Node-RED must fare as it does under the same rate of plain
// garbage. Forged frames of made-up sessions are rejected by their session tag before any key derivation or
// decryption; headers replayed from real past sessions cost a key derivation only within a small allowance per source,
// and a session new to the receiver still gets through. Real Node-RED runtimes on namespace hosts: a1 sends honest
// messages to a2 while a3 floods.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busNode, lines, listener, sender } from '../net/host-flows';
import { deployFlow } from '../../testnet/host-runtimes';
import { networkPerSuite } from '../net/network-per-suite';
import { createTopology } from '../../testnet/topology';
import { BoundKey, keyId, Sealer } from '../../src/core/sealed-frame';
import { NEW_SOURCE } from '../../src/core/session-keys';
import { namespaceMode, requireRootNamespaces } from '../support/private-network';
import { delay, until } from '../support/until';

const KEY = Buffer.alloc(32, 0x5a);
const RATE = 30_000;
const HONEST = 400;
const GROUP = '239.255.76.67';
const PORT = 7667;

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

  // Presence off: the tests count what the listener opened as the messages its flow must write.
  const bus = { ...busNode('bus', { security: 'sealed', announce: false }), credentials: { key: KEY.toString('base64') } };
  const stats = () => red.a2.api('/multicast-bus/bus/stats');
  /** CPU seconds a2's Node-RED has used (ip netns exec execs it, so the pid is Node-RED's). */
  const cpuSeconds = () =>
    readFileSync(`/proc/${red.a2.pid}/stat`, 'utf8')
      .split(') ')[1]
      .split(' ')
      .slice(11, 13)
      .reduce((sum, ticks) => sum + Number(ticks), 0) / 100;
  const heard = (file: string, topic: string) => lines(red.a2.userDir, file).filter((m) => m.topic === topic);
  const send = async (topic: string, payload: unknown) => {
    const response = await fetch(`${red.a1.url}/send/s`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic, payload }),
    });
    assert.equal(response.status, 204);
  };
  /** Bytes waiting in the receive queues of a2's sockets on the bus port, from the kernel's own table. */
  const queuedOnA2 = () =>
    lan.net
      .exec(lan.net.hosts.a2, 'cat', ['/proc/net/udp'])
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter(([, local]) => local?.endsWith(`:${PORT.toString(16).toUpperCase().padStart(4, '0')}`))
      .reduce((sum, fields) => sum + parseInt(fields[4].split(':')[1], 16), 0);

  /** Starts the flood from a3; resolves, once it has ended, with what it says it sent. */
  function flood(mode: 'forged' | 'garbage' | 'replay', seconds: number, extra: string[] = []) {
    const child = lan.net.spawn(lan.net.hosts.a3, process.execPath, [
      join(__dirname, '..', 'peers', 'forged-flood.js'),
      mode,
      GROUP,
      String(PORT),
      lan.net.hosts.a3.address,
      String(RATE),
      String(seconds),
      ...extra,
    ]);
    let report = '';
    child.stdout!.on('data', (chunk) => (report += chunk));
    return new Promise<number>((resolve) => child.once('exit', () => resolve(JSON.parse(report).sent as number)));
  }

  /** Once the flood has ended: a2 has read all the kernel holds for it, and its flow has written what it delivered. */
  async function settled(file: string, topic: string, openedBefore: number) {
    let lastRead = -1;
    await until('a2 to read all that is queued', async () => {
      const read = (await stats()).datagrams;
      const done = queuedOnA2() === 0 && read === lastRead;
      lastRead = read;
      return done;
    });
    const opened = (await stats()).sealed.opened - openedBefore;
    await until(
      () => `a2's flow to write the ${opened} messages it opened`,
      () => heard(file, topic).length >= opened,
    );
  }

  /** Floods from a3 for `seconds` while a1 sends HONEST messages; how many a2 delivered and read, and what it counted. */
  async function underFlood(mode: 'forged' | 'garbage', seconds: number) {
    const [heardBefore, before, cpuBefore] = [heard('l.jsonl', 'honest').length, await stats(), cpuSeconds()];
    const finished = flood(mode, seconds, mode === 'forged' ? [keyId(KEY).toString(16).padStart(8, '0')] : []);
    await until(`the ${mode} flood to reach a2`, async () => (await stats()).datagrams - before.datagrams >= 1000);
    // Paced well under what the receiver takes when nothing else arrives: only the flood can make it lose any.
    for (let n = 0; n < HONEST; n++) {
      await send('honest', { n });
      await delay(5);
    }
    const sent = await finished;
    await settled('l.jsonl', 'honest', before.sealed.opened);
    const [after, cpu] = [await stats(), cpuSeconds() - cpuBefore];
    const sealed = (kind: string) => after.sealed[kind] - before.sealed[kind];
    return {
      sent,
      read: after.datagrams - before.datagrams,
      delivered: heard('l.jsonl', 'honest').length - heardBefore,
      badSessionTag: sealed('badSessionTag'),
      plain: sealed('plain'),
      opened: sealed('opened'),
      derived: sealed('sessionKeysDerived'),
      cpu,
    };
  }

  it('delivers the honest messages as well as under the same rate of garbage, deriving no key for any forged frame', async () => {
    await Promise.all([deployFlow(red.a1, [bus, ...sender('s', 'bus')]), deployFlow(red.a2, [bus, ...listener('l', 'bus', red.a2.userDir)])]);
    await until('a2 to join', () => lines(red.a2.userDir, 'l.status.jsonl').some((s) => s.fill === 'green'));
    await until('a1 to be able to send', async () => {
      await send('warm-up', 0);
      return lines(red.a2.userDir, 'l.jsonl').length > 0;
    });

    const garbage = await underFlood('garbage', 5);
    const forged = await underFlood('forged', 5);
    for (const [mode, run] of Object.entries({ garbage, forged })) {
      console.log(
        `      (${mode} at ${RATE}/s: ${run.sent} sent, ${run.read} read by a2, ${run.delivered} of ${HONEST} honest messages delivered; a2 used ${run.cpu.toFixed(2)} s of CPU)`,
      );
    }
    // The flood reached a2: most of what a3 sent was read and counted, not only the honest messages.
    assert.ok(forged.badSessionTag >= forged.sent * 0.8, `${forged.badSessionTag} of ${forged.sent} forged frames refused by their tag`);
    assert.ok(garbage.plain >= garbage.sent * 0.8, `${garbage.plain} of ${garbage.sent} garbage datagrams counted`);
    assert.equal(forged.badSessionTag + forged.opened, forged.read, 'every forged frame read was rejected by its session tag');
    assert.equal(forged.derived, 0, 'no session key derived for any forged frame');
    assert.equal(garbage.plain + garbage.opened, garbage.read);
    assert.ok(forged.delivered >= garbage.delivered - HONEST * 0.05, `forged flood: ${forged.delivered} delivered; garbage: ${garbage.delivered}`);
  });

  it('under a replay of 5,000 captured session headers derives keys only within its allowance, and a session new to it opens at once', async () => {
    // What an attacker who listened long enough holds: one frame of each of 5,000 past sessions of this bus. Made here
    // with the key, as those sessions' hosts made them; the attacker only replays their headers.
    const binding = { family: 'IPv4', group: GROUP, port: PORT, framing: 'lcm' } as const;
    const boundKey = new BoundKey(KEY, binding);
    const headers = join(red.a2.userDir, 'captured-headers.hex');
    writeFileSync(headers, Array.from({ length: 5000 }, () => new Sealer(boundKey).seal([Buffer.alloc(8)]).toString('hex', 0, 40)).join('\n'));

    // A redeployed receiver: it knows no session and no source, so a1's session and address are both new to it.
    await deployFlow(red.a2, [bus, ...listener('r', 'bus', red.a2.userDir)]);
    await until('a2 to join again', () => lines(red.a2.userDir, 'r.status.jsonl').some((s) => s.fill === 'green'));
    const [before, cpuBefore] = [await stats(), cpuSeconds()];
    const floodStarted = Date.now();
    const finished = flood('replay', 6, [headers]);
    await until('the replay to reach a2', async () => {
      const { sealed } = await stats();
      return sealed.newSessionLimited + sealed.authFailed >= 1000;
    });

    // a1 sends 10 messages a second while the replay goes on.
    const sentAt: number[] = [];
    for (let n = 0; n < 30; n++) {
      sentAt.push(Date.now());
      await send('new-session', { n });
      await delay(Math.max(0, sentAt[0] + (n + 1) * 100 - Date.now()));
    }
    const sent = await finished;
    const floodSeconds = (Date.now() - floodStarted) / 1000;
    await settled('r.jsonl', 'new-session', before.sealed.opened);
    const [after, cpu] = [await stats(), cpuSeconds() - cpuBefore];
    const sealed = (kind: string) => after.sealed[kind] - before.sealed[kind];
    const delivered = heard('r.jsonl', 'new-session').map((m) => m.payload.n as number);
    const first = Math.min(...delivered);
    console.log(
      `      (replay of 5,000 session headers at ${RATE}/s: ${sent} sent, ${sealed('newSessionLimited')} refused unheard, ` +
        `${sealed('authFailed')} failed decryption, ${sealed('sessionKeysDerived')} keys derived in ${floodSeconds.toFixed(1)} s; ` +
        `a1's new session opened with message ${first}, ${sentAt[first] - sentAt[0]} ms after the first; ` +
        `${delivered.length} of 30 delivered; a2 used ${cpu.toFixed(2)} s of CPU)`,
    );
    assert.ok(sealed('newSessionLimited') >= sent * 0.8, 'the replay reached a2 and most of it was refused before any derivation');
    const allowance = NEW_SOURCE.burst[0] + NEW_SOURCE.perSecond[0] * Math.ceil(floodSeconds);
    assert.ok(sealed('sessionKeysDerived') <= allowance + 1, `${sealed('sessionKeysDerived')} derived: a3's allowance and a1's one session`);
    assert.ok(first <= 1, `a1's first message to open was message ${first}`);
    assert.deepEqual(
      [...delivered].sort((a, b) => a - b),
      Array.from({ length: 30 - first }, (_, i) => first + i),
      'from then on, every message',
    );
  });
});
