import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { bus, multicastOut, tab } from '../support/flows';
import { helper, isReady, ourNodes, waitForStatus } from '../support/node-red';
import { firstIpv4Ttl, requireCapture, startCapture } from '../support/packet-capture';
import { nextPort } from '../support/ports';
import { addVethPair, requirePrivateNetwork } from '../support/private-network';

/** A plain dgram socket joined to a group on lo: what any other program on the bus would hear. */
function plainListener(group: string, port: number): Promise<{ socket: Socket; next(): Promise<Buffer> }> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  const queue: Buffer[] = [];
  const waiting: ((b: Buffer) => void)[] = [];
  socket.on('message', (bytes) => {
    const taker = waiting.shift();
    if (taker) taker(bytes);
    else queue.push(bytes);
  });
  return new Promise((resolve) => {
    socket.bind(port, group, () => {
      socket.addMembership(group, '127.0.0.1');
      resolve({ socket, next: () => new Promise((take) => (queue.length ? take(queue.shift()!) : waiting.push(take))) });
    });
  });
}

describe('what multicast-out puts on the wire', function () {
  beforeEach(function () {
    requirePrivateNetwork(this);
  });
  afterEach(() => helper.unload());

  async function loadSender(busFields: Record<string, unknown>) {
    const b = bus(busFields);
    const outNode = multicastOut(b.id);
    await helper.load(ourNodes, [tab, b, outNode]);
    const sender = helper.getNode(outNode.id);
    await waitForStatus(sender, isReady);
    return sender;
  }

  it('sends each payload type as the bytes a plain UDP listener expects', async () => {
    const port = nextPort();
    const listener = await plainListener('239.255.76.67', port);
    try {
      const sender = await loadSender({ port });
      const cases: [unknown, string][] = [
        [Buffer.from([0, 1, 2, 255]), '000102ff'],
        ['grüße', Buffer.from('grüße').toString('hex')],
        [{ a: 1 }, Buffer.from('{"a":1}').toString('hex')],
        [[true, null], Buffer.from('[true,null]').toString('hex')],
        [-2.5, Buffer.from('-2.5').toString('hex')],
        [true, Buffer.from('true').toString('hex')],
      ];
      for (const [payload, hex] of cases) {
        sender.receive({ payload });
        assert.equal((await listener.next()).toString('hex'), hex, JSON.stringify(payload));
      }
    } finally {
      listener.socket.close();
    }
  });

  for (const ttl of [0, 1, 7]) {
    it(`sends with the bus TTL (${ttl}) in the IP header`, async function () {
      requireCapture(this);
      const port = nextPort();
      const capture = await startCapture('lo', `udp and dst port ${port}`);
      const sender = await loadSender({ port, ttl });
      sender.receive({ payload: 'ttl probe' });
      const text = await capture.packets;
      assert.equal(firstIpv4Ttl(text), ttl, text);
      assert.match(text, new RegExp(`> 239\\.255\\.76\\.67\\.${port}: UDP, length 9`), text);
    });
  }

  describe('on a chosen interface', () => {
    let removeVeth: (() => void) | undefined;
    afterEach(() => removeVeth?.());

    it('leaves through that interface and no other', async function () {
      requireCapture(this);
      removeVeth = addVethPair('mcbwire0', '198.51.100.30/24');
      const port = nextPort();
      const onLo = await startCapture('lo', `udp and dst port ${port}`, 1, 800);
      const onVeth = await startCapture('mcbwire0', `udp and dst port ${port}`);
      const sender = await loadSender({ port, iface: 'mcbwire0', ttl: 1 });
      sender.receive({ payload: 'here' });
      assert.match(await onVeth.packets, new RegExp(`198\\.51\\.100\\.30\\.\\d+ > 239\\.255\\.76\\.67\\.${port}`));
      await assert.rejects(onLo.packets, /saw no packet/);
    });
  });
});
