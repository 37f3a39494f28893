import assert from 'node:assert/strict';
import { viewInterface, type InterfaceSources } from '../../src/core/interface-view';

const v4 = (address: string) => ({ address, family: 'IPv4' as const, netmask: '255.255.255.0', mac: '', internal: false, cidr: null });
const v6 = (address: string) => ({
  address,
  family: 'IPv6' as const,
  netmask: 'ffff:ffff:ffff:ffff::',
  mac: '',
  internal: false,
  cidr: null,
  scopeid: 0,
});

function host(fields: Partial<InterfaceSources> = {}): InterfaceSources {
  return { table: { lan0: [v4('198.51.100.21')] }, linkState: () => 'up', canMulticast: () => true, interfaceIndex: () => 7, ...fields };
}

describe('interface view (what the bus rejoins on)', () => {
  it('resolves a named interface to its IPv4 address', () => {
    const view = viewInterface('lan0', 'IPv4', host());
    assert.deepEqual(view.where, { resolved: { name: 'lan0', socketInterface: '198.51.100.21' } });
  });

  it('changes its fingerprint when the device is deleted and created again with the same name and address', () => {
    const before = viewInterface('lan0', 'IPv4', host({ interfaceIndex: () => 7 }));
    const after = viewInterface('lan0', 'IPv4', host({ interfaceIndex: () => 8 }));
    assert.notEqual(before.fingerprint, after.fingerprint);
  });

  it('keeps its fingerprint when only an address of the other family changes', () => {
    const before = viewInterface('lan0', 'IPv4', host({ table: { lan0: [v4('198.51.100.21'), v6('2001:db8::1')] } }));
    const after = viewInterface('lan0', 'IPv4', host({ table: { lan0: [v4('198.51.100.21'), v6('2001:db8::2')] } }));
    assert.equal(before.fingerprint, after.fingerprint);
  });

  it('changes its fingerprint when the address of its family changes', () => {
    const before = viewInterface('lan0', 'IPv4', host());
    const after = viewInterface('lan0', 'IPv4', host({ table: { lan0: [v4('198.51.100.22')] } }));
    assert.notEqual(before.fingerprint, after.fingerprint);
  });

  it('says a missing interface whose link is down is down, so the user knows to bring it up', () => {
    const view = viewInterface('lan0', 'IPv4', host({ table: {}, linkState: () => 'down' }));
    assert.deepEqual(view.where, { problem: { code: 'iface-down', params: { iface: 'lan0' } } });
  });

  it('says a missing interface is missing, naming the ones there are', () => {
    const view = viewInterface('lan9', 'IPv4', host({ linkState: () => 'unknown' }));
    assert.deepEqual(view.where, { problem: { code: 'iface-missing', params: { iface: 'lan9', choices: 'lan0' } } });
  });
});
