import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busNode, type Flow, lines, listener, sender } from '../net/host-flows';
import { deployFlow } from '../net/host-runtimes';
import { networkPerSuite } from '../net/network-per-suite';
import { createTopology } from '../net/topology';
import { requireCapture } from '../support/packet-capture';
import { udpPayloads } from '../support/pcap';
import { namespaceMode, requireRootNamespaces } from '../support/private-network';
import { until, untilAsync } from '../support/until';

const KEY = Buffer.alloc(32, 0x5a).toString('base64');
const WRONG_KEY = Buffer.alloc(32, 0x33).toString('base64');

describe('a sealed bus between hosts', function () {
  this.timeout(60000);
  const lan = networkPerSuite(namespaceMode === 'root', () => createTopology('mcbs', ['a1', 'a2', 'a3', 'a4', 'a5'], []), ['a1', 'a2', 'a3', 'a4']);
  const red = lan.red;
  beforeEach(function () {
    requireRootNamespaces(this);
    requireCapture(this);
  });

  const dir = (name: string) => red[name].userDir;
  const sealedBus = (key: string | undefined, fields: Record<string, unknown> = {}) => ({
    ...busNode('bus', { security: key === undefined ? 'none' : 'sealed', ...fields }),
    ...(key === undefined ? {} : { credentials: { key } }),
  });
  const deploy = (name: string, flow: Flow) => deployFlow(red[name], flow);
  const stats = async (name: string) => red[name].api('/multicast-bus/bus/stats');
  const send = async (name: string, payload: unknown) => {
    const response = await fetch(`${red[name].url}/send/s`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'secure/readings', payload }),
    });
    assert.equal(response.status, 204);
  };

  it('hosts with the same key talk; a wrong key or no key hears nothing and counts it; replays and flipped bits are rejected', async () => {
    await Promise.all([
      deploy('a1', [sealedBus(KEY), ...sender('s', 'bus')]),
      deploy('a2', [sealedBus(KEY), ...listener('l', 'bus', dir('a2'))]),
      deploy('a3', [sealedBus(WRONG_KEY), ...listener('l', 'bus', dir('a3'))]),
      deploy('a4', [sealedBus(undefined), ...listener('l', 'bus', dir('a4'))]),
    ]);
    for (const name of ['a2', 'a3', 'a4']) {
      await until(`${name} to join`, () => (lines(dir(name), 'l.status.jsonl').some((s) => s.fill === 'green') ? true : undefined));
    }
    // What an attacker on the LAN captures: the sealed frames a1 sends.
    const pcap = join(dir('a2'), 'captured.pcap');
    const tcpdump = lan.net.spawn(lan.net.hosts.a5, 'tcpdump', ['-i', 'lan0', '-Z', 'root', '--immediate-mode', '-U', '-w', pcap, 'udp and dst port 7667']);
    let said = '';
    tcpdump.stderr!.on('data', (chunk) => (said += chunk));
    await until('tcpdump to listen', () => (said.includes('listening on') ? true : undefined));

    for (let n = 1; n <= 5; n++) await send('a1', { n, secret: 'the reading' });
    const heard = await until('a2 to hear five', () => (lines(dir('a2'), 'l.jsonl').length === 5 ? lines(dir('a2'), 'l.jsonl') : undefined));
    assert.deepEqual(heard.map((m) => [m.topic, m.payload.n]), [1, 2, 3, 4, 5].map((n) => ['secure/readings', n]));
    await new Promise((resolve) => setTimeout(resolve, 500));
    tcpdump.kill('SIGINT');
    await new Promise((resolve) => tcpdump.once('exit', resolve));

    const frames = udpPayloads(pcap);
    assert.equal(frames.length, 5);
    for (const frame of frames) {
      assert.equal(frame.toString('latin1', 0, 4), 'MCS1');
      assert.equal(frame.includes('the reading'), false, 'the payload is not readable on the wire');
      assert.equal(frame.includes('secure/readings'), false, 'neither is the topic');
    }
    assert.equal(lines(dir('a3'), 'l.jsonl').length, 0, 'the wrong key hears nothing');
    assert.equal(lines(dir('a4'), 'l.jsonl').length, 0, 'no key hears nothing');
    assert.equal((await stats('a3')).sealed.unknownKey, 5);
    assert.equal((await stats('a4')).malformed.magic, 5, 'an unsealed LCM bus drops them as not LCM');

    // Replay: the captured frames, sent again from another host.
    const replay = join(dir('a2'), 'replay.hex');
    writeFileSync(replay, frames.map((f) => f.toString('hex')).join('\n'));
    const replayScript = join(__dirname, '..', 'peers', 'send-datagrams.js');
    lan.net.exec(lan.net.hosts.a5, process.execPath, [replayScript, '239.255.76.67', '7667', lan.net.hosts.a5.address, replay]);
    await untilAsync('a2 to count five replays', async () => ((await stats('a2')).sealed.replayed === 5 ? true : undefined));

    // Flipped bits: every 11th bit of one frame flipped, each as its own forged frame.
    const original = frames[0];
    const forged: Buffer[] = [];
    for (let bit = 32; bit < original.length * 8; bit += 11) {
      const copy = Buffer.from(original);
      copy[bit >> 3] ^= 1 << (bit & 7);
      forged.push(copy);
    }
    writeFileSync(replay, forged.map((f) => f.toString('hex')).join('\n'));
    const before = (await stats('a2')).sealed;
    lan.net.exec(lan.net.hosts.a5, process.execPath, [replayScript, '239.255.76.67', '7667', lan.net.hosts.a5.address, replay]);
    const rejected = async () => {
      const now = (await stats('a2')).sealed;
      return now.authFailed + now.unknownKey - before.authFailed - before.unknownKey;
    };
    await untilAsync('a2 to reject every forged frame', async () => ((await rejected()) >= forged.length ? true : undefined));
    // A flip in the key id makes an unknown key; anywhere else, authentication fails.
    assert.equal(await rejected(), forged.length);
    const dropped = 5 + forged.length;
    await until('the status to show what was dropped', () =>
      lines(dir('a2'), 'l.status.jsonl').some((st) => st.text?.endsWith(`dropped ${dropped}`)) ? true : undefined,
    );
    assert.equal(lines(dir('a2'), 'l.jsonl').length, 5, 'nothing forged or replayed reached the flow');
  });
});
