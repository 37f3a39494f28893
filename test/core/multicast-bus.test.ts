import assert from 'node:assert/strict';
import { parseBusSettings } from '../../src/core/bus-settings';
import { MulticastBus } from '../../src/core/multicast-bus';
import type { SocketState } from '../../src/core/reopening-socket';

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
    const client = { onState: (s: SocketState) => states.push(s), onDatagram: () => undefined };
    bus.register(client);
    await new Promise((resolve) => setTimeout(resolve, 110));
    assert.deepEqual(states[0], { phase: 'joining' });
    assert.deepEqual(states[1], { phase: 'waiting', problem: { code: 'iface-missing', params: { iface: 'eth9', choices: 'lo' } } });
    assert.ok(lookups >= 3, `retried (${lookups} lookups)`);
    await bus.deregister(client);
    const after = lookups;
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(lookups, after, 'no retry once the last client left');
  });

  it('shows a link that is down as waiting, naming the interface', async () => {
    const table = { br0: [{ address: '198.51.100.1', family: 'IPv4', netmask: '255.255.255.0', mac: '', internal: false, cidr: null }] } as never;
    const bus = new MulticastBus(settings({ iface: 'br0' }), { retryMs: 1000, networkInterfaces: () => table, linkState: () => 'down' });
    const states: SocketState[] = [];
    bus.register({ onState: (s: SocketState) => states.push(s), onMessage: () => undefined });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(states.at(-1), { phase: 'waiting', problem: { code: 'iface-down', params: { iface: 'br0' } } });
    await bus.close();
  });

  it('refuses to send before the send side is open, saying why', async () => {
    const bus = new MulticastBus(settings({ iface: 'eth9' }), { retryMs: 1000, networkInterfaces: () => ({}) });
    await assert.rejects(bus.publish('T', Buffer.from('x')), (e: any) => e.problem.code === 'not-ready');
    await bus.close();
  });

  it('refuses a raw datagram over the IPv4 limit before touching a socket', async () => {
    const bus = new MulticastBus(settings({ framing: 'raw' }));
    await assert.rejects(bus.publish('', Buffer.alloc(65_508)), (e: any) => e.problem.code === 'too-large' && e.problem.params.limit === 65_507);
  });

  it('labels IPv6 groups in brackets', () => {
    assert.equal(new MulticastBus(settings({ group: 'ff15::1', port: 9 })).label, '[ff15::1]:9');
    assert.equal(new MulticastBus(settings({})).label, '239.255.76.67:7667');
  });
});
