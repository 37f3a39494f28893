/**
 * The one builder of this package's nodes for test and benchmark flows: the bus config node, multicast-in and
 * multicast-out, on one tab. Each default is written out below; a caller passes only what differs from it, e.g.
 * `bus({ ...ON_A_HOST, port })` for a bus on a host of the test network.
 */

export type Flow = Record<string, unknown>[];

/** The tab the nodes built here sit on. */
export const tab = { id: 'tab', type: 'tab', label: 'test' };

/**
 * What bus() sets unless told otherwise: a bus that never leaves this host (the loopback interface, TTL 0), looped
 * back so flows on this host hear it, with raw framing so a payload is the datagram's bytes. The fields left out
 * (maxDatagram, rcvbuf, security, …) take the runtime's own defaults (src/core/bus-fields.ts), as a config node
 * written without them does.
 */
export const BUS_DEFAULTS = { group: '239.255.76.67', port: 7667, ttl: 0, iface: 'lo', loopback: true, framing: 'raw' };

/** What a bus on a host of the test network (topology.ts) takes over BUS_DEFAULTS: the host's LAN, one hop, LCM framing. */
export const ON_A_HOST = { iface: 'lan0', ttl: 1, framing: 'lcm' };

let made = 0;
/** A node id no other node built in this process has: `prefix` and a number. */
export function freshId(prefix: string): string {
  made += 1;
  return `${prefix}${made}`;
}

/** A multicast-bus config node: BUS_DEFAULTS, then `fields` (an `id` among them names the node). */
export function bus(fields: Record<string, unknown> = {}) {
  return { id: freshId('bus'), type: 'multicast-bus', ...BUS_DEFAULTS, ...fields };
}

/** A multicast-in on the bus `busId` wired to the node `wiredTo`: every topic, datatype auto, unless `fields` say otherwise. */
export function multicastIn(busId: string, wiredTo: string, fields: Record<string, unknown> = {}) {
  return { id: freshId('in'), type: 'multicast-in', z: tab.id, bus: busId, topic: '', datatype: 'auto', wires: [[wiredTo]], ...fields };
}

/** A multicast-out on the bus `busId`, taking each message's own msg.topic unless `fields` give it a topic. */
export function multicastOut(busId: string, fields: Record<string, unknown> = {}) {
  return { id: freshId('out'), type: 'multicast-out', z: tab.id, bus: busId, topic: '', wires: [], ...fields };
}
