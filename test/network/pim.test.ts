// The bus across real multicast routing: two routers running FRR's PIM-SM (zebra and pimd), LAN A ── router ──
// router2 ── LAN B, with the rendezvous point on the first router and IGMPv3 on LAN B. No static multicast route:
// the routers forward a group to LAN B only while a host there has joined it. LAN B's switch snoops IGMP with
// router2 as its querier, as in most sites: a host there that did not join gets nothing on its link.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { deployFlow } from '../../testnet/host-runtimes';
import { createTopology } from '../../testnet/topology';
import { busNode, type Flow, lines, listener, sender, ticker } from '../net/host-flows';
import { networkPerSuite } from '../net/network-per-suite';
import { requireCapture, startCaptureIn, watchIn } from '../support/packet-capture';
import { namespaceMode, requireRootNamespaces, skipWithReason } from '../support/private-network';
import { delay, until } from '../support/until';

const HAVE_FRR = existsSync('/usr/lib/frr/pimd');
/** FRR's daemons refuse to start unless the user they run as is in the group frrvty. */
const rootInFrrvty = () => {
  try {
    return /\bfrrvty\b/.test(execFileSync('id', ['-Gn', 'root'], { encoding: 'utf8' }));
  } catch {
    return false;
  }
};
const TO_GROUP = /> 239\.255\.76\.67\.7667:/g;
/** How many datagrams from `source` to `group` a tcpdump text shows (lines like `198.51.100.11.40000 > 232.1.1.1.7667:`). */
const datagrams = (text: string, source: string, group: string) =>
  text.match(new RegExp(`${source.replaceAll('.', '\\.')}\\.\\d+ > ${group.replaceAll('.', '\\.')}\\.`, 'g'))?.length ?? 0;

