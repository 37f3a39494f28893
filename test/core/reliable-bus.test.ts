// Reliable and retained delivery between real buses on `lo` (docs/reliability.md), with loss made by nftables.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { encodeControlFrame } from '../../src/core/control-frame';
import { encodeMessage } from '../../src/core/lcm-codec';
import { parseBusSettings } from '../../src/core/bus-settings';
import { MulticastBus } from '../../src/core/multicast-bus';
import { listener, lostBefore, numbers, openPair } from '../support/bus-listener';
import { dropOnInput, hasNft, NO_NFT, stopDropping } from '../support/nft-loss';
import { deliverThroughLoss } from '../support/reliable-loss-run';
import { retainedForLateListener } from '../support/retained-run';
import { nextPort } from '../support/ports';
import { requirePrivateNetwork, skipWithReason } from '../support/private-network';
import { delay, until } from '../support/until';

function settings(port: number, fields: Record<string, unknown> = {}) {
  const parsed = parseBusSettings({ group: '239.255.76.91', port, iface: 'lo', ttl: 0, framing: 'lcm', ...fields });
  if (!('settings' in parsed)) throw new Error(`bad test settings: ${JSON.stringify(parsed)}`);
  return parsed.settings;
}

describe('reliable delivery on the bus', function () {
  this.timeout(30_000);
  let buses: MulticastBus[] = [];

  beforeEach(function () {
    requirePrivateNetwork(this);
    buses = [];
  });

  afterEach(async () => {
    stopDropping();
    await Promise.all(buses.map((bus) => bus.close()));
  });

  /** A sending bus and a listening bus on a port of their own, both open. */
  function bus(port: number, fields: Record<string, unknown> = {}): MulticastBus {
    const made = new MulticastBus(settings(port, fields));
    buses.push(made);
    return made;
  }

  const pair = () => openPair((port) => bus(port));

  it('starts no repair traffic for a heartbeat from a source that sent no data (a forged heartbeat cannot aim NAKs)', async () => {
    const { port, receiving, inn } = await pair();
    const forger = createSocket('udp4');
    await new Promise<void>((resolve) => forger.bind(0, '127.0.0.1', resolve));
    const heartbeat = encodeControlFrame({ type: 'heartbeat', stream: '00000000000000aa', oldest: 0, newest: 1000, intervalMs: 50, nakPort: 9 });
    const data = encodeMessage('R', Buffer.from('x'), 1, 1400).map(([header, body]) => Buffer.concat([header, body]))[0];
    try {
      for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => forger.send(heartbeat, port, '239.255.76.91', () => resolve()));
      await until('the heartbeats heard', () => (receiving.stats().reliable.receiver!.heartbeats as number) >= 5);
      await delay(400); // past every NAK back-off and several retries
      const counts = receiving.stats().reliable.receiver!;
      assert.equal(counts.naksSent, 0, 'no NAK for 1,000 messages announced by a source never heard');
      assert.equal(counts.heartbeatsIgnored, 5);
      // The same source once it sends data is followed: its next heartbeat is believed.
      await new Promise<void>((resolve) => forger.send(data, port, '239.255.76.91', () => resolve()));
      await until('its message', () => inn.messages.length === 1);
      // Believed from its newest on (1); the next announces 1,000 more: a tail loss that would take 16 NAK frames a round.
      const first = encodeControlFrame({ type: 'heartbeat', stream: '00000000000000aa', oldest: 0, newest: 1, intervalMs: 50, nakPort: 9 });
      await new Promise<void>((resolve) => forger.send(first, port, '239.255.76.91', () => resolve()));
      await until('a heartbeat believed', () => (receiving.stats().reliable.receiver!.heartbeats as number) >= 6);
      await new Promise<void>((resolve) => forger.send(heartbeat, port, '239.255.76.91', () => resolve()));
      await delay(600);
      const after = receiving.stats().reliable.receiver!;
      assert.equal(after.heartbeatsIgnored, 5, 'believed once data came');
      assert.ok((after.naksSent as number) <= 1 + 16, `NAKs to a source that sent one message stay within its budget: ${after.naksSent}`);
      assert.ok((after.naksRefused as number) > 0, 'the rest refused');
    } finally {
      forger.close();
    }
  });

  it('delivers 500 reliable messages in order, each once, without loss', async () => {
    const { sending, receiving, inn } = await pair();
    for (let i = 0; i < 500; i++) await sending.publish('R', Buffer.from(String(i)), { reliable: true });
    await until(
      () => `500 messages; got ${inn.messages.length}`,
      () => inn.messages.length >= 500,
    );
    await delay(200); // proving no duplicate follows: a few heartbeat periods
    assert.deepEqual(
      numbers(inn.messages),
      Array.from({ length: 500 }, (_, i) => i),
    );
    assert.equal(lostBefore(inn.messages), 0);
    const stats = receiving.stats();
    assert.ok((stats.reliable.receiver!.heartbeats as number) > 0, 'heartbeats heard');
    assert.equal(stats.reliable.malformed, 0);
  });

  it('repairs 5% random loss: 2,000 messages at about 1,000/s all arrive in order, none lost', async function () {
    if (!hasNft()) skipWithReason(this, NO_NFT);
    const { port, sending, receiving, inn } = await pair();
    await deliverThroughLoss('5% loss', port, sending, receiving, inn);
  });

  it('repairs 5% loss of batches: 2,000 messages published ten at a time on a batching bus all arrive in order, none lost', async function () {
    if (!hasNft()) skipWithReason(this, NO_NFT);
    const { port, sending, receiving, inn } = await openPair((p) => bus(p, { batch: true }));
    await deliverThroughLoss('5% loss, batched', port, sending, receiving, inn, 10);
    const batches = receiving.stats().batches as Record<string, number>;
    assert.ok(batches.batchesHeard >= 150, `the messages came in batches (${JSON.stringify(batches)})`);
  });

  it('finds a lost last message by the next heartbeat and repairs it within a second', async function () {
    if (!hasNft()) skipWithReason(this, NO_NFT);
    const { port, sending, inn } = await pair();
    for (let i = 0; i < 20; i++) await sending.publish('R', Buffer.from(String(i)), { reliable: true });
    await until('the first 20', () => inn.messages.length === 20);
    await delay(100); // a heartbeat or two, so the stream is reliable
    dropOnInput(port, 100);
    const started = performance.now();
    await sending.publish('R', Buffer.from('20'), { reliable: true });
    stopDropping();
    await until(
      () => `the last message; got ${inn.messages.length}`,
      () => inn.messages.length === 21,
      1000,
    );
    console.log(`      tail loss: message 20 delivered ${Math.round(performance.now() - started)} ms after it was sent`);
    assert.deepEqual(
      numbers(inn.messages),
      Array.from({ length: 21 }, (_, i) => i),
    );
  });

  it('gives retained values to a listener that asks when it starts, and to no other', async () => {
    const plain = listener();
    await retainedForLateListener('retained', (port) => bus(port), [plain]);
    assert.deepEqual(plain.messages, []);
  });

  it('leaves a plain publish best effort: no control traffic', async () => {
    const { sending, receiving, inn } = await pair();
    for (let i = 0; i < 10; i++) await sending.publish('B', Buffer.from(String(i)));
    await until('10 messages', () => inn.messages.length === 10);
    await delay(200); // proving no heartbeat comes: four first-heartbeat delays
    assert.deepEqual(
      numbers(inn.messages),
      Array.from({ length: 10 }, (_, i) => i),
    );
    assert.equal(sending.stats().reliable.sender, null);
    assert.equal(receiving.stats().reliable.receiver!.heartbeats, 0);
  });

  it('refuses reliable and retained publishes on raw framing', async () => {
    const raw = bus(nextPort(), { framing: 'raw' });
    await assert.rejects(
      raw.publish('', Buffer.from('x'), { reliable: true }),
      (e: any) => e.problem.code === 'reliable-unavailable' && e.problem.params.reason === 'raw',
    );
    await assert.rejects(raw.publish('', Buffer.from('x'), { retain: true }), (e: any) => e.problem.params.reason === 'raw');
  });
});
