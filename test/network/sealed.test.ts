import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { busNode, type Flow, lines, listener, sender } from '../net/host-flows';
import { deployFlow } from '../../testnet/host-runtimes';
import { networkPerSuite } from '../net/network-per-suite';
import { createTopology } from '../../testnet/topology';
import { requireCapture } from '../support/packet-capture';
import { udpPayloads } from '../support/pcap';
import { namespaceMode, requireRootNamespaces } from '../support/private-network';
import { delay, until } from '../support/until';

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

  const replayScript = join(__dirname, '..', 'peers', 'send-datagrams.js');
  /** What an attacker on the LAN (a5) does: sends the given frames to a group and port. */
  const replayTo = (group: string, port: number, frames: Buffer[], file: string) => {
    writeFileSync(file, frames.map((f) => f.toString('hex')).join('\n'));
    lan.net.exec(lan.net.hosts.a5, process.execPath, [replayScript, group, String(port), lan.net.hosts.a5.address, file]);
  };
  /** Captures on a5 what is sent to a port while `act` runs, until `expected` datagrams are in; the UDP payloads. */
  const captureWhile = async (port: number, pcap: string, expected: number, act: () => Promise<void>) => {
    const tcpdump = lan.net.spawn(lan.net.hosts.a5, 'tcpdump', [
      '-i',
      'lan0',
      '-Z',
      'root',
      '--immediate-mode',
      '-U',
      '-w',
      pcap,
      `udp and dst port ${port}`,
    ]);
    let said = '';
    tcpdump.stderr!.on('data', (chunk) => (said += chunk));
    await until('tcpdump to listen', () => (said.includes('listening on') ? true : undefined));
    await act();
    // tcpdump writes each packet as it comes (-U); a record still being written is read as a short one, or throws.
    const captured = () => {
      try {
        return udpPayloads(pcap).length;
      } catch {
        return 0;
      }
    };
    await until(
      () => `tcpdump to capture ${expected} datagrams (${captured()} so far)`,
      () => captured() >= expected,
    );
    tcpdump.kill('SIGINT');
    await new Promise((resolve) => tcpdump.once('exit', resolve));
    return udpPayloads(pcap);
  };
  const joined = (name: string, listenerName: string) =>
    until(`${name} ${listenerName} to join`, () =>
      lines(dir(name), `${listenerName}.status.jsonl`).some((s) => s.fill === 'green') ? true : undefined,
    );

  it('hosts with the same key talk; a wrong key or no key hears nothing and counts it; replays and flipped bits are rejected', async () => {
    await Promise.all([
      // Presence off on the sender: these tests count its data frames, one by one (presence is sealed too: nodes/presence).
      deploy('a1', [sealedBus(KEY, { announce: false }), ...sender('s', 'bus')]),
      deploy('a2', [sealedBus(KEY), ...listener('l', 'bus', dir('a2'))]),
      deploy('a3', [sealedBus(WRONG_KEY), ...listener('l', 'bus', dir('a3'))]),
      deploy('a4', [sealedBus(undefined), ...listener('l', 'bus', dir('a4'))]),
    ]);
    for (const name of ['a2', 'a3', 'a4']) {
      await until(`${name} to join`, () => (lines(dir(name), 'l.status.jsonl').some((s) => s.fill === 'green') ? true : undefined));
    }
    // What an attacker on the LAN captures: the sealed frames a1 sends.
    const frames = await captureWhile(7667, join(dir('a2'), 'captured.pcap'), 5, async () => {
      for (let n = 1; n <= 5; n++) await send('a1', { n, secret: 'the reading' });
      const heard = await until('a2 to hear five', () => (lines(dir('a2'), 'l.jsonl').length === 5 ? lines(dir('a2'), 'l.jsonl') : undefined));
      assert.deepEqual(
        heard.map((m) => [m.topic, m.payload.n]),
        [1, 2, 3, 4, 5].map((n) => ['secure/readings', n]),
      );
    });
    assert.equal(frames.length, 5);
    for (const frame of frames) {
      assert.equal(frame.toString('latin1', 0, 4), 'MCS2');
      assert.equal(frame.includes('the reading'), false, 'the payload is not readable on the wire');
      assert.equal(frame.includes('secure/readings'), false, 'neither is the topic');
    }
    assert.equal(lines(dir('a3'), 'l.jsonl').length, 0, 'the wrong key hears nothing');
    assert.equal(lines(dir('a4'), 'l.jsonl').length, 0, 'no key hears nothing');
    assert.equal((await stats('a3')).sealed.unknownKey, 5);
    assert.equal((await stats('a4')).malformed.magic, 5, 'an unsealed LCM bus drops them as not LCM');

    // Replay: the captured frames, sent again from another host.
    const replay = join(dir('a2'), 'replay.hex');
    replayTo('239.255.76.67', 7667, frames, replay);
    await until('a2 to count five replays', async () => ((await stats('a2')).sealed.replayed === 5 ? true : undefined));

    // Flipped bits: every 11th bit of one frame flipped, each as its own forged frame.
    const original = frames[0];
    const forged: Buffer[] = [];
    for (let bit = 32; bit < original.length * 8; bit += 11) {
      const copy = Buffer.from(original);
      copy[bit >> 3] ^= 1 << (bit & 7);
      forged.push(copy);
    }
    const rejections = (counts: Record<string, number>) =>
      ['unknownKey', 'badSessionTag', 'authFailed', 'replayed', 'stale'].reduce((sum, kind) => sum + counts[kind], 0);
    const before = rejections((await stats('a2')).sealed);
    replayTo('239.255.76.67', 7667, forged, replay);
    const rejected = async () => rejections((await stats('a2')).sealed) - before;
    await until('a2 to reject every forged frame', async () => ((await rejected()) >= forged.length ? true : undefined));
    // A flip in the key id makes an unknown key, in the session id a bad session tag, in the counter or send time
    // perhaps a replay or a stale frame (checked first, as they are cheapest); anywhere else, authentication fails.
    assert.equal(await rejected(), forged.length);
    assert.equal((await stats('a2')).sealed.opened, 5);
    const dropped = 5 + forged.length;
    await until('the status to show what the bus rejected', () =>
      lines(dir('a2'), 'l.status.jsonl').some((st) => st.text?.endsWith(`rejected ${dropped}`)) ? true : undefined,
    );
    assert.equal(lines(dir('a2'), 'l.jsonl').length, 5, 'nothing forged or replayed reached the flow');
  });

  it("frames captured on one sealed bus and replayed to another with the same key are dropped, and so are a host's own frames sent back to it", async () => {
    // a1 sends on bus A with loopback off; a2 listens on bus A and on bus B (another group, port and framing, same key).
    const busB = { ...sealedBus(KEY, { group: '239.255.76.68', port: '7668', framing: 'raw' }), id: 'busB' };
    await Promise.all([
      deploy('a1', [sealedBus(KEY, { loopback: false, announce: false }), ...sender('s', 'bus'), ...listener('own', 'bus', dir('a1'))]),
      deploy('a2', [sealedBus(KEY), ...listener('xa', 'bus', dir('a2')), busB, ...listener('xb', 'busB', dir('a2'))]),
    ]);
    await Promise.all([joined('a1', 'own'), joined('a2', 'xa'), joined('a2', 'xb')]);
    const frames = await captureWhile(7667, join(dir('a2'), 'cross-bus.pcap'), 3, async () => {
      for (let n = 1; n <= 3; n++) await send('a1', { n, valve: 'open' });
      await until('a2 to hear three on bus A', () => (lines(dir('a2'), 'xa.jsonl').length === 3 ? true : undefined));
    });
    assert.equal(frames.length, 3);

    replayTo('239.255.76.68', 7668, frames, join(dir('a2'), 'cross-bus.hex'));
    await until('a2 to drop three on bus B', async () =>
      (await red.a2.api('/multicast-bus/busB/stats')).sealed.badSessionTag === 3 ? true : undefined,
    );

    // Sent back to a1 itself: with loopback off its bus never hears its own frames, so these were reflected.
    replayTo('239.255.76.67', 7667, frames, join(dir('a2'), 'reflected.hex'));
    await until('a1 to drop its own three', async () => ((await stats('a1')).sealed.ownSession === 3 ? true : undefined));
    await until('a2 to count three replays on bus A', async () => ((await stats('a2')).sealed.replayed === 3 ? true : undefined));
    // To show that nothing reaches a flow: every frame is counted above, and 300 ms lets a late delivery show up.
    await delay(300);
    assert.equal(lines(dir('a2'), 'xb.jsonl').length, 0, 'nothing reached the flow of bus B');
    assert.equal(lines(dir('a1'), 'own.jsonl').length, 0, "nothing reflected reached a1's flow");
    assert.equal(lines(dir('a2'), 'xa.jsonl').length, 3, 'bus A delivered each message once');
    const busBStats = await red.a2.api('/multicast-bus/busB/stats');
    assert.deepEqual([busBStats.sealed.opened, busBStats.sealed.authFailed], [0, 0]);
  });
});
