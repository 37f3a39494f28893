import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { createTopology, type Topology } from '../../testnet/topology';
import { bus, multicastIn, multicastOut, sink, tab } from '../support/flows';
import { collect, helper, isReady, ourNodes, waitForStatus } from '../support/node-red';
import { nextPort } from '../support/ports';
import { requireRootNamespaces } from '../support/private-network';
import { until } from '../support/until';

const haveRuby = spawnSync('ruby', ['--version'], { stdio: 'ignore' }).status === 0;
const peers = join(__dirname, '..', 'peers');

describe("the seed's Ruby sender and receiver on other hosts", function () {
  let lan: Topology | undefined;

  beforeEach(function () {
    requireRootNamespaces(this);
    if (!haveRuby) throw new Error('ruby is not installed: .ci/run installs it (apt-get install ruby)');
    lan = createTopology('mcbseed', ['sender', 'receiver'], []);
  });
  afterEach(async () => {
    await helper.unload();
    lan?.destroy();
  });

  it('multicast-in hears the Ruby sender, and the Ruby receiver hears multicast-out', async function () {
    this.timeout(20000);
    const network = lan!;
    // This process sits on LAN A as its admin station, at 198.51.100.254.
    const port = nextPort();
    const b = bus({ port, iface: network.adminInterface, ttl: 1 });
    const received = sink();
    const inNode = multicastIn(b.id, received.id, { topic: 'seed' });
    const outNode = multicastOut(b.id);
    await helper.load(ourNodes, [tab, b, inNode, outNode, received]);
    await waitForStatus(helper.getNode(inNode.id), isReady);
    await waitForStatus(helper.getNode(outNode.id), isReady);
    const { sender: senderHost, receiver: receiverHost } = network.hosts;

    // Ruby receiver first, so it is listening when Node-RED sends.
    const receiver = network.spawn(receiverHost, 'ruby', [join(peers, 'seed-receiver.rb')], { PORT: String(port) });
    let heard = '';
    receiver.stdout!.on('data', (chunk) => (heard += chunk));
    await until('the Ruby receiver to listen', () => heard.includes('listening'));

    const seen = collect(helper.getNode(received.id));
    network.spawn(senderHost, 'ruby', [join(peers, 'seed-sender.rb')], { PORT: String(port), COUNT: '5' });
    await until('three messages from the Ruby sender', () => seen.length >= 3);
    assert.deepEqual(
      seen.slice(0, 3).map((m) => [m.payload, m.ip, m.topic]),
      [
        ['seed 1', senderHost.address, 'seed'],
        ['seed 2', senderHost.address, 'seed'],
        ['seed 3', senderHost.address, 'seed'],
      ],
    );

    helper.getNode(outNode.id).receive({ payload: 'hello from Node-RED' });
    await until('the Ruby receiver to print our message', () => heard.includes('hello from Node-RED'));
    assert.match(heard, /198\.51\.100\.254:\d+ hello from Node-RED/);
    // The Ruby receiver is on the bus too, so it also heard the Ruby sender.
    assert.match(heard, new RegExp(`${senderHost.address.replace(/\./g, '\\.')}:\\d+ seed 1`));
  });
});
