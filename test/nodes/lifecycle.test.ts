import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { bus, multicastIn, multicastOut, sink, tab } from '../support/flows';
import { collect, helper, isReady, nextMessage, ourNodes, waitForStatus } from '../support/node-red';
import { nextPort } from '../support/ports';
import { requirePrivateNetwork } from '../support/private-network';
import { delay, until } from '../support/until';

/** Open sockets of this process, counted from its file descriptors. */
function openSockets(): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
    } catch {
      return false;
    }
  }).length;
}

describe('bus lifecycle across deploys', function () {
  beforeEach(function () {
    requirePrivateNetwork(this);
  });
  afterEach(() => helper.unload());

  it('leaks no socket over 200 redeploys, and still delivers after them', async function () {
    this.timeout(120000);
    const b = bus({ port: nextPort() });
    const received = sink();
    const inNode = multicastIn(b.id, received.id);
    const outNode = multicastOut(b.id);
    const flowWith = (name: string) => [tab, { ...b, name }, inNode, outNode, received];

    await helper.load(ourNodes, flowWith('start'));
    await waitForStatus(helper.getNode(inNode.id), isReady);
    await waitForStatus(helper.getNode(outNode.id), isReady);
    const before = openSockets();
    assert.ok(before >= 2, `the bus holds its two sockets (saw ${before})`);

    for (let i = 0; i < 200; i++) {
      // A changed config node restarts every node that uses it; every tenth deploy is a full one.
      await helper.setFlows(flowWith(`deploy ${i}`), i % 10 === 0 ? 'full' : 'nodes');
    }
    await waitForStatus(helper.getNode(inNode.id), isReady);
    await waitForStatus(helper.getNode(outNode.id), isReady);
    // The sockets of the last deploys close as their nodes finish closing: wait for that, not for a time.
    await until(
      () => `the sockets to be back to ${before}; ${openSockets()} are open`,
      () => openSockets() === before,
    );

    const arrived = nextMessage(helper.getNode(received.id));
    helper.getNode(outNode.id).receive({ payload: 'after 200 deploys' });
    assert.equal((await arrived).payload, 'after 200 deploys');
  });

  it('redeploying one modified node leaves the other nodes on the bus running and receiving', async () => {
    const b = bus({ port: nextPort() });
    const sinkA = sink('a');
    const sinkB = sink('b');
    const inA = multicastIn(b.id, sinkA.id, { name: 'A' });
    const inB = multicastIn(b.id, sinkB.id, { name: 'B' });
    const outNode = multicastOut(b.id);
    await helper.load(ourNodes, [tab, b, inA, inB, outNode, sinkA, sinkB]);
    for (const n of [inA, inB, outNode]) await waitForStatus(helper.getNode(n.id), isReady);
    const untouched = helper.getNode(inB.id);
    const seenB = collect(helper.getNode(sinkB.id));

    await helper.setFlows([tab, b, { ...inA, name: 'A, renamed' }, inB, outNode, sinkA, sinkB], 'nodes');
    assert.equal(helper.getNode(inB.id), untouched, 'the unmodified node was not restarted');
    await waitForStatus(helper.getNode(inA.id), isReady);

    const arrivedA = nextMessage(helper.getNode(sinkA.id));
    helper.getNode(outNode.id).receive({ payload: 'after partial deploy' });
    assert.equal((await arrivedA).payload, 'after partial deploy');
    await until('the untouched node to get it too', () => seenB.length >= 1);
    assert.deepEqual(
      seenB.map((m) => m.payload),
      ['after partial deploy'],
    );
  });

  it('closes at once while still waiting for an interface', async () => {
    const b = bus({ port: nextPort(), iface: 'mcbnever0' });
    const inNode = multicastIn(b.id, 'nowhere');
    const outNode = multicastOut(b.id);
    await helper.load(ourNodes, [tab, b, inNode, outNode]);
    await waitForStatus(helper.getNode(inNode.id), (s) => s.text === 'multicast-bus.problems.iface-missing');
    const started = Date.now();
    await helper.setFlows([tab], 'full');
    assert.ok(Date.now() - started < 1000, 'close called done promptly');
    assert.equal(helper.getNode(inNode.id), null);
  });

  it('tests unsaved settings at POST multicast-bus/test: interface, join, probe looped back, receive buffer', async () => {
    await helper.load(ourNodes, [tab, bus()]);
    const port = String(nextPort());
    const good = (
      await helper.request().post('/multicast-bus/test').send({ group: '239.255.76.67', port, iface: 'lo', ttl: '1', framing: 'lcm' }).expect(200)
    ).body;
    assert.deepEqual(
      good.steps.map((s: { step: string; ok: boolean }) => [s.step, s.ok]),
      [
        ['interface', true],
        ['join', true],
        ['send', true],
        ['loopback', true],
        ['rcvbuf', true],
      ],
    );
    assert.equal(good.ok, true);
    const missing = (await helper.request().post('/multicast-bus/test').send({ group: '239.255.76.67', port, iface: 'eth9' }).expect(200)).body;
    assert.deepEqual(missing, { ok: false, steps: [{ step: 'interface', ok: false, text: 'multicast-bus.problems.iface-missing' }] });
    const invalid = (await helper.request().post('/multicast-bus/test').send({ group: '10.0.0.1', port: '0' }).expect(200)).body;
    assert.deepEqual(
      invalid.steps.map((s: { text: string }) => s.text),
      ['multicast-bus.problems.not-multicast', 'multicast-bus.problems.bad-port'],
    );
    const hostile = await helper
      .request()
      .post('/multicast-bus/test')
      .send({ group: '239.255.76.67', port: { toString: 1 } })
      .expect(400);
    assert.equal(hostile.body.ok, false, 'a body that cannot be read as settings gets a JSON answer');
  });

  it('sends no probe on raw framing or a sealed bus, so flows on this host hear nothing', async () => {
    const port = nextPort();
    const b = bus({ port });
    const out = sink();
    const inNode = multicastIn(b.id, out.id);
    await helper.load(ourNodes, [tab, b, inNode, out]);
    await waitForStatus(helper.getNode(inNode.id), isReady);
    const heard = collect(helper.getNode(out.id));
    for (const settings of [{ framing: 'raw' }, { framing: 'lcm', security: 'sealed' }]) {
      const report = (
        await helper
          .request()
          .post('/multicast-bus/test')
          .send({ group: '239.255.76.67', port: String(port), iface: 'lo', ...settings })
          .expect(200)
      ).body;
      assert.deepEqual(
        report.steps.map((s: { step: string; ok: boolean }) => [s.step, s.ok]),
        [
          ['interface', true],
          ['join', true],
          ['unsent', true],
          ['rcvbuf', true],
        ],
      );
    }
    // Proving that nothing arrives: a probe, had one been sent, would be looped back within a few ms.
    await delay(300);
    assert.deepEqual(heard, []);
  });

  it('lists the host interfaces with their addresses at GET multicast-bus/interfaces', async () => {
    await helper.load(ourNodes, [tab, bus()]);
    const response = await helper.request().get('/multicast-bus/interfaces').expect(200);
    const lo = response.body.find((choice: { name: string }) => choice.name === 'lo');
    assert.deepEqual(
      lo.addresses.find((a: { family: string }) => a.family === 'IPv4'),
      { address: '127.0.0.1', family: 'IPv4' },
    );
  });
});
