import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPim } from './frr-routers';
import { ip } from './ip';

/**
 * A test network of namespaces, made and torn down by the test that uses it:
 *
 *   LAN A 198.51.100.0/24, 2001:db8:a::/64          LAN B 203.0.113.0/24, 2001:db8:b::/64
 *   hosts a1, a2, … at .11, .12, …   ── bridge A ── router (.1 on both, smcrouted) ── bridge B ── hosts b1, … at .11, …
 *   the multi-homed host "mh" at .50 on both LANs (interfaces lanA and lanB)
 *   this process (the admin station) at 198.51.100.254, with a route to LAN B through the router
 *
 * The bridges flood multicast to every port (no IGMP snooping), so each host's own membership decides what it hears.
 * The router forwards 239.0.0.0/8 and ff15::/16 from LAN A to LAN B (static routes, as smcroute.conf says).
 */
export interface Host {
  name: string;
  namespace: string;
  /** The host's interfaces, by the names used inside its namespace. */
  interfaces: { name: string; ipv4: string; ipv6: string }[];
  /** Its first IPv4 address: where its Node-RED listens. */
  address: string;
}

export interface Topology {
  hosts: Record<string, Host>;
  router: string;
  /** Every router's namespace, in order from LAN A: one, or two with PIM (router2's is last). */
  routers: string[];
  /** The switch's namespace, holding the bridges brA and brB (for `bridge mdb show`, or to change a bridge). */
  switch: string;
  /** This process's own interface on LAN A (198.51.100.254). */
  adminInterface: string;
  /** The switch's membership table (`bridge mdb show`) for `group` on a LAN's bridge: a line per port it forwards to. */
  memberships(bridge: 'brA' | 'brB', group: string): string[];
  /** Starts or stops the querying of LAN A's querier device (snooping with `querier: 'device'`). */
  setQuerier(on: boolean): void;
  /** Runs a command inside a host's namespace and returns its output. */
  exec(host: Host | string, command: string, args: string[]): string;
  /** Starts a long-running program inside a namespace; killed by destroy(). */
  spawn(host: Host | string, command: string, args: string[], env?: Record<string, string>): ChildProcess;
  destroy(): void;
}

const live = new Set<Topology>();
process.on('exit', () => {
  for (const topology of live) topology.destroy();
});

/**
 * Builds the network described above with `lanA` hosts on LAN A and `lanB` hosts on LAN B; with multicastRouting
 * false, the router forwards no multicast (no smcrouted); with routerAndMultiHomed false, there is neither a router
 * nor the host "mh": one plain LAN, as the benchmark uses.
 */
