// FRR's PIM-SM on the test network's two routers (createTopology's `pim`): zebra and pimd per router namespace, in
// the foreground as children of the topology, so destroy() ends them. Each gets a pathspace of its own (-N), so its
// sockets under /var/run/frr/<pathspace> never meet another router's or a system FRR's.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FRR = '/usr/lib/frr';

export interface PimRouter {
  namespace: string;
  /** The router's interfaces that speak PIM with the other router (and with the LAN's first-hop). */
  pim: string[];
  /** The interfaces facing receivers, with IGMPv3. */
  igmp: string[];
}

/** Starts zebra and pimd on each router; the rendezvous point for 224.0.0.0/4 (SSM's 232/8 aside) is `rp`. */
export function startPim(
  spawn: (namespace: string, command: string, args: string[]) => unknown,
  workDir: string,
  routers: PimRouter[],
  rp: string,
): void {
  for (const [i, router] of routers.entries()) {
    const name = `mcb${process.pid}r${i}`;
    const dir = join(workDir, name);
    mkdirSync(dir, { recursive: true });
    mkdirSync(`/var/run/frr/${name}`, { recursive: true });
    writeFileSync(join(dir, 'zebra.conf'), `hostname ${name}\n`);
    const interfaces = [...new Set([...router.pim, ...router.igmp])].map((iface) => {
      const lines = [`interface ${iface}`, ' ip pim'];
      // A snooping switch prunes only once it has heard a querier, and trusts it only after the query's maximum
      // response time. FRR's defaults (a query every 125 s, the startup ones 31 s apart, 10 s to respond) would leave
      // the tests' first seconds flooded: 1 s (in deciseconds) to respond, then queries every 5 s (in that order:
      // pimd refuses an interval shorter than the response time in force).
      if (router.igmp.includes(iface))
        lines.push(' ip igmp', ' ip igmp version 3', ' ip igmp query-max-response-time 10', ' ip igmp query-interval 5');
      return lines.join('\n');
    });
    writeFileSync(join(dir, 'pimd.conf'), `hostname ${name}\n${interfaces.join('\n')}\nip pim rp ${rp} 224.0.0.0/4\n`);
    const common = ['-N', name, '-u', 'root', '-g', 'root', '--log', `file:${join(dir, 'log')}`];
    spawn(router.namespace, join(FRR, 'zebra'), [...common, '-f', join(dir, 'zebra.conf'), '-i', join(dir, 'zebra.pid')]);
    // pimd reads its interfaces and routes from zebra: started before zebra has them, it finds no path to the RP and
    // sockets that never open. A second is ample on an idle namespace.
    const pimd = [join(FRR, 'pimd'), ...common, '-f', join(dir, 'pimd.conf'), '-i', join(dir, 'pimd.pid')];
    spawn(router.namespace, 'sh', ['-c', `sleep 1 && exec ${pimd.join(' ')}`]);
  }
}
