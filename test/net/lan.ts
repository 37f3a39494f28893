import { type ChildProcess, execFileSync, spawn } from 'node:child_process';

/** One namespace host on the LAN. */
export interface LanHost {
  name: string;
  namespace: string;
  address: string;
}

/** A LAN of namespace hosts on a Linux bridge, which this process (itself in a private namespace) joins as 198.51.100.1. */
export interface Lan {
  bridge: string;
  address: string;
  hosts: LanHost[];
  /** Starts a program inside a host; it is killed by destroy(). */
  spawn(host: LanHost, command: string, args: string[], env?: Record<string, string>): ChildProcess;
  /** Kills what was spawned, deletes the namespaces and the bridge. Safe to call twice. */
  destroy(): void;
}

function run(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

const live = new Set<Lan>();
process.on('exit', () => {
  for (const lan of live) lan.destroy();
});

/**
 * Builds a bridge in this namespace with 198.51.100.1/24 and one namespace per host name at 198.51.100.11, .12, …,
 * each with a route for 224.0.0.0/4 on its LAN interface. Snooping is off, so the bridge floods multicast.
 */
export function createLan(prefix: string, hostNames: string[]): Lan {
  const bridge = `${prefix}br`;
  const hosts: LanHost[] = [];
  const children = new Set<ChildProcess>();
  let destroyed = false;
  const lan: Lan = {
    bridge,
    address: '198.51.100.1',
    hosts,
    spawn(host, command, args, env = {}) {
      const child = spawn('ip', ['netns', 'exec', host.namespace, command, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.add(child);
      child.on('exit', () => children.delete(child));
      return child;
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      live.delete(lan);
      for (const child of children) child.kill('SIGKILL');
      for (const host of hosts) {
        try {
          run('netns', 'del', host.namespace);
        } catch {
          // Never created, or already gone.
        }
      }
      try {
        run('link', 'del', bridge);
      } catch {
        // Never created, or already gone.
      }
    },
  };
  live.add(lan);
  try {
    run('link', 'add', bridge, 'type', 'bridge', 'mcast_snooping', '0');
    run('addr', 'add', '198.51.100.1/24', 'dev', bridge);
    run('link', 'set', bridge, 'up');
    hostNames.forEach((name, i) => {
      const host: LanHost = { name, namespace: `${prefix}-${name}-${process.pid}`, address: `198.51.100.${11 + i}` };
      hosts.push(host);
      const outside = `${prefix}v${i}`;
      run('netns', 'add', host.namespace);
      run('link', 'add', outside, 'type', 'veth', 'peer', 'name', 'lan0', 'netns', host.namespace);
      run('link', 'set', outside, 'master', bridge, 'up');
      const inHost = (...args: string[]) => run('-n', host.namespace, ...args);
      inHost('link', 'set', 'lo', 'up');
      inHost('addr', 'add', `${host.address}/24`, 'dev', 'lan0');
      inHost('link', 'set', 'lan0', 'up');
      inHost('route', 'add', '224.0.0.0/4', 'dev', 'lan0');
    });
  } catch (error) {
    lan.destroy();
    throw error;
  }
  return lan;
}
