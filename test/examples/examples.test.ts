import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { collect, helper, isReady, nextMessage, ourNodes, udpNode, waitForStatus } from '../support/node-red';
import { startMqttBroker } from '../support/mqtt-broker';
import { ip, namespaceMode, requirePrivateNetwork } from '../support/private-network';
import { delay, until } from '../support/until';

const examplesDir = join(__dirname, '..', '..', 'examples');
const coreNode = (path: string) => require(require.resolve(`@node-red/nodes/core/${path}`, { paths: [require.resolve('node-red')] }));
const coreNodes = [
  coreNode('common/20-inject.js'),
  coreNode('common/90-comment.js'),
  coreNode('function/10-switch.js'),
  coreNode('function/10-function.js'),
  coreNode('function/15-change.js'),
  udpNode,
  coreNode('network/10-mqtt.js'),
];

interface Example {
  name: string;
  flow: any[];
}

const examples: Example[] = readdirSync(examplesDir)
  .filter((file) => file.endsWith('.json'))
  .map((file) => ({ name: file.replace(/\.json$/, ''), flow: JSON.parse(readFileSync(join(examplesDir, file), 'utf8')) }));
const example = (name: string): Example => {
  const found = examples.find((each) => each.name === name);
  assert.ok(found, `an example named "${name}"`);
  return found;
};
const busesOf = (flow: any[]) => flow.filter((n) => n.type === 'multicast-bus');
const busOf = (flow: any[], node: any) => flow.find((n) => n.id === node.bus);

/**
 * The JSONata prefix a change node gives msg.topic (`"wan/" & …` gives `wan/`), when it sets the topic: how a bridge
 * names what it forwards.
 */
function topicPrefixSet(node: any): string | undefined {
  if (node.type !== 'change') return undefined;
  const rule = (node.rules ?? []).find((r: any) => r.t === 'set' && r.p === 'topic' && r.pt === 'msg' && r.tot === 'jsonata');
  return rule ? /^"([^"]+)"\s*&/.exec(rule.to)?.[1] : undefined;
}

/**
 * What an example's multicast out nodes send on: the node's Topic, else the msg.topic of what feeds it (an inject's
 * topic, or every topic under the prefix a change node gives it), else "messages".
 */
function sentTopics(flow: any[]): { has(topic: string): boolean } {
  const topics = new Set<string>();
  const prefixes: string[] = [];
  for (const out of flow.filter((n) => n.type === 'multicast-out')) {
    if (out.topic) topics.add(out.topic);
    else
      for (const feeder of flow.filter((n) => (n.wires ?? []).flat().includes(out.id))) {
        const prefix = topicPrefixSet(feeder);
        if (prefix) prefixes.push(prefix);
        else topics.add(feeder.topic || 'messages');
      }
  }
  return { has: (topic) => topics.has(topic) || prefixes.some((prefix) => topic.startsWith(prefix)) };
}

/** The string payloads an example's inject nodes make: what a raw bus, which carries no topic, hears from that example. */
function injectedStrings(flow: any[]): Set<string> {
  return new Set(flow.filter((n) => n.type === 'inject' && n.payloadType === 'str').map((n) => n.payload));
}

/**
 * An example as the test helper runs it: debug nodes need the editor's comms, so a helper node of the same id stands
 * in for each; every multicast-in also feeds a probe. A sealed bus gets a key, as the user gives it with Generate
 * (keys are credentials, never in the flow file).
 */
function runnable(flow: any[]) {
  const ins = flow.filter((n) => n.type === 'multicast-in');
  const probes = ins.map((n) => ({ id: `probe-${n.id}`, type: 'helper', z: n.z, wires: [] }));
  const nodes = flow.map((n) => {
    if (n.type === 'debug') return { id: n.id, type: 'helper', z: n.z, wires: [] };
    if (n.type === 'multicast-in') return { ...n, wires: [[...(n.wires[0] ?? []), `probe-${n.id}`]] };
    return n;
  });
  const credentials = Object.fromEntries(
    busesOf(flow)
      .filter((n) => n.security === 'sealed')
      .map((n) => [n.id, { key: randomBytes(32).toString('base64') }]),
  );
  return { nodes: [...nodes, ...probes], credentials, ins };
}

/**
 * Loads an example and waits until its in and out nodes are ready. What each multicast in's probe and each debug node
 * got is collected from the start: a presence event comes as the bus opens, before its nodes show ready.
 */
async function deploy(flow: any[]) {
  const { nodes, credentials, ins } = runnable(flow);
  await helper.load([...ourNodes, ...coreNodes], nodes, credentials);
  const listeners = ins.map((n) => ({ node: n, messages: collect(helper.getNode(`probe-${n.id}`)) }));
  const debugged = Object.fromEntries(flow.filter((n) => n.type === 'debug').map((n) => [n.id, collect(helper.getNode(n.id))]));
  for (const n of flow.filter((n) => n.type === 'multicast-in' || n.type === 'multicast-out')) {
    await waitForStatus(helper.getNode(n.id), isReady);
  }
  return { listeners, debugged };
}

