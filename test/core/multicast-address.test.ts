import assert from 'node:assert/strict';
import { multicastFamily, needsZone } from '../../src/core/multicast-address';

describe('multicast addresses', () => {
  it('knows IPv4 groups from 224.0.0.0 to 239.255.255.255', () => {
    for (const group of ['224.0.0.0', '224.0.0.251', '239.255.76.67', '239.255.255.255']) assert.equal(multicastFamily(group), 'IPv4', group);
    for (const text of ['223.255.255.255', '240.0.0.0', '255.255.255.255', '239.256.0.1', '239.1.1', '0239.1.1.1']) {
      assert.equal(multicastFamily(text), undefined, text);
    }
  });

  it('knows IPv6 groups in ff00::/8 and refuses malformed ones', () => {
    for (const group of ['ff02::1', 'ff15::1234', 'FF05::1:3', 'ff3e::8000:1', 'ff02:0:0:0:0:0:0:fb'])
      assert.equal(multicastFamily(group), 'IPv6', group);
    for (const text of ['fe80::1', '2001:db8::1', 'ff15:::1', 'ff15::1::2', 'ff1512::1', 'ff02:0:0:0:0:0:fb', ':ff02::1', 'ff02::1g']) {
      assert.equal(multicastFamily(text), undefined, text);
    }
  });

  it('says which IPv6 scopes need an interface to bind', () => {
    assert.equal(needsZone('ff02::1'), true);
    assert.equal(needsZone('ff12::1'), true);
    assert.equal(needsZone('ff01::1'), true);
    assert.equal(needsZone('ff15::1234'), false);
    assert.equal(needsZone('ff05::1:3'), false);
  });
});
