import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { bus, multicastIn, multicastOut, sink, tab } from '../support/flows';
import { helper, isReady, nextMessage, waitForStatus } from '../support/node-red';
import { nextPort } from '../support/ports';
import { ip, requirePrivateNetwork } from '../support/private-network';
import { wordedNodes } from './worded-nodes';

describe('IPv6 groups on a link', function () {
  const link = 'mcb6a';
  let linkAdded = false;

  beforeEach(function () {
    requirePrivateNetwork(this);
    ip('link', 'add', link, 'type', 'veth', 'peer', 'name', `${link}p`);
    linkAdded = true;
    // No duplicate address detection: the addresses are usable at once instead of tentative for a second or two.
    writeFileSync(`/proc/sys/net/ipv6/conf/${link}/accept_dad`, '0');
    ip('-6', 'addr', 'add', '2001:db8::6/64', 'dev', link, 'nodad');
    ip('link', 'set', link, 'up');
    ip('link', 'set', `${link}p`, 'up');
  });
  afterEach(async () => {
    await helper.unload();
    if (linkAdded) ip('link', 'del', link);
    linkAdded = false;
  });

  async function roundTrip(group: string) {
    const port = nextPort();
    const b = bus({ group, port, iface: link, ttl: 1 });
    const received = sink();
    const inNode = multicastIn(b.id, received.id);
    const outNode = multicastOut(b.id);
    await helper.load(wordedNodes, [tab, b, inNode, outNode, received]);
    const inStatus = await waitForStatus(helper.getNode(inNode.id), isReady);
    await waitForStatus(helper.getNode(outNode.id), isReady);
    const arrived = nextMessage(helper.getNode(received.id));
    helper.getNode(outNode.id).receive({ payload: { v: 6 } });
    return { msg: await arrived, inStatus, port };
  }

  it('carries a site-scoped group (ff15::1234) with the interface given by name', async () => {
    const { msg, inStatus, port } = await roundTrip('ff15::1234');
    assert.deepEqual(msg.payload, { v: 6 });
    assert.equal(msg.ip, '2001:db8::6');
    assert.equal(msg.group, 'ff15::1234');
    assert.equal(inStatus.text, `[ff15::1234]:${port} · idle`);
  });

  it('carries a link-local group (ff02::4c4d), bound with the interface as its zone', async () => {
    const { msg } = await roundTrip('ff02::4c4d');
    assert.deepEqual(msg.payload, { v: 6 });
    assert.match(msg.ip, /^fe80::/);
  });
});
