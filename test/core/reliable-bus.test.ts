// Reliable and retained delivery between real buses on `lo` (docs/reliability.md), with loss made by nftables.
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { encodeControlFrame } from '../../src/core/control-frame';
import { encodeMessage } from '../../src/core/lcm-codec';
import type { BusMessage } from '../../src/core/framing';
import { parseBusSettings } from '../../src/core/bus-settings';
import { MulticastBus } from '../../src/core/multicast-bus';
import type { SocketState } from '../../src/core/reopening-socket';
import { dropOnInput, droppedByRule as dropped, packetLossUnavailable, stopDropping } from '../support/packet-loss';
import { nextPort } from '../support/ports';
import { requirePrivateNetwork, skipWithReason } from '../support/private-network';
import { delay, until } from '../support/until';

function settings(port: number, fields: Record<string, unknown> = {}) {
  const parsed = parseBusSettings({ group: '239.255.76.91', port, iface: 'lo', ttl: 0, framing: 'lcm', ...fields });
  if (!('settings' in parsed)) throw new Error(`bad test settings: ${JSON.stringify(parsed)}`);
  return parsed.settings;
}

interface Listener {
  messages: BusMessage[];
  phase: string;
  onState(state: SocketState): void;
  onMessage(message: BusMessage): void;
  retained?: string;
}

function listener(retained?: string): Listener {
  const l: Listener = {
    messages: [],
    phase: '',
    onState: (state) => (l.phase = state.phase),
    onMessage: (message) => l.messages.push(message),
  };
  if (retained !== undefined) l.retained = retained;
  return l;
}

/** The payloads delivered, as numbers, and the losses they report. */
function numbers(messages: BusMessage[]): number[] {
  return messages.map((m) => Number(m.payload.toString()));
}

const sum = (messages: BusMessage[]) => messages.reduce((total, m) => total + (m.lostBefore ?? 0), 0);

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
  async function pair(fields: Record<string, unknown> = {}) {
    const port = nextPort();
    const sending = new MulticastBus(settings(port, fields));
    const receiving = new MulticastBus(settings(port, fields));
    buses.push(sending, receiving);
    const out = listener();
    const inn = listener();
    sending.addSender(out);
    receiving.addReceiver(inn);
    await until('both sides ready', () => out.phase === 'ready' && inn.phase === 'ready', { every: 5 });
    return { port, sending, receiving, inn };
  }

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
    assert.equal(sum(inn.messages), 0);
    const stats = receiving.stats();
    assert.ok((stats.reliable.receiver!.heartbeats as number) > 0, 'heartbeats heard');
    assert.equal(stats.reliable.malformed, 0);
  });

  it('repairs 5% random loss: 2,000 messages at about 1,000/s all arrive in order, none lost', async function () {
    const noLoss = packetLossUnavailable();
    if (noLoss) skipWithReason(this, noLoss);
    const { port, sending, receiving, inn } = await pair();
    // One reliable message first, so the receiver hears a heartbeat before loss starts.
    await sending.publish('R', Buffer.from('0'), { reliable: true });
    await until('the stream to be reliable', () => (receiving.stats().reliable.receiver!.heartbeats as number) > 0);
    dropOnInput(port, 5);
    const started = performance.now();
    for (let i = 1; i < 2000; i++) {
      await sending.publish('R', Buffer.from(String(i)), { reliable: true });
      // About 1,000 a second: 10 messages, then wait for the clock to catch up.
      if (i % 10 === 0) await delay(Math.max(0, i - (performance.now() - started)));
    }
    await until(
      () => `2,000 messages; got ${inn.messages.length}`,
      () => inn.messages.length >= 2000,
      10_000,
    );
    const drops = dropped();
    stopDropping();
    await delay(200);
    const stats = receiving.stats();
    const sent = sending.stats().reliable.sender!;
    const received = stats.reliable.receiver!;
    console.log(
      `      5% loss: ${drops} datagrams dropped, ${inn.messages.length} delivered in ${Math.round(performance.now() - started)} ms; NAKs sent ${received.naksSent}, repairs heard ${received.repairs}, repairs sent ${sent.repairs}, summary ${JSON.stringify(receiving.summary())}`,
    );
    assert.deepEqual(
      numbers(inn.messages),
      Array.from({ length: 2000 }, (_, i) => i),
    );
    assert.equal(sum(inn.messages), 0, 'no message reports a loss before it');
    assert.equal(receiving.summary().lost, 0, 'the bus counts none lost');
    assert.ok((received.naksSent as number) > 0 && (sent.repairs as number) > 0, 'NAKs and repairs were needed');
  });

  it('finds a lost last message by the next heartbeat and repairs it within a second', async function () {
    const noLoss = packetLossUnavailable();
    if (noLoss) skipWithReason(this, noLoss);
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
    const port = nextPort();
    const sending = new MulticastBus(settings(port));
    buses.push(sending);
    const out = listener();
    sending.addSender(out);
    await until('the send side', () => out.phase === 'ready', { every: 5 });
    await sending.publish('room/1', Buffer.from('21.5'), { retain: true });
    await sending.publish('room/2', Buffer.from('19.0'), { retain: true });
    await delay(1000);
    const receiving = new MulticastBus(settings(port));
    buses.push(receiving);
    const asking = listener('#');
    const plain = listener();
    const started = performance.now();
    receiving.addReceiver(asking);
    receiving.addReceiver(plain);
    await until(
      () => `both retained values; got ${asking.messages.length}`,
      () => asking.messages.length >= 2,
      2000,
    );
    console.log(`      retained: both values ${Math.round(performance.now() - started)} ms after the listener started`);
    await delay(300); // proving no copy reaches the other listener
    const got = asking.messages.map((m) => [m.topic, m.payload.toString(), m.retained]).sort();
    assert.deepEqual(got, [
      ['room/1', '21.5', true],
      ['room/2', '19.0', true],
    ]);
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

  it('refuses reliable and retained publishes on raw framing and on a sealed bus', async () => {
    const raw = new MulticastBus(settings(nextPort(), { framing: 'raw' }));
    buses.push(raw);
    await assert.rejects(
      raw.publish('', Buffer.from('x'), { reliable: true }),
      (e: any) => e.problem.code === 'reliable-unavailable' && e.problem.params.reason === 'raw',
    );
    await assert.rejects(raw.publish('', Buffer.from('x'), { retain: true }), (e: any) => e.problem.params.reason === 'raw');
    // Keys never come: the refusal does not wait for them.
    const sealed = new MulticastBus(settings(nextPort(), { security: 'sealed' }), { keys: new Promise(() => undefined) });
    buses.push(sealed);
    await assert.rejects(
      sealed.publish('T', Buffer.from('x'), { reliable: true }),
      (e: any) => e.problem.code === 'reliable-unavailable' && e.problem.params.reason === 'sealed',
    );
  });
});
