import { networkInterfaces } from 'node:os';
import { ip } from '../../testnet/ip';

export { ip };

/** How the runner isolated this process: 'root' (unshare --net as root), 'user' (user namespace) or 'none'. */
export const namespaceMode = process.env.MULTICAST_BUS_TEST_NETNS ?? 'none';

const announced = new Set<string>();

/** Skips the test, printing the reason once per run so a skip is never silent. */
export function skipWithReason(context: Mocha.Context, reason: string): void {
  if (!announced.has(reason)) {
    announced.add(reason);
    console.log(`      skipped: ${reason}`);
  }
  context.skip();
}

/**
 * Skips the test unless this process is in a private network namespace, and refuses to run if a real interface
 * is visible: multicast from a test must never reach a real network.
 */
export function requirePrivateNetwork(context: Mocha.Context): void {
  if (namespaceMode === 'none') {
    skipWithReason(context, 'needs a private network namespace: run `npm test` as root, or where user namespaces are allowed');
  }
  const visible = Object.keys(networkInterfaces()).filter((name) => name === 'eth0' || name.startsWith('en') || name.startsWith('wl'));
  if (visible.length > 0) throw new Error(`refusing to open multicast sockets: real interfaces visible (${visible.join(', ')})`);
}

/** Skips the test unless it can create further namespaces (ip netns, veth, bridges), which needs real root. */
export function requireRootNamespaces(context: Mocha.Context): void {
  requirePrivateNetwork(context);
  if (namespaceMode !== 'root') skipWithReason(context, 'needs root to create namespaces with ip netns (CI runs as root)');
}

/**
 * Adds a veth pair inside this namespace, `name` with the address and `name`-peer without, and returns a function
 * that removes it. What is sent on `name` leaves through the peer, so unlike on `lo` a socket on `name` hears its own
 * traffic only through the kernel's loopback copy (IP_MULTICAST_LOOP).
 */
export function addVethPair(name: string, cidr: string): () => void {
  ip('link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`);
  if (cidr) ip('addr', 'add', cidr, 'dev', name);
  ip('link', 'set', name, 'up');
  ip('link', 'set', `${name}p`, 'up');
  return () => {
    try {
      ip('link', 'del', name);
    } catch {
      // Already gone: a test removed it on purpose.
    }
  };
}
