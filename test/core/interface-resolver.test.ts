import assert from 'node:assert/strict';
import { listInterfaces, resolveInterface, type InterfaceTable } from '../../src/core/interface-resolver';
import { multicastRouteInterface } from '../../src/core/os-multicast-route';

const info = (address: string, family: 'IPv4' | 'IPv6') =>
  ({ address, family, netmask: '', mac: '00:00:00:00:00:00', internal: false, cidr: null }) as never;

const table: InterfaceTable = {
  lo: [info('127.0.0.1', 'IPv4'), info('::1', 'IPv6')],
  br0: [info('198.51.100.1', 'IPv4'), info('2001:db8::1', 'IPv6')],
  v6only: [info('2001:db8:1::1', 'IPv6')],
};

describe('interface resolution', () => {
  it('leaves the choice to the OS when no interface is given', () => {
    assert.deepEqual(resolveInterface('', 'IPv4', table), { resolved: {} });
  });

  it('turns an interface name into its IPv4 address for an IPv4 group', () => {
    assert.deepEqual(resolveInterface('br0', 'IPv4', table), { resolved: { name: 'br0', socketInterface: '198.51.100.1' } });
  });

  it('turns an interface name into a zone for an IPv6 group', () => {
    assert.deepEqual(resolveInterface('br0', 'IPv6', table), { resolved: { name: 'br0', socketInterface: '::%br0' } });
  });

  it('accepts one of the host addresses and finds its interface', () => {
    assert.deepEqual(resolveInterface('198.51.100.1', 'IPv4', table), { resolved: { name: 'br0', socketInterface: '198.51.100.1' } });
    assert.deepEqual(resolveInterface('2001:db8::1', 'IPv6', table), { resolved: { name: 'br0', socketInterface: '::%br0' } });
  });

  it('names the interfaces there are when the one asked for is missing', () => {
    assert.deepEqual(resolveInterface('eth9', 'IPv4', table), {
      problem: { code: 'iface-missing', params: { iface: 'eth9', choices: 'lo, br0, v6only' } },
    });
    assert.deepEqual(resolveInterface('203.0.113.9', 'IPv4', table), {
      problem: { code: 'address-missing', params: { iface: '203.0.113.9', choices: 'lo, br0, v6only' } },
    });
  });

  it('reports an interface without an IPv4 address for an IPv4 group', () => {
    assert.deepEqual(resolveInterface('v6only', 'IPv4', table), { problem: { code: 'iface-no-ipv4', params: { iface: 'v6only' } } });
  });

  it('with *, joins on every interface that has an address of the family and can multicast, loopback excepted', () => {
    const withLo: InterfaceTable = { ...table, lo: [{ ...(info('127.0.0.1', 'IPv4') as object), internal: true } as never] };
    assert.deepEqual(resolveInterface('*', 'IPv4', withLo), { resolved: { everyInterface: [{ name: 'br0', socketInterface: '198.51.100.1' }] } });
    assert.deepEqual(
      resolveInterface('*', 'IPv6', withLo, (name) => name !== 'v6only'),
      {
        resolved: { everyInterface: [{ name: 'br0', socketInterface: '::%br0' }] },
      },
    );
    assert.equal((resolveInterface('*', 'IPv4', { lo: withLo.lo }) as { problem: { code: string } }).problem.code, 'no-interfaces');
  });

  it('lists interfaces with their addresses for the editor', () => {
    assert.deepEqual(listInterfaces(table, '')[1], {
      name: 'br0',
      addresses: [
        { address: '198.51.100.1', family: 'IPv4' },
        { address: '2001:db8::1', family: 'IPv6' },
      ],
    });
  });

  it('marks the interface the OS sends multicast on when none is set', () => {
    assert.deepEqual(
      listInterfaces(table, 'br0').map((choice) => choice.osDefault),
      listInterfaces(table, '').map((choice) => (choice.name === 'br0' ? true : undefined)),
    );
  });

  it('reads that interface from the routing table: a multicast route beats the default route', () => {
    const header = 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT';
    const defaultVia = (iface: string, metric = 0) => `${iface}\t00000000\t010200C0\t0003\t0\t0\t${metric}\t00000000\t0\t0\t0`;
    const lan = 'lan0\t006433CB\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0'; // 203.51.100.0/24: not a group
    const multicast = 'lan0\t000000E0\t00000000\t0001\t0\t0\t0\t000000F0\t0\t0\t0'; // 224.0.0.0/4
    assert.equal(multicastRouteInterface([header, defaultVia('wg0'), lan].join('\n')), 'wg0');
    assert.equal(multicastRouteInterface([header, defaultVia('wg0'), lan, multicast].join('\n')), 'lan0');
    assert.equal(multicastRouteInterface([header, defaultVia('wg0', 100), defaultVia('eth1', 5)].join('\n')), 'eth1');
    assert.equal(multicastRouteInterface([header, lan].join('\n')), undefined);
  });
});