describe('example flows', function () {
  describe('as files', () => {
    it('give every bus a port of its own, so importing several examples never mixes their messages', () => {
      // Different groups on one port would do on Linux (the receive socket is bound to the group), not on every OS.
      const seen = new Map<string, string>();
      for (const { name, flow } of examples) {
        for (const bus of busesOf(flow)) {
          const port = String(bus.port);
          assert.ok(!seen.has(port), `"${name}" and "${seen.get(port)}" both use port ${port} (${bus.group}:${port})`);
          seen.set(port, name);
        }
      }
      assert.ok(seen.size >= examples.length, 'every example has a bus');
    });

    it('keep their traffic on this host: every bus has TTL 0 on lo or the OS default, the Loopback demo (npm start) on lo at 239.255.76.67:7667', () => {
      for (const { name, flow } of examples) {
        for (const bus of busesOf(flow)) {
          assert.equal(String(bus.ttl), '0', `${name}: TTL 0, so nothing is routed off this host`);
          assert.ok(['lo', ''].includes(bus.iface), `${name}: interface lo or the OS default, not "${bus.iface}"`);
        }
        for (const udp of flow.filter((n) => n.type === 'udp in' || n.type === 'udp out')) {
          assert.equal(udp.iface, '127.0.0.1', `${name}: the core udp node "${udp.name}" stays on the loopback interface`);
        }
      }
      const [demo] = busesOf(example('Loopback demo').flow);
      assert.deepEqual([demo.group, String(demo.port), demo.iface, String(demo.ttl)], ['239.255.76.67', '7667', 'lo', '0']);
    });

    it('name in their comments only the groups and ports their own buses use', () => {
      for (const { name, flow } of examples) {
        const groups = new Set([...busesOf(flow).map((b) => b.group), ...flow.filter((n) => n.type.startsWith('udp')).map((n) => n.addr || n.group)]);
        const ports = new Set(busesOf(flow).map((b) => String(b.port)));
        const addresses = new Set(busesOf(flow).map((b) => `${b.group}:${b.port}`));
        for (const comment of flow.filter((n) => n.type === 'comment')) {
          const text = `${comment.name}\n${comment.info}`;
          for (const [, group, port] of text.matchAll(/\b(2(?:2[4-9]|3\d)(?:\.\d{1,3}){3})(?::(\d+))?/g)) {
            assert.ok(groups.has(group), `${name}: the comment names ${group}, not a group of this example`);
            if (port) assert.ok(addresses.has(`${group}:${port}`), `${name}: the comment names ${group}:${port}; the bus is ${[...addresses]}`);
          }
          for (const [, port] of text.matchAll(/\bport (\d+)/g)) {
            assert.ok(ports.has(port), `${name}: the comment names port ${port}; the bus uses ${[...ports]}`);
          }
        }
      }
    });

    it('send on a topic they chose: every multicast out of an LCM bus has a Topic or is fed msg.topic', () => {
      for (const { name, flow } of examples) {
        for (const out of flow.filter((n) => n.type === 'multicast-out' && busOf(flow, n)?.framing === 'lcm')) {
          if (out.topic) continue;
          const feeders = flow.filter((n) => (n.wires ?? []).flat().includes(out.id));
          assert.ok(feeders.length > 0, `${name}: something feeds multicast out ${out.id}`);
          for (const feeder of feeders) {
            const setsTopic = (feeder.type === 'inject' && feeder.topic) || topicPrefixSet(feeder);
            assert.ok(setsTopic, `${name}: "${feeder.name}" feeds multicast out ${out.id} without a msg.topic`);
          }
        }
      }
    });

    it('"Watch for lost messages" shows its counters in the editor, with no admin API call or hard-coded editor port', () => {
      const { flow } = example('Watch for lost messages');
      const text = JSON.stringify(flow);
      assert.doesNotMatch(text, /\/multicast-bus\/|\/stats\b|curl|:1880\b/, 'no admin API route, curl or port 1880');
      assert.deepEqual(
        flow.filter((n) => /^http/.test(n.type)),
        [],
        'no HTTP nodes',
      );
      const source = flow.find((n) => n.type === 'multicast-in');
      const tally = flow.find((n) => n.type === 'function' && source.wires[0].includes(n.id));
      assert.ok(tally, 'multicast in feeds a function node');
      assert.match(tally.func, /msg\.multicast/);
      assert.match(tally.func, /\.sender\b/);
      assert.match(tally.func, /\.lost\b/);
      assert.match(tally.func, /node\.status\(/, 'the tally shows in its status');
      const shown = flow.find((n) => n.id === tally.wires[0][0]);
      assert.equal(shown?.type, 'debug', 'and its summary goes to the debug sidebar');
      assert.equal(shown.tosidebar, true);
    });
  });

  describe('deployed', () => {
    // The broker that "Bridge to MQTT across a WAN" expects on localhost:1883: aedes, as Node-RED's own tests use.
    let broker: { close(): Promise<void> } | undefined;
    before(async () => {
      if (namespaceMode === 'none') return;
      broker = await startMqttBroker(1883);
    });
    after(() => broker?.close());
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

    for (const { name, flow } of examples) {
      it(`"${name}" starts with a comment, deploys, and its multicast-in nodes receive`, async () => {
        const onCanvas = flow.filter((n) => n.type !== 'tab' && n.z);
        assert.equal([...onCanvas].sort((a, b) => a.y - b.y || a.x - b.x)[0].type, 'comment', 'the first node explains the example');
        const { listeners } = await deploy(flow);
        const heard = await Promise.all(
          listeners.map(({ node, messages }) => until(`a message on ${node.name || node.id}`, () => messages[0], 5000)),
        );
        for (const msg of heard) assert.notEqual(msg.payload, undefined);
      });
    }

    it('all deployed at once, each multicast in hears only its own example', async function () {
      this.timeout(30_000);
      const { listeners: heard } = await deploy(examples.flatMap((each) => each.flow));
      const started = Date.now();
      // Long enough for every example to have sent several times (the slowest sends every 3 s, the first after 1 s).
      await until(
        () => `a message on every multicast in: ${heard.map((h) => `${h.node.id} ${h.messages.length}`).join(', ')}`,
        () => Date.now() - started > 4500 && heard.every((h) => h.messages.length > 0),
        10_000,
      );
      for (const { node, messages } of heard) {
        const own = examples.find((each) => each.flow.includes(node))!;
        const bus = busOf(own.flow, node);
        // A presence event names the bus it was heard on; a raw bus carries no topic, so its payloads tell.
        const [expected, tell] =
          node.topic === '$bus/presence'
            ? [new Set([bus.name]), (msg: any) => msg.payload.bus]
            : bus.framing === 'raw'
              ? [injectedStrings(own.flow), (msg: any) => msg.payload]
              : [sentTopics(own.flow), (msg: any) => msg.topic];
        const foreign = messages.map(tell).filter((value) => !expected.has(value));
        assert.deepEqual([...new Set(foreign)], [], `"${own.name}" ${node.name || node.id} heard another example's messages`);
      }
    });

    it('"Reliable commands and retained state": the listener, redeployed alone as the comment says, gets the setpoint with msg.retained on the retained output', async function () {
      this.timeout(20_000);
      const { flow } = example('Reliable commands and retained state');
      const listener = flow.find((n) => n.type === 'multicast-in');
      const retainedSwitch = flow.find((n) => n.type === 'switch' && listener.wires[0].includes(n.id));
      const [[retainedDebug], [liveDebug]] = retainedSwitch.wires;
      const { nodes, credentials } = runnable(flow);
      await helper.load([...ourNodes, ...coreNodes], nodes, credentials);
      const live = collect(helper.getNode(liveDebug));
      const early = collect(helper.getNode(retainedDebug));
      // The setpoint goes out once, a second after the deploy; the listener hears it live.
      const first = await until('the setpoint, live', () => live.find((msg) => msg.topic === 'plant/setpoint'), 5000);
      assert.equal(first.payload, 21.5);
      // It asked for retained values as it started, and the answer came after the live setpoint: not given twice.
      await delay(1000);
      assert.deepEqual(early, [], 'a listener that started with the sender has the setpoint live, not again as a retained value');

      // "Change its name, and deploy with Modified Nodes": only the listener restarts.
      const renamed = nodes.map((n) => (n.id === listener.id ? { ...n, name: 'plant (renamed)' } : n));
      await helper.setFlows(renamed, 'nodes', credentials);
      const retained = await nextMessage(helper.getNode(retainedDebug), 3000);
      assert.deepEqual([retained.topic, retained.payload, retained.retained], ['plant/setpoint', 21.5, true]);
    });

    it('"Watch for lost messages" tallies msg.multicast.lost per sender in the function node\'s status and a summary to the debug sidebar', async function () {
      this.timeout(20_000);
      const { flow } = example('Watch for lost messages');
      const source = flow.find((n) => n.type === 'multicast-in');
      const tallyNode = flow.find((n) => n.type === 'function' && source.wires[0].includes(n.id));
      await deploy(flow);
      const tally = helper.getNode(tallyNode.id);
      const summaries = collect(helper.getNode(tallyNode.wires[0][0]));

      await waitForStatus(tally, (s) => s.fill === 'green' && s.text === '1 sender · lost 0');
      const first = await until('a summary of the local sender', () => summaries.find((msg) => Object.keys(msg.payload).length === 1));
      const [[sender, counts]] = Object.entries(first.payload) as [string, { messages: number; lost: number }][];
      assert.match(sender, /^127\.0\.0\.1:\d+$/);
      assert.equal(counts.lost, 0);
      assert.ok(counts.messages >= 1);

      // A sender after a gap of three, as another host on a lossy network would show.
      tally.receive({ topic: 'heartbeat', payload: 1, multicast: { sender: '198.51.100.7:7671', seq: 40, lost: 3 } });
      await waitForStatus(tally, (s) => s.fill === 'yellow' && s.text === '2 senders · lost 3');
      const later = await until(
        () => `a summary with the lossy sender; last ${JSON.stringify(summaries.at(-1)?.payload)}`,
        () => summaries.find((msg) => msg.payload['198.51.100.7:7671']),
        3000,
      );
      // The function node's objects come from its sandbox, so compare their fields, not their prototypes.
      assert.deepEqual({ ...later.payload['198.51.100.7:7671'] }, { messages: 1, lost: 3 });
      assert.equal(later.payload[sender].lost, 0);
    });

    it('"Who is on the bus": the sensor\'s online event reaches the sidebar, and within 2 s of its multicast out disabled and deployed, the warning that it went silent', async function () {
      this.timeout(20_000);
      const { flow } = example('Who is on the bus');
      const presence = flow.find((n) => n.type === 'multicast-in' && n.topic === '$bus/presence');
      const byEvent = flow.find((n) => n.type === 'switch' && presence.wires[0].includes(n.id));
      const [[onlineDebug], [wording]] = byEvent.wires;
      const warningDebug = flow.find((n) => n.id === wording).wires[0][0];
      const sensor = flow.find((n) => n.type === 'multicast-out');
      const { debugged } = await deploy(flow);
      const online = await until("the sensor's online event", () => debugged[onlineDebug][0], 5000);
      assert.equal(online.payload.event, 'online');
      assert.equal(online.payload.host, hostname());
      assert.equal(online.payload.bus, busOf(flow, sensor).name);
      assert.deepEqual(debugged[warningDebug], [], 'no warning while the sensor publishes');

      // "disable the sensor's multicast out, deploy again"
      const { nodes, credentials } = runnable(flow.map((n) => (n.id === sensor.id ? { ...n, d: true } : n)));
      const deployedAt = Date.now();
      await helper.setFlows(nodes, 'nodes', credentials);
      const warning = await until('the warning that the sensor went silent', () => debugged[warningDebug][0], 2000);
      const after = Date.now() - deployedAt;
      assert.equal(warning.payload, `sensor ${hostname()} (${online.payload.address}) went silent (goodbye)`);
      assert.ok(after < 2000, `the warning came ${after} ms after the deploy`);
      assert.equal(debugged[onlineDebug].length, 1, 'one online event, for the sensor as it started');
    });

    it('"Bridge to MQTT across a WAN": the site\'s readings reach the broker as sites/site-a/…, another site\'s come onto the bus as wan/site-b/…, and nothing goes round in a loop', async function () {
      this.timeout(20_000);
      const { flow } = example('Bridge to MQTT across a WAN');
      const debugNamed = (name: string) => flow.find((n) => n.type === 'debug' && n.name === name);
      const { debugged } = await deploy(flow);
      const wanSees: any[] = debugged[debugNamed('what the WAN sees').id];
      const fromOtherSites: any[] = debugged[debugNamed('from other sites').id];
      const reading = await until('a greenhouse reading at the broker', () => wanSees[0], 5000);
      assert.equal(reading.topic, 'sites/site-a/sensors/greenhouse/temp');
      assert.equal(typeof reading.payload.celsius, 'number', 'the reading arrives as JSON, parsed again by mqtt in');
      const remote = await until("site B's reading on this site's bus", () => fromOtherSites[0], 5000);
      assert.equal(remote.topic, 'wan/site-b/sensors/orchard/temp');
      assert.deepEqual(remote.payload, { celsius: 18.2 });
      assert.equal(typeof remote.multicast.seq, 'number', 'it came through the bus');

      // Were either direction to send back what the other brought, the broker would see sites/site-a/wan/… and the bus
      // wan/site-a/…, within a round trip.
      await delay(2000);
      assert.deepEqual(
        [...new Set(wanSees.map((msg) => msg.topic))],
        ['sites/site-a/sensors/greenhouse/temp'],
        "only this site's own readings go to the broker",
      );
      assert.deepEqual(
        [...new Set(fromOtherSites.map((msg) => msg.topic))],
        ['wan/site-b/sensors/orchard/temp'],
        "only other sites' messages come onto the bus",
      );
    });
  });
});
