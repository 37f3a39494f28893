import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { bus, multicastOut, tab } from '../support/flows';
import { helper, isReady, ourNodes, waitForStatus } from '../support/node-red';
import { firstIpv4Ttl, requireCapture, startCapture } from '../support/packet-capture';
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
    const listener = await plainListener('239.255.76.67', 17201);
    try {
      const sender = await loadSender({ port: 17201 });
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
      const capture = await startCapture('lo', 'udp and dst port 17202');
      const sender = await loadSender({ port: 17202, ttl });
      sender.receive({ payload: 'ttl probe' });
      const text = await capture.packets;
      assert.equal(firstIpv4Ttl(text), ttl, text);
      assert.match(text, /> 239\.255\.76\.67\.17202: UDP, length 9/, text);
    });
  }

  describe('on a chosen interface', () => {
    let removeVeth: (() => void) | undefined;
    afterEach(() => removeVeth?.());

    it('leaves through that interface and no other', async function () {
      requireCapture(this);
      removeVeth = addVethPair('mcbwire0', '198.51.100.30/24');
      const onLo = await startCapture('lo', 'udp and dst port 17203', 1, 800);
      const onVeth = await startCapture('mcbwire0', 'udp and dst port 17203');
      const sender = await loadSender({ port: 17203, iface: 'mcbwire0', ttl: 1 });
      sender.receive({ payload: 'here' });
      assert.match(await onVeth.packets, /198\.51\.100\.30\.\d+ > 239\.255\.76\.67\.17203/);
      await assert.rejects(onLo.packets, /saw no packet/);
    });
  });
});
