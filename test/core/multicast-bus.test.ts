import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseBusSettings } from '../../src/core/bus-settings';
import { MulticastBus } from '../../src/core/multicast-bus';
import type { SocketState } from '../../src/core/reopening-socket';
import { delay, until } from '../support/until';

function settings(fields: Record<string, unknown>) {
  const parsed = parseBusSettings(fields);
  if (!('settings' in parsed)) throw new Error('bad test settings');
  return parsed.settings;
}

describe('multicast bus (no sockets needed)', () => {
  it('tells a new client the state at once, then waits and retries while its interface is missing', async () => {
    let lookups = 0;
    const bus = new MulticastBus(settings({ iface: 'eth9' }), {
      retryMs: 20,
      networkInterfaces: () => {
        lookups++;
        return { lo: [] };
      },
    });
    const states: SocketState[] = [];
    const client = { onState: (s: SocketState) => states.push(s), onMessage: () => undefined };
    bus.addReceiver(client);
    await until(
      () => `a wait and two retries; saw ${JSON.stringify(states)} and ${lookups} lookups`,
      () => states.length >= 2 && lookups >= 3,
      { every: 5 },
    );
    assert.deepEqual(states[0], { phase: 'joining' });
    assert.deepEqual(states[1], { phase: 'waiting', problem: { code: 'iface-missing', params: { iface: 'eth9', choices: 'lo' } } });
    assert.ok(lookups >= 3, `retried (${lookups} lookups)`);
    await bus.remove(client);
    const after = lookups;
    // Proving that no retry comes: three retry periods.
    await delay(60);
    assert.equal(lookups, after, 'no retry once the last client left');
  });

  it('shows a link that is down as waiting, naming the interface', async () => {
    const table = { br0: [{ address: '198.51.100.1', family: 'IPv4', netmask: '255.255.255.0', mac: '', internal: false, cidr: null }] } as never;
    const bus = new MulticastBus(settings({ iface: 'br0' }), { retryMs: 1000, networkInterfaces: () => table, linkState: () => 'down' });
    const states: SocketState[] = [];
    bus.addReceiver({ onState: (s: SocketState) => states.push(s), onMessage: () => undefined });
    await until('the receiver to wait', () => states.at(-1)?.phase === 'waiting', { every: 5 });
    assert.deepEqual(states.at(-1), { phase: 'waiting', problem: { code: 'iface-down', params: { iface: 'br0' } } });
    await bus.close();
  });

  it('fails a message that waited too long for the send side, saying why the bus is not ready', async () => {
    const bus = new MulticastBus(settings({ iface: 'eth9' }), {
      retryMs: 1000,
      networkInterfaces: () => ({}),
      sendQueue: { messages: 10, bytes: 1e6, waitMs: 50 },
    });
    bus.addSender({ onState: () => undefined });
    await assert.rejects(bus.publish('T', Buffer.from('x')), (e: any) => e.problem.code === 'not-ready' && e.underlying.code === 'iface-missing');
    assert.deepEqual(bus.stats().sendQueue, { waiting: 0, refused: 0, expired: 1 });
    await bus.close();
  });

  it('refuses at once what does not fit the send queue while the bus is not ready, and counts it', async () => {
    const bus = new MulticastBus(settings({ iface: 'eth9' }), {
      retryMs: 1000,
      networkInterfaces: () => ({}),
      sendQueue: { messages: 2, bytes: 1e6, waitMs: 5000 },
    });
    let phase = '';
    bus.addSender({ onState: (s: SocketState) => (phase = s.phase) });
    await until('the send side to wait for its interface', () => phase === 'waiting', { every: 5 });
    const waiting = [bus.publish('T', Buffer.from('1')), bus.publish('T', Buffer.from('2'))];
    for (const each of waiting) each.catch(() => undefined);
    await assert.rejects(
      bus.publish('T', Buffer.from('3')),
      (e: any) => e.problem.code === 'send-queue-full' && e.underlying.code === 'iface-missing',
    );
    assert.deepEqual(bus.stats().sendQueue, { waiting: 2, refused: 1, expired: 0 });
    await bus.close();
    // Closing fails what still waits, at once rather than at its deadline.
    for (const each of waiting) await assert.rejects(each, (e: any) => e.problem.code === 'bus-closed');
  });

  it('refuses a raw datagram over the IPv4 limit before touching a socket', async () => {
    const bus = new MulticastBus(settings({ framing: 'raw' }));
    await assert.rejects(bus.publish('', Buffer.alloc(65_508)), (e: any) => e.problem.code === 'too-large' && e.problem.params.limit === 65_507);
  });

  it('keeps the process alive while a receiver waits for its interface, and lets it go once the receiver leaves', function () {
    this.timeout(20000);
    const script = `
      const { MulticastBus } = require('./src/core/multicast-bus');
      const { parseBusSettings } = require('./src/core/bus-settings');
      const bus = new MulticastBus(parseBusSettings({ iface: 'eth9' }).settings, { retryMs: 200, networkInterfaces: () => ({}) });
      const receiver = { onState: () => undefined, onMessage: () => undefined };
      bus.addReceiver(receiver);
      const started = Date.now();
      process.on('exit', () => console.log(Math.round((Date.now() - started) / 100) * 100));
      setTimeout(() => bus.remove(receiver), 1500).unref();
      // Only the bus may hold the process: this timer fires once it let go, or never.
    `;
    const ran = spawnSync(process.execPath, ['-r', 'tsx/cjs', '-e', script], { encoding: 'utf8', timeout: 15000 });
    assert.equal(ran.status, 0, ran.stderr);
    const livedMs = Number(ran.stdout.trim());
    // Without a timer that holds the loop the process ends at once (0 ms); with one it lives until the receiver leaves.
    assert.ok(livedMs >= 1400 && livedMs <= 3000, `lived ${livedMs} ms`);
  });

  it('labels IPv6 groups in brackets', () => {
    assert.equal(new MulticastBus(settings({ group: 'ff15::1', port: 9 })).label, '[ff15::1]:9');
    assert.equal(new MulticastBus(settings({})).label, '239.255.76.67:7667');
  });
});
