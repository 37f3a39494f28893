import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployFlow } from '../../testnet/host-runtimes';
import { createTopology } from '../../testnet/topology';
import { busNode, fileNode, type Flow, lines, listener, sender } from '../net/host-flows';
import { networkPerSuite } from '../net/network-per-suite';
import { requireCapture, startCaptureIn, watchIn } from '../support/packet-capture';
import { namespaceMode, requireRootNamespaces } from '../support/private-network';
import { delay, until } from '../support/until';

const existsAndHas = (path: string, text: string) => existsSync(path) && readFileSync(path, 'utf8').includes(text);

const RUNTIMES = ['a1', 'a2', 'a3', 'a4', 'b1', 'mh'];

describe('across hosts and a router, one Node-RED per host', function () {
  this.timeout(60000);
  const lan = networkPerSuite(namespaceMode === 'root', () => createTopology('mcbn', ['a1', 'a2', 'a3', 'a4', 'a5'], ['b1']), RUNTIMES);
  const red = lan.red;
  beforeEach(function () {
    requireRootNamespaces(this);
  });

  const dir = (name: string) => red[name].userDir;
  const deploy = (name: string, flow: Flow) => deployFlow(red[name], flow);
  /** The http sender 's' of a host, its status recorded in the host's directory. */
  const sends = (name: string) => sender('s', 'bus', dir(name));
  /** Deploys, then waits until every node whose status a flow records (listeners, senders) shows a green status again. */
  async function deployAll(flows: Record<string, Flow>) {
    const recorded = Object.entries(flows).flatMap(([name, flow]) =>
      flow.filter((n) => n.type === 'status').map((n) => ({ name, file: `${String(n.id).replace(/-status$/, '')}.status.jsonl` })),
    );
    const seen = recorded.map(({ name, file }) => lines(dir(name), file).length);
    await Promise.all(Object.entries(flows).map(([name, flow]) => deploy(name, flow)));
    for (const [i, { name, file }] of recorded.entries()) {
      await until(`${name}/${file} to say green`, () =>
        lines(dir(name), file)
          .slice(seen[i])
          .some((s) => s.fill === 'green'),
      );
    }
  }
  async function send(name: string, topic: string, payload: unknown, count = 1) {
    for (let i = 0; i < count; i++) {
      const response = await fetch(`${red[name].url}/send/s`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ topic, payload: count === 1 ? payload : { ...(payload as object), n: i } }),
      });
      assert.equal(response.status, 204);
    }
  }
  const heard = (name: string, listenerName = 'l') => lines(dir(name), `${listenerName}.jsonl`);
  /** Proving that something does not arrive: what does arrives within a few ms here, so 1.5 s is ample. */
  const quiet = () => delay(1500);
  let run = 0;
  /** A fresh listener name per test, so files from earlier tests do not count. */
  const fresh = () => `l${++run}`;

  it('fans one sender out to every subscribed host; a host that did not subscribe neither joins nor delivers', async () => {
    const l = fresh();
    const flows: Record<string, Flow> = { a1: [busNode('bus', {}), ...sends('a1')] };
    for (const name of ['a2', 'a3', 'a4']) flows[name] = [busNode('bus', {}), ...listener(l, 'bus', dir(name))];
    // b1 has the bus but only sends: a sender never joins the group.
    flows.b1 = [busNode('bus', {}), ...sends('b1'), ...listener(l, 'other-bus', dir('b1'))];
    flows.b1.push(busNode('other-bus', { group: '239.255.76.68' }));
    await deployAll(flows);
    await send('a1', 'sensors/fanout', { v: 1 }, 5);
    for (const name of ['a2', 'a3', 'a4']) {
      const got = await until(`${name} to hear five`, () => (heard(name, l).length === 5 ? heard(name, l) : undefined));
      assert.deepEqual(
        got.map((m) => [m.topic, m.payload.n, m.ip]),
        [0, 1, 2, 3, 4].map((n) => ['sensors/fanout', n, '198.51.100.11']),
      );
    }
    const memberships = (name: string) => lan.net.exec(lan.net.hosts[name], 'ip', ['maddr', 'show', 'dev', 'lan0']);
    assert.match(memberships('a2'), /239\.255\.76\.67/);
    assert.doesNotMatch(memberships('a5'), /239\.255\.76\.67/, 'a5 runs no subscriber and joined nothing');
    assert.doesNotMatch(memberships('b1'), /239\.255\.76\.67/, 'a bus used only to send does not join');
    assert.match(memberships('b1'), /239\.255\.76\.68/);
  });

  // IPv4 on the default group; IPv6 on a site-scoped group, whose TTL is the hop limit (routed from the sender's global
  // address: a link-local source would not be).
  const families = [
    { name: 'IPv4', limit: 'TTL', group: {}, from: '198.51.100.11' },
    { name: 'IPv6', limit: 'hop limit', group: { group: 'ff15::7667' }, from: '2001:db8:a::11' },
  ];
  for (const family of families) {
    it(`${family.name}: ${family.limit} 1 stays on the link; ${family.limit} 2 crosses the multicast router (smcroute, static)`, async () => {
      for (const ttl of ['1', '2']) {
        const l = fresh();
        await deployAll({
          a1: [busNode('bus', { ...family.group, ttl }), ...sends('a1')],
          a2: [busNode('bus', family.group), ...listener(l, 'bus', dir('a2'))],
          b1: [busNode('bus', family.group), ...listener(l, 'bus', dir('b1'))],
        });
        await send('a1', 'ttl/test', { ttl });
        await until('a2 to hear it', () => heard('a2', l).length === 1);
        if (ttl === '1') {
          await quiet();
          assert.equal(heard('b1', l).length, 0, `${family.limit} 1 does not cross the router`);
        } else {
          const got = await until('b1 to hear it across the router', () => (heard('b1', l).length === 1 ? heard('b1', l) : undefined));
          assert.equal(got[0].ip, family.from, 'from a1 on LAN A');
        }
      }
    });
  }

  it('with loopback off the sending host does not hear itself; with it on, it does', async () => {
    for (const loopback of [false, true]) {
      const l = fresh();
      await deployAll({
        a1: [busNode('bus', { loopback }), ...sends('a1'), ...listener(l, 'bus', dir('a1'))],
        a2: [busNode('bus', {}), ...listener(l, 'bus', dir('a2'))],
      });
      await send('a1', 'loop', { loopback });
      await until('a2 to hear it', () => heard('a2', l).length === 1);
      await quiet();
      assert.equal(heard('a1', l).length, loopback ? 1 : 0);
    }
  });

  it('carries a site-scoped IPv6 group between hosts, interface given by name', async () => {
    const l = fresh();
    await deployAll({
      a1: [busNode('bus', { group: 'ff15::1234' }), ...sends('a1')],
      a3: [busNode('bus', { group: 'ff15::1234' }), ...listener(l, 'bus', dir('a3'))],
    });
    await send('a1', 'v6', { hello: 6 });
    const got = await until('a3 to hear it over IPv6', () => (heard('a3', l).length === 1 ? heard('a3', l) : undefined));
    assert.deepEqual(got[0].payload, { hello: 6 });
    assert.match(got[0].ip, /^(2001:db8:a::11|fe80::)/);
  });

  it('with sources set, hears only those senders (source-specific multicast)', async () => {
    const l = fresh();
    const ssm = { group: '232.1.1.1' };
    await deployAll({
      a1: [busNode('bus', ssm), ...sends('a1')],
      a3: [busNode('bus', ssm), ...sends('a3')],
      a2: [busNode('bus', { ...ssm, source: '198.51.100.11' }), ...listener(l, 'bus', dir('a2'))],
      a4: [busNode('bus', ssm), ...listener(l, 'bus', dir('a4'))],
    });
    await send('a3', 'ssm', { from: 'a3' });
    await send('a1', 'ssm', { from: 'a1' });
    await until('a4 (any source) to hear both', () => heard('a4', l).length === 2);
    await quiet();
    assert.deepEqual(
      heard('a2', l).map((m) => m.payload.from),
      ['a1'],
    );
  });

  it('on a multi-homed host joins and sends on the chosen interface only; * joins both, with no duplicates', async function () {
    requireCapture(this);
    // Joined on lanB only: hears LAN B's sender, not LAN A's.
    let l = fresh();
    await deployAll({
      a1: [busNode('bus', {}), ...sends('a1')],
      b1: [busNode('bus', {}), ...sends('b1')],
      mh: [busNode('bus', { iface: 'lanB' }), ...listener(l, 'bus', dir('mh'))],
    });
    await send('a1', 'mh', { from: 'a1' });
    await send('b1', 'mh', { from: 'b1' });
    await until('mh to hear b1', () => heard('mh', l).length >= 1);
    await quiet();
    assert.deepEqual(
      heard('mh', l).map((m) => m.payload.from),
      ['b1'],
    );

    // Sending on lanA: nothing leaves through lanB.
    l = fresh();
    await deployAll({
      mh: [busNode('bus', { iface: 'lanA' }), ...sends('mh')],
      a2: [busNode('bus', {}), ...listener(l, 'bus', dir('a2'))],
    });
    const onLanB = await startCaptureIn(lan.net.hosts.mh.namespace, 'lanB', 'udp and dst port 7667', 1, 2000);
    await send('mh', 'mh', { from: 'mh' });
    const got = await until('a2 to hear mh', () => (heard('a2', l).length === 1 ? heard('a2', l) : undefined));
    assert.equal(got[0].ip, '198.51.100.50');
    await assert.rejects(onLanB.packets, /saw no packet/);

    // All interfaces: hears both LANs; a1's TTL 2 message arrives on lanA and, through the router, on lanB: once to the flow.
    l = fresh();
    await deployAll({
      a1: [busNode('bus', { ttl: '2' }), ...sends('a1')],
      b1: [busNode('bus', {}), ...sends('b1')],
      mh: [busNode('bus', { iface: '*' }), ...listener(l, 'bus', dir('mh'))],
    });
    await send('a1', 'mh', { from: 'a1' });
    await send('b1', 'mh', { from: 'b1' });
    await until('mh to hear both LANs', () => heard('mh', l).length >= 2);
    await quiet();
    assert.deepEqual(
      heard('mh', l)
        .map((m) => m.payload.from)
        .sort(),
      ['a1', 'b1'],
    );
  });

  it('notices a link going down and coming back, and an address change, and delivery resumes without a redeploy', async function () {
    this.timeout(90000);
    const l = fresh();
    const ticker = [
      busNode('bus', {}),
      {
        id: 'ticker-inject',
        type: 'inject',
        z: 'tab',
        props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }],
        topic: 'tick',
        payload: '',
        payloadType: 'date',
        repeat: '0.2',
        once: true,
        onceDelay: '0.1',
        wires: [['ticker-out']],
      },
      { id: 'ticker-out', type: 'multicast-out', z: 'tab', bus: 'bus', topic: '', wires: [] },
    ];
    await deployAll({ a1: ticker, a2: [busNode('bus', {}), ...listener(l, 'bus', dir('a2'))] });
    const count = () => heard('a2', l).length;
    await until('ticks to arrive', () => count() > 3);
    const status = () => lines(dir('a2'), `${l}.status.jsonl`);

    lan.net.exec(lan.net.hosts.a2, 'ip', ['link', 'set', 'lan0', 'down']);
    await until(
      'a yellow status saying the link is down',
      () => status().some((s) => s.fill === 'yellow' && s.text === 'interface lan0 is down'),
      8000,
    );
    lan.net.exec(lan.net.hosts.a2, 'ip', ['link', 'set', 'lan0', 'up']);
    const beforeUp = count();
    const upAt = Date.now();
    await until('ticks to resume after the link came back', () => count() > beforeUp + 3, 10000);
    const resumedAfter = Date.now() - upAt;
    assert.ok(resumedAfter < 8000, `resumed ${resumedAfter} ms after the link came up`);
    console.log(`      (delivery resumed ${resumedAfter} ms after the link came back up)`);

    // A new address, as from DHCP: the old one goes, then the new one comes. Not a wait for anything: the gap of a
    // renewal, shorter than the bus's look at its interfaces (2 s), so the bus may see only the new address.
    lan.net.exec(lan.net.hosts.a2, 'ip', ['addr', 'del', '198.51.100.12/24', 'dev', 'lan0']);
    await delay(500);
    lan.net.exec(lan.net.hosts.a2, 'ip', ['addr', 'add', '198.51.100.62/24', 'dev', 'lan0']);
    const beforeChange = count();
    await until('ticks to keep coming after the address changed', () => count() > beforeChange + 5, 10000);
    assert.equal(status().at(-1).fill, 'green');
    lan.net.exec(lan.net.hosts.a2, 'ip', ['addr', 'del', '198.51.100.62/24', 'dev', 'lan0']);
    lan.net.exec(lan.net.hosts.a2, 'ip', ['addr', 'add', '198.51.100.12/24', 'dev', 'lan0']);
  });
  it("talks raw framing with the seed's Ruby programs and Node-RED's core udp nodes on other hosts", async function () {
    this.timeout(30000);
    const l = fresh();
    const raw = { framing: 'raw', port: '5000' };
    const heardByCoreUdp = join(dir('a1'), `${l}-core-udp.txt`);
    await deployAll({
      a2: [busNode('bus', raw), ...sends('a2'), ...listener(l, 'bus', dir('a2'), { datatype: 'utf8' })],
      a1: [
        {
          id: 'core-inject',
          type: 'inject',
          z: 'tab',
          props: [{ p: 'payload' }],
          payload: 'from core udp out',
          payloadType: 'str',
          repeat: '',
          once: false,
          wires: [['core-udp-out']],
        },
        {
          id: 'core-udp-out',
          type: 'udp out',
          z: 'tab',
          addr: '239.255.76.67',
          iface: '198.51.100.11',
          port: '5000',
          ipv: 'udp4',
          outport: '',
          base64: false,
          multicast: 'multi',
          wires: [],
        },
        {
          id: 'core-udp-in',
          type: 'udp in',
          z: 'tab',
          iface: '198.51.100.11',
          port: '5000',
          ipv: 'udp4',
          multicast: 'true',
          group: '239.255.76.67',
          datatype: 'utf8',
          wires: [['core-udp-file']],
        },
        fileNode('core-udp-file', heardByCoreUdp),
      ],
    });
    const rubyReceiver = lan.net.spawn(lan.net.hosts.a4, 'ruby', [join(__dirname, '..', 'peers', 'seed-receiver.rb')], { PORT: '5000' });
    let rubyHeard = '';
    rubyReceiver.stdout!.on('data', (chunk) => (rubyHeard += chunk));
    await until('the Ruby receiver to listen', () => rubyHeard.includes('listening'));
    await until('the Ruby receiver to join the group', () =>
      lan.net.exec(lan.net.hosts.a4, 'ip', ['maddr', 'show', 'dev', 'lan0']).includes('239.255.76.67'),
    );

    // The seed's Ruby sender on a3, and the core udp out on a1, reach multicast-in on a2.
    lan.net.spawn(lan.net.hosts.a3, 'ruby', [join(__dirname, '..', 'peers', 'seed-sender.rb')], { PORT: '5000', COUNT: '3' });
    // The core udp out opens its socket on its own after a deploy and shows no status: inject until a2 hears it.
    const byIpOnA2 = () => heard('a2', l).map((m) => `${m.ip} ${m.payload}`);
    await until(
      () => `a2 to hear the Ruby sender and the core udp out; it heard: ${byIpOnA2().join('; ')}`,
      async () => {
        if (byIpOnA2().includes('198.51.100.11 from core udp out')) return byIpOnA2().filter((m) => m.includes('seed')).length >= 3;
        await red.a1.api('/inject/core-inject', { method: 'POST' });
        return false;
      },
      { ms: 10000, every: 500 },
    );
    const byIp = byIpOnA2();
    assert.ok(byIp.includes('198.51.100.13 seed 1'), byIp.join('; '));
    assert.ok(byIp.includes('198.51.100.11 from core udp out'), byIp.join('; '));

    // multicast-out on a2 reaches the Ruby receiver on a4 and the core udp in on a1.
    await send('a2', '', 'hello peers');
    await until('the Ruby receiver to print it', () => rubyHeard.includes('198.51.100.12') && rubyHeard.includes('hello peers'));
    await until('the core udp in to write it', () => existsAndHas(heardByCoreUdp, 'hello peers'));
  });

  it('with rejoin set, sends a fresh membership report every interval', async function () {
    requireCapture(this);
    for (const rejoin of ['0', '1']) {
      const l = fresh();
      // a2's own reports: the LAN carries other hosts' too.
      const igmp = await watchIn(lan.net.hosts.a2.namespace, 'lan0', `igmp and src host ${lan.net.hosts.a2.address}`);
      try {
        await deployAll({ a2: [busNode('bus', { rejoin }), ...listener(l, 'bus', dir('a2'))] });
        // The kernel reports a join twice (IGMP's robustness), the second time within a second: let those pass.
        const joins = () => igmp.text().match(/gaddr 239\.255\.76\.67 to_ex/g)?.length ?? 0;
        await until(
          () => `the join's two reports; tcpdump saw: ${igmp.text()}`,
          () => joins() >= 2,
        );
        // Then count for three seconds: fresh reports are what rejoin adds over time.
        const from = igmp.text().length;
        await delay(3000);
        const text = igmp.text().slice(from);
        const reports = (text.match(/239\.255\.76\.67/g) ?? []).length;
        if (rejoin === '0') assert.equal(reports, 0, text);
        else assert.ok(reports >= 2, `saw ${reports} reports: ${text}`);
      } finally {
        igmp.stop();
      }
    }
  });
});
