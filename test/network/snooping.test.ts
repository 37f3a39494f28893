// A switch that snoops IGMP and prunes, as most managed switches do: the Linux bridge, with a querier device on the
// LAN. A host that did not join gets nothing while members get everything. Then the field's most common complaint,
// "reception stops after a few minutes", made quick: the querier is turned off, the switch forgets a member it has
// not heard for 10 s (it still counts the querier as present for minutes, so it prunes rather than floods), and a
// member that only ever answered queries is pruned, while a bus with Rejoin set keeps its membership fresh by itself.
import assert from 'node:assert/strict';
import { createTopology } from '../../testnet/topology';
import { busNode, type Flow, lines, listener, sender } from '../net/host-flows';
import { networkPerSuite } from '../net/network-per-suite';
import { deployFlow } from '../../testnet/host-runtimes';
import { requireCapture, startCaptureIn, watchIn } from '../support/packet-capture';
import { namespaceMode, requireRootNamespaces } from '../support/private-network';
import { delay, until } from '../support/until';

const MEMBERSHIP_S = 10;
const QUERY_S = 3;
const TO_GROUP = /> 239\.255\.76\.67\.7667:/g;

describe('a snooping switch that prunes (the Linux bridge, with an IGMP and MLD querier on the LAN)', function () {
  this.timeout(90000);
  const lan = networkPerSuite(
    namespaceMode === 'root',
    () =>
      createTopology('mcbq', ['s1', 'm1', 'r2', 'n1'], [], {
        routerAndMultiHomed: false,
        snooping: { querier: 'device', queryIntervalS: QUERY_S, membershipIntervalS: MEMBERSHIP_S },
      }),
    ['s1', 'm1', 'r2'],
  );
  const red = lan.red;
  beforeEach(function () {
    requireRootNamespaces(this);
    requireCapture(this);
  });

  const dir = (name: string) => red[name].userDir;
  const heard = (name: string) => lines(dir(name), 'l.jsonl');
  /** The switch's membership table for the bus's group: the ports (veths p0, p1, …) it forwards it to. */
  const members = () => lan.net.memberships('brA', '239.255.76.67');
  const portOf = (name: string) => `p${Object.keys(lan.net.hosts).indexOf(name)}`;
  async function send(count: number, from: number) {
    for (let n = from; n < from + count; n++) {
      const response = await fetch(`${red.s1.url}/send/s`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ topic: 'snoop', payload: { n } }),
      });
      assert.equal(response.status, 204);
    }
  }

  it('a host that did not join gets nothing; with the querier off, a member without Rejoin is pruned while one with Rejoin keeps receiving', async () => {
    const flows: Record<string, Flow> = {
      s1: [busNode('bus', {}), ...sender('s', 'bus')],
      m1: [busNode('bus', { rejoin: '2' }), ...listener('l', 'bus', dir('m1'))],
      r2: [busNode('bus', {}), ...listener('l', 'bus', dir('r2'))],
    };
    await Promise.all(Object.entries(flows).map(([name, flow]) => deployFlow(red[name], flow)));
    const joinedAt = Date.now();
    for (const name of ['m1', 'r2']) {
      await until(`${name} to join`, () => (lines(dir(name), 'l.status.jsonl').some((s) => s.fill === 'green') ? true : undefined));
    }
    const both = await until('the switch to list both members', () => (members().length === 2 ? members() : undefined), { ms: 5000 });
    console.log(`      (bridge mdb, both joined: ${both.join(' | ')})`);
    assert.ok(both.some((line) => line.includes(portOf('m1'))) && both.some((line) => line.includes(portOf('r2'))), 'the ports of m1 and r2');

    // n1 runs no bus at all: what reaches its side of the link is what the switch forwards to it.
    const n1Wire = await watchIn(lan.net.hosts.n1.namespace, 'lan0', 'udp and dst host 239.255.76.67');
    try {
      // While the querier asks every 3 s, both members answer: twice the membership interval after the joins, the
      // switch still lists both, and both get everything.
      await delay(Math.max(0, joinedAt + 2 * MEMBERSHIP_S * 1000 - Date.now()));
      assert.equal(members().length, 2, `both still members ${2 * MEMBERSHIP_S} s after joining, while the querier asks`);
      await send(5, 0);
      await until('m1 and r2 to hear five', () => heard('m1').length === 5 && heard('r2').length === 5);

      // The querier stops. r2 answered only queries: the switch forgets it; m1's bus reports every 2 s.
      lan.net.setQuerier(false);
      const stoppedAt = Date.now();
      const pruned = await until('the switch to forget r2', () => (members().length === 1 ? members() : undefined), {
        ms: (MEMBERSHIP_S + 5) * 1000,
        every: 250,
      });
      console.log(`      (bridge mdb, ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s after the querier stopped: ${pruned[0]})`);
      assert.ok(pruned[0].includes(portOf('m1')), 'the member left is m1, whose bus rejoins');
      // Twice the membership interval after the querier stopped, a member that only answered queries would be gone too.
      await delay(Math.max(0, stoppedAt + 2 * MEMBERSHIP_S * 1000 - Date.now()));
      const later = members();
      assert.ok(later.length === 1 && later[0].includes(portOf('m1')), `m1 still a member ${2 * MEMBERSHIP_S} s after the querier stopped: ${later}`);
      await send(20, 5);
      await until('m1 to hear all 25', () => heard('m1').length === 25);
      await delay(1000);
      assert.equal(heard('r2').length, 5, 'r2 heard nothing once the switch forgot it, though its flow still listens');
      const onN1 = n1Wire.text().match(TO_GROUP)?.length ?? 0;
      assert.equal(onN1, 0, `datagrams to the group on n1's link: ${n1Wire.text()}`);
      console.log(`      (m1: 25 of 25; r2: 5, then 0 of 20 once pruned; n1, no bus: ${onN1} datagrams on its link)`);
    } finally {
      n1Wire.stop();
    }
  });

  it('snoops MLD too: an IPv6 group reaches its member and not a host that did not join', async () => {
    const group = 'ff15::1234';
    lan.net.setQuerier(true);
    await Promise.all([
      deployFlow(red.s1, [busNode('bus', { group }), ...sender('s', 'bus')]),
      deployFlow(red.m1, [busNode('bus', { group }), ...listener('l6', 'bus', dir('m1'))]),
      deployFlow(red.r2, [busNode('bus', {})]),
    ]);
    await until('m1 to join', () => (lines(dir('m1'), 'l6.status.jsonl').some((s) => s.fill === 'green') ? true : undefined));
    // The switch prunes once it has heard an MLD query (ICMPv6 type 130, after a hop-by-hop header), and trusts it after the querier's 1 s to answer.
    const query = await startCaptureIn(lan.net.hosts.n1.namespace, 'lan0', 'ip6[6] == 0 and ip6[48] == 130', 1, 10000);
    await query.packets;
    await delay(1500);
    const listed = lan.net.memberships('brA', group);
    console.log(`      (bridge mdb: ${listed.join(' | ')})`);
    assert.ok(listed.length === 1 && listed[0].includes(portOf('m1')), `the switch lists m1 for ${group}: ${listed}`);
    const n1Wire = await watchIn(lan.net.hosts.n1.namespace, 'lan0', `udp and dst host ${group}`);
    try {
      await send(10, 0);
      await until('m1 to hear all ten', () => lines(dir('m1'), 'l6.jsonl').length === 10);
      await delay(500);
      assert.equal(n1Wire.text().match(/> ff15::1234\.7667:/g)?.length ?? 0, 0, `datagrams to ${group} on n1's link: ${n1Wire.text()}`);
    } finally {
      n1Wire.stop();
    }
  });
});
