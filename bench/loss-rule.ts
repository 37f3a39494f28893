// Independent loss on a subscriber host, made by nftables in its own namespace (this kernel has no `tc netem`): a rule
// on the host's input that drops a share of the datagrams to one UDP port, chosen at random per datagram. Only the
// bus port is hit (data, repairs and heartbeats); NAKs go to the sender's own port on another host and pass.
import type { Host, Topology } from '../testnet/topology';

const TABLE = 'benchloss';

/** Drops `percent` % of the datagrams to `port` arriving at `host`, until removeLoss; counts what it drops. */
export function addLoss(net: Topology, host: Host, port: number, percent: number): void {
  net.exec(host, 'nft', ['add', 'table', 'inet', TABLE]);
  net.exec(host, 'nft', ['add', 'chain', 'inet', TABLE, 'in', '{ type filter hook input priority 0; }']);
  net.exec(host, 'nft', [
    'add',
    'rule',
    'inet',
    TABLE,
    'in',
    'udp',
    'dport',
    String(port),
    'numgen',
    'random',
    'mod',
    '100',
    '<',
    String(percent),
    'counter',
    'drop',
  ]);
}

/** Datagrams the loss rule on `host` dropped so far. */
export function droppedSoFar(net: Topology, host: Host): number {
  const listed = net.exec(host, 'nft', ['list', 'chain', 'inet', TABLE, 'in']);
  return Number(/packets (\d+)/.exec(listed)?.[1] ?? 0);
}

/** Takes the loss rule off `host` (nothing happens when there is none). */
export function removeLoss(net: Topology, host: Host): void {
  try {
    net.exec(host, 'nft', ['delete', 'table', 'inet', TABLE]);
  } catch {
    // No table: nothing to remove.
  }
}