export function createTopology(
  prefix: string,
  lanA: string[],
  lanB: string[],
  options: {
    multicastRouting?: boolean;
    routerAndMultiHomed?: boolean;
    /**
     * Switches that snoop IGMP and MLD and prune once they have heard a querier; a switch that never has floods, as the Linux
     * bridge does. With `querier: 'router'` the routers query (IGMPv3 on PIM's LAN B). With `querier: 'device'` LAN A
     * has a querier of its own at 198.51.100.2 (another bridge, in namespace `querier`), asking every `queryIntervalS`
     * until setQuerier(false); the switches forget a member not heard for `membershipIntervalS`.
     */
    snooping?: { querier: 'device'; queryIntervalS: number; membershipIntervalS: number } | { querier: 'router' };
    /**
     * Two routers running FRR's PIM-SM instead of one with static routes: LAN A ── router ── 192.0.2.0/30 ── router2
     * ── LAN B, the rendezvous point on the first router, IGMPv3 on LAN B (frr-routers.ts).
     */
    pim?: boolean;
  } = {},
): Topology {
  const ns = (name: string) => `${prefix}-${name}-${process.pid}`;
  const namespaces: string[] = [];
  const children = new Set<ChildProcess>();
  const hosts: Record<string, Host> = {};
  const workDir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  let destroyed = false;

  const topology: Topology = {
    hosts,
    router: ns('router'),
    routers: [],
    switch: ns('switch'),
    adminInterface: `${prefix}adm`,
    memberships(bridge, group) {
      return ip('netns', 'exec', ns('switch'), 'bridge', 'mdb', 'show', 'dev', bridge)
        .split('\n')
        .filter((line) => line.includes(group))
        .map((line) => line.trim());
    },
    setQuerier(on) {
      ip('-n', ns('querier'), 'link', 'set', 'qbr', 'type', 'bridge', 'mcast_querier', on ? '1' : '0');
    },
    exec(host, command, args) {
      const where = typeof host === 'string' ? host : host.namespace;
      return ip('netns', 'exec', where, command, ...args);
    },
    spawn(host, command, args, env = {}) {
      const where = typeof host === 'string' ? host : host.namespace;
      const child = spawn('ip', ['netns', 'exec', where, command, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
      children.add(child);
      child.on('exit', () => children.delete(child));
      return child;
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      live.delete(topology);
      for (const child of children) child.kill('SIGKILL');
      for (const name of namespaces.reverse()) {
        try {
          ip('netns', 'del', name);
        } catch {
          // Already gone.
        }
      }
      try {
        ip('link', 'del', `${prefix}adm`);
      } catch {
        // Went with the switch namespace.
      }
      rmSync(workDir, { recursive: true, force: true });
    },
  };
  live.add(topology);

  const addNamespace = (name: string) => {
    ip('netns', 'add', name);
    namespaces.push(name);
    ip('-n', name, 'link', 'set', 'lo', 'up');
  };
  const sw = ns('switch');
  /** Plugs `inside` (an interface name inside namespace `where`) into a bridge of the switch, with addresses. */
  let port = 0;
  const plug = (where: string, inside: string, bridge: string, ipv4: string, ipv6: string) => {
    const outside = `p${port++}`;
    ip('link', 'add', outside, 'netns', sw, 'type', 'veth', 'peer', 'name', inside, 'netns', where);
    ip('-n', sw, 'link', 'set', outside, 'master', bridge, 'up');
    // No duplicate address detection: addresses are usable at once.
    ip('netns', 'exec', where, 'sysctl', '-qw', `net.ipv6.conf.${inside}.accept_dad=0`);
    ip('-n', where, 'addr', 'add', `${ipv4}/24`, 'dev', inside);
    ip('-n', where, '-6', 'addr', 'add', `${ipv6}/64`, 'dev', inside, 'nodad');
    ip('-n', where, 'link', 'set', inside, 'up');
  };

  try {
    addNamespace(sw);
    // Plain switches: multicast is flooded to every port, as on a switch without IGMP snooping. Which hosts hear a
    // group is then decided by their own membership, which is what the tests check. Snooping switches prune instead,
    // once they count a querier as present; they never query themselves. Times in centiseconds.
    const snooping = options.snooping;
    const cs = (seconds: number) => String(Math.round(seconds * 100));
    for (const bridge of ['brA', 'brB']) {
      if (!snooping) ip('-n', sw, 'link', 'add', bridge, 'type', 'bridge', 'mcast_snooping', '0');
      else {
        ip('-n', sw, 'link', 'add', bridge, 'type', 'bridge', 'mcast_snooping', '1', 'mcast_querier', '0', 'mcast_igmp_version', '3');
        if (snooping.querier === 'device')
          ip('-n', sw, 'link', 'set', bridge, 'type', 'bridge', 'mcast_membership_interval', cs(snooping.membershipIntervalS));
      }
      ip('-n', sw, 'link', 'set', bridge, 'up');
    }
    if (snooping?.querier === 'device') {
      // The querier: a bridge of its own (it queries at once, startup queries 3 s apart, 1 s to answer), from its
      // address, on a port of LAN A's switch.
      const querier = ns('querier');
      addNamespace(querier);
      ip('link', 'add', 'pq', 'netns', sw, 'type', 'veth', 'peer', 'name', 'q0', 'netns', querier);
      ip('-n', sw, 'link', 'set', 'pq', 'master', 'brA', 'up');
      ip('-n', querier, 'link', 'add', 'qbr', 'type', 'bridge', 'mcast_snooping', '1', 'mcast_querier', '0', 'mcast_query_use_ifaddr', '1');
      ip('-n', querier, 'link', 'set', 'qbr', 'type', 'bridge', 'mcast_query_response_interval', '100', 'mcast_startup_query_interval', '300');
      ip('-n', querier, 'link', 'set', 'qbr', 'type', 'bridge', 'mcast_query_interval', cs(snooping.queryIntervalS));
      ip('-n', querier, 'link', 'set', 'q0', 'master', 'qbr', 'up');
      ip('-n', querier, 'addr', 'add', '198.51.100.2/24', 'dev', 'qbr');
      // MLD queries come from the bridge's link-local address: usable at once, without duplicate address detection.
      ip('netns', 'exec', querier, 'sysctl', '-qw', 'net.ipv6.conf.qbr.accept_dad=0');
      ip('-n', querier, 'link', 'set', 'qbr', 'up');
      topology.setQuerier(true);
    }

    const withRouter = options.routerAndMultiHomed !== false;
    const router = ns('router');
    const router2 = ns('router2');
    const forwarding = (where: string) =>
      ip(
        'netns',
        'exec',
        where,
        'sysctl',
        '-qw',
        'net.ipv4.ip_forward=1',
        'net.ipv6.conf.all.forwarding=1',
        'net.ipv4.conf.all.rp_filter=0',
        'net.ipv4.conf.default.rp_filter=0',
      );
    if (withRouter && options.pim) {
      // Two routers and a link of their own between them (192.0.2.0/30), each with a route to the far LAN.
      addNamespace(router);
      addNamespace(router2);
      topology.routers.push(router, router2);
      forwarding(router);
      forwarding(router2);
      plug(router, 'lanA', 'brA', '198.51.100.1', '2001:db8:a::1');
      plug(router2, 'lanB', 'brB', '203.0.113.1', '2001:db8:b::1');
      ip('link', 'add', 'transit', 'netns', router, 'type', 'veth', 'peer', 'name', 'transit', 'netns', router2);
      ip('-n', router, 'addr', 'add', '192.0.2.1/30', 'dev', 'transit');
      ip('-n', router2, 'addr', 'add', '192.0.2.2/30', 'dev', 'transit');
      for (const where of [router, router2]) ip('-n', where, 'link', 'set', 'transit', 'up');
      ip('-n', router, 'route', 'add', '203.0.113.0/24', 'via', '192.0.2.2');
      ip('-n', router2, 'route', 'add', '198.51.100.0/24', 'via', '192.0.2.1');
    } else if (withRouter) {
      addNamespace(router);
      topology.routers.push(router);
      forwarding(router);
      plug(router, 'lanA', 'brA', '198.51.100.1', '2001:db8:a::1');
      plug(router, 'lanB', 'brB', '203.0.113.1', '2001:db8:b::1');
    }

    // Each LAN's hosts at .11, .12, … on its bridge, with the router's address on that LAN as their default route.
    const lans = [
      { names: lanA, bridge: 'brA', ipv4: '198.51.100.', ipv6: '2001:db8:a::' },
      { names: lanB, bridge: 'brB', ipv4: '203.0.113.', ipv6: '2001:db8:b::' },
    ];
    for (const lan of lans) {
      lan.names.forEach((name, i) => {
        const where = ns(name);
        addNamespace(where);
        const iface = { name: 'lan0', ipv4: `${lan.ipv4}${11 + i}`, ipv6: `${lan.ipv6}${11 + i}` };
        plug(where, 'lan0', lan.bridge, iface.ipv4, iface.ipv6);
        ip('-n', where, 'route', 'add', 'default', 'via', `${lan.ipv4}1`);
        hosts[name] = { name, namespace: where, interfaces: [iface], address: iface.ipv4 };
      });
    }

    if (withRouter) {
      const mh = ns('mh');
      addNamespace(mh);
      plug(mh, 'lanA', 'brA', '198.51.100.50', '2001:db8:a::50');
      plug(mh, 'lanB', 'brB', '203.0.113.50', '2001:db8:b::50');
      hosts.mh = {
        name: 'mh',
        namespace: mh,
        interfaces: [
          { name: 'lanA', ipv4: '198.51.100.50', ipv6: '2001:db8:a::50' },
          { name: 'lanB', ipv4: '203.0.113.50', ipv6: '2001:db8:b::50' },
        ],
        address: '198.51.100.50',
      };
    }

    // This process joins LAN A as the admin station, to reach every host's Node-RED.
    ip('link', 'add', `${prefix}adm`, 'type', 'veth', 'peer', 'name', 'padm', 'netns', sw);
    ip('-n', sw, 'link', 'set', 'padm', 'master', 'brA', 'up');
    ip('addr', 'add', '198.51.100.254/24', 'dev', `${prefix}adm`);
    ip('link', 'set', `${prefix}adm`, 'up');
    ip('route', 'replace', '203.0.113.0/24', 'via', '198.51.100.1');

    if (withRouter && options.pim) {
      startPim(
        (where, command, args) => topology.spawn(where, command, args),
        workDir,
        [
          { namespace: router, pim: ['lanA', 'transit'], igmp: [] },
          { namespace: router2, pim: ['transit'], igmp: ['lanB'] },
        ],
        '192.0.2.1',
      );
    } else if (withRouter) {
      const conf = join(workDir, 'smcroute.conf');
      writeFileSync(conf, 'mroute from lanA group 239.0.0.0/8 to lanB\nmroute from lanA group ff15::/16 to lanB\n');
      if (options.multicastRouting !== false)
        topology.spawn(router, 'smcrouted', [
          '-n',
          '-f',
          conf,
          '-u',
          join(workDir, 'smcroute.sock'),
          '-P',
          join(workDir, 'smcroute.pid'),
          '-l',
          'info',
        ]);
    }
  } catch (error) {
    topology.destroy();
    throw error;
  }
  return topology;
}
