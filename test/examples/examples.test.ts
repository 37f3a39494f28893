import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { helper, isReady, nextMessage, ourNodes, udpNode, waitForStatus } from '../support/node-red';
import { ip, requirePrivateNetwork } from '../support/private-network';

const examplesDir = join(__dirname, '..', '..', 'examples');
const injectNode = require(require.resolve('@node-red/nodes/core/common/20-inject.js', { paths: [require.resolve('node-red')] }));
const commentNode = require(require.resolve('@node-red/nodes/core/common/90-comment.js', { paths: [require.resolve('node-red')] }));
const switchNode = require(require.resolve('@node-red/nodes/core/function/10-switch.js', { paths: [require.resolve('node-red')] }));

describe('example flows', function () {
  beforeEach(function () {
    requirePrivateNetwork(this);
    // Examples that leave the interface to the OS need a route for multicast, as a host with a default route has.
    ip('link', 'set', 'lo', 'multicast', 'on');
    ip('route', 'replace', '224.0.0.0/4', 'dev', 'lo');
  });
  afterEach(async () => {
    await helper.unload();
    try {
      ip('route', 'del', '224.0.0.0/4', 'dev', 'lo');
    } catch {
      // Skipped before it was added.
    }
  });

  for (const file of readdirSync(examplesDir).filter((name) => name.endsWith('.json'))) {
    it(`"${file.replace(/\.json$/, '')}" starts with a comment, deploys, and its multicast-in nodes receive`, async () => {
      const flow: any[] = JSON.parse(readFileSync(join(examplesDir, file), 'utf8'));
      const onCanvas = flow.filter((n) => n.type !== 'tab' && n.z);
      assert.equal(onCanvas.sort((a, b) => a.y - b.y || a.x - b.x)[0].type, 'comment', 'the first node explains the example');

      // Debug nodes need the editor's comms, so a helper node stands in for what each multicast-in feeds.
      const ins = flow.filter((n) => n.type === 'multicast-in');
      const probes = ins.map((n) => ({ id: `probe-${n.id}`, type: 'helper', z: n.z, wires: [] }));
      const testable = flow.filter((n) => n.type !== 'debug').map((n) => (n.type === 'multicast-in' ? { ...n, wires: [[`probe-${n.id}`]] } : n));
      // A sealed bus has no key in the flow file (keys are credentials): give it one, as the user does with Generate.
      const credentials = Object.fromEntries(
        flow.filter((n) => n.security === 'sealed').map((n) => [n.id, { key: randomBytes(32).toString('base64') }]),
      );
      await helper.load([...ourNodes, injectNode, commentNode, switchNode, udpNode], [...testable, ...probes], credentials);
      for (const n of flow.filter((n) => n.type === 'multicast-in' || n.type === 'multicast-out')) {
        await waitForStatus(helper.getNode(n.id), isReady);
      }
      const heard = await Promise.all(probes.map((p) => nextMessage(helper.getNode(p.id), 5000)));
      for (const msg of heard) assert.notEqual(msg.payload, undefined);
    });
  }
});
