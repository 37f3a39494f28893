// Independent loss on a subscriber host, made by nftables in its own namespace: a rule on the host's input that drops
// a share of the datagrams to one UDP port, chosen at random per datagram. Only the bus port is hit (data, repairs and
// heartbeats); NAKs go to the sender's own port on another host and pass.
import { addRule, droppedBy, dropWords, type Nft, removeTable } from '../testnet/loss-rule';
import type { Host, Topology } from '../testnet/topology';

const TABLE = 'benchloss';

const on =
  (net: Topology, host: Host): Nft =>
  (args) =>
    net.exec(host, 'nft', args);

/** Drops `percent` % of the datagrams to `port` arriving at `host`, until removeLoss; counts what it drops. */
export function addLoss(net: Topology, host: Host, port: number, percent: number): void {
  addRule(on(net, host), TABLE, 'in', dropWords(['udp', 'dport', String(port)], percent));
}

/** Datagrams the loss rule on `host` dropped so far. */
export function droppedSoFar(net: Topology, host: Host): number {
  return droppedBy(on(net, host), TABLE, 'in');
}

/** Takes the loss rule off `host` (nothing happens when there is none). */
export function removeLoss(net: Topology, host: Host): void {
  removeTable(on(net, host), TABLE);
}