describe('across two PIM-SM routers (FRR), one Node-RED per host', function () {
  this.timeout(120000);
  const lan = networkPerSuite(
    namespaceMode === 'root' && HAVE_FRR && rootInFrrvty(),
    () => createTopology('mcbm', ['a1', 'a2'], ['b1', 'b2'], { pim: true, snooping: { querier: 'router' } }),
    ['a1', 'a2', 'b1'],
  );
  const red = lan.red;
  beforeEach(function () {
    requireRootNamespaces(this);
    if (!HAVE_FRR) skipWithReason(this, 'needs FRR (zebra and pimd; .ci/run installs the frr package)');
    if (!rootInFrrvty()) skipWithReason(this, 'FRR runs only for members of the group frrvty: usermod -a -G frrvty root (.ci/run does)');
    requireCapture(this);
  });

  const dir = (name: string) => red[name].userDir;
  /** Resolves once the switch counts router2 as LAN B's querier: a query seen on b2's link, and its 1 s to respond. */
  async function querierHeard() {
    const capture = await startCaptureIn(lan.net.hosts.b2.namespace, 'lan0', 'igmp[0] = 0x11 and src host 203.0.113.1', 1, 12000);
    await capture.packets;
    await delay(1500);
  }
  let run = 0;
  async function send(topic: string, payload: unknown, from = 'a1') {
    const response = await fetch(`${red[from].url}/send/s`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ topic, payload }),
    });
    assert.equal(response.status, 204);
  }

  it('delivers from LAN A to LAN B through both routers with TTL 3, not with TTL 2, on joins alone', async () => {
    for (const ttl of ['3', '2']) {
      const l = `l${++run}`;
      await Promise.all([
        deployFlow(red.a1, [busNode('bus', { ttl, announce: false }), ...sender('s', 'bus')]),
        deployFlow(red.b1, [busNode('bus', {}), ...listener(l, 'bus', dir('b1'))]),
      ]);
      await until('b1 to join', () => (lines(dir('b1'), `${l}.status.jsonl`).some((s) => s.fill === 'green') ? true : undefined));
      if (ttl === '3') {
        // The routers build the tree when b1's join reaches them: until then a message may not arrive.
        const started = Date.now();
        let n = 0;
        await until(
          'b1 to hear a1 through both routers',
          async () => {
            await send('routed', { n: n++, ttl });
            return lines(dir('b1'), `${l}.jsonl`).length > 0 ? true : undefined;
          },
          { ms: 30000, every: 500 },
        );
        console.log(`      (first message across both routers ${Date.now() - started} ms after b1 joined)`);
        // b2, on the same switch, did not join: once the switch has heard router2 query, it forwards the group only
        // to b1's port (and the router's).
        await querierHeard();
        console.log(`      (LAN B's switch: ${lan.net.memberships('brB', '239.255.76.67').join('; ')})`);
        const onB2 = await watchIn(lan.net.hosts.b2.namespace, 'lan0', 'udp and dst host 239.255.76.67');
        try {
          const before = lines(dir('b1'), `${l}.jsonl`).length;
          for (let i = 0; i < 10; i++) await send('routed', { i, ttl });
          await until('b1 to hear ten more', () => lines(dir('b1'), `${l}.jsonl`).length >= before + 10);
          assert.equal(lines(dir('b1'), `${l}.jsonl`).at(-1).ip, '198.51.100.11');
          await delay(500);
          assert.equal(datagrams(onB2.text(), '198.51.100.11', '239.255.76.67'), 0, 'b2 did not join: none on its link');
        } finally {
          onB2.stop();
        }
      } else {
        // The tree stands (b1 joined); TTL 2 is spent after the two routers: the second cannot forward it.
        await delay(3000);
        for (let i = 0; i < 10; i++) await send('routed', { i, ttl });
        await delay(1500);
        assert.equal(lines(dir('b1'), `${l}.jsonl`).length, 0, 'TTL 2 does not cross two routers');
      }
    }
  });

  it('the routers prune LAN B when its last multicast in is removed, within 10 s, and graft it again when one is deployed', async () => {
    const l = `l${++run}`;
    // a1 publishes every 100 ms for the whole test.
    const ticking: Flow = [busNode('bus', { ttl: 3, announce: false }), ...ticker('bus', 'ticks', 0.1)];
    const listening = [busNode('bus', {}), ...listener(l, 'bus', dir('b1'))];
    await Promise.all([deployFlow(red.a1, ticking), deployFlow(red.b1, listening)]);
    await until('b1 to hear the ticks', () => lines(dir('b1'), `${l}.jsonl`).length >= 10, { ms: 30000 });

    // What router2 forwards onto LAN B, counted on its own interface there.
    const onLanB = await watchIn(lan.net.routers[1], 'lanB', 'udp and dst host 239.255.76.67');
    const count = () => onLanB.text().match(TO_GROUP)?.length ?? 0;
    try {
      await until('ticks on LAN B', () => count() >= 5);
      // b1's Node-RED keeps running; its flow no longer listens, so its bus leaves the group.
      await deployFlow(red.b1, [busNode('bus', {})]);
      const leftAt = Date.now();
      let last = count();
      let quietSince = Date.now();
      await until(
        'LAN B to go quiet',
        () => {
          const now = count();
          if (now !== last) [last, quietSince] = [now, Date.now()];
          return Date.now() - quietSince >= 2000 ? true : undefined;
        },
        { ms: 12000, every: 100 },
      );
      const prunedAfter = quietSince - leftAt;
      console.log(`      (LAN B quiet ${prunedAfter} ms after b1's last multicast in was removed)`);
      assert.ok(prunedAfter <= 10000, `pruned within 10 s (${prunedAfter} ms)`);

      const l2 = `l${++run}`;
      await deployFlow(red.b1, [busNode('bus', {}), ...listener(l2, 'bus', dir('b1'))]);
      const joinedAt = Date.now();
      await until('b1 to hear the ticks again', () => lines(dir('b1'), `${l2}.jsonl`).length >= 5, { ms: 30000 });
      console.log(`      (ticks again ${Date.now() - joinedAt} ms after a multicast in was deployed)`);
    } finally {
      onLanB.stop();
    }
  });

  it('with Sources set on an SSM group, LAN B hears only the chosen sender through both routers; another sender on LAN A reaches no one there', async () => {
    const l = `l${++run}`;
    const group = '232.1.1.1';
    const ssm = { group, ttl: 3, announce: false };
    await Promise.all([
      deployFlow(red.a1, [busNode('bus', ssm), ...sender('s', 'bus')]),
      deployFlow(red.a2, [busNode('bus', ssm), ...sender('s', 'bus')]),
      deployFlow(red.b1, [busNode('bus', { group, source: '198.51.100.11' }), ...listener(l, 'bus', dir('b1'))]),
    ]);
    await until('b1 to join', () => (lines(dir('b1'), `${l}.status.jsonl`).some((s) => s.fill === 'green') ? true : undefined));
    // Everything that crosses from router to router2, seen where it arrives.
    const onTransit = await watchIn(lan.net.routers[1], 'transit', `udp and dst host ${group}`);
    try {
      const started = Date.now();
      let n = 0;
      await until(
        'b1 to hear a1 through both routers',
        async () => {
          await send('ssm', { from: 'a1', n: n++ });
          return lines(dir('b1'), `${l}.jsonl`).length > 0 ? true : undefined;
        },
        { ms: 30000, every: 500 },
      );
      console.log(`      (first (S,G) message across both routers ${Date.now() - started} ms after b1 joined)`);
      console.log(
        `      (router2: ${lan.net
          .exec(lan.net.routers[1], 'ip', ['mroute', 'show'])
          .split('\n')
          .filter((line) => line.includes(group))
          .join('; ')})`,
      );
      const before = lines(dir('b1'), `${l}.jsonl`).length;
      for (let i = 0; i < 10; i++) {
        await send('ssm', { from: 'a1', i });
        await send('ssm', { from: 'a2', i }, 'a2');
      }
      await until('b1 to hear ten more from a1', () => lines(dir('b1'), `${l}.jsonl`).length >= before + 10);
      await delay(1000);
      const heard = lines(dir('b1'), `${l}.jsonl`);
      assert.deepEqual([...new Set(heard.map((m) => m.payload.from))], ['a1'], 'b1 hears a1 only');
      assert.equal(heard.length, before + 10);
      assert.equal(datagrams(onTransit.text(), '198.51.100.12', group), 0, "a2's datagrams do not even leave LAN A");
      assert.ok(datagrams(onTransit.text(), '198.51.100.11', group) >= 10, "a1's cross the routers");
    } finally {
      onTransit.stop();
    }
  });
});
