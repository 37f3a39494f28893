/** Builds test flows: a bus config node and the in/out/helper nodes around it. */

let counter = 0;
function id(prefix: string): string {
  counter += 1;
  return `${prefix}${counter}`;
}

export function bus(fields: Record<string, unknown> = {}) {
  return { id: id('bus'), type: 'multicast-bus', group: '239.255.76.67', port: 7667, ttl: 0, iface: 'lo', loopback: true, framing: 'raw', ...fields };
}

export function multicastIn(busId: string, wiredTo: string, fields: Record<string, unknown> = {}) {
  return { id: id('in'), type: 'multicast-in', z: 'flow', bus: busId, topic: '', datatype: 'auto', wires: [[wiredTo]], ...fields };
}

export function multicastOut(busId: string, fields: Record<string, unknown> = {}) {
  return { id: id('out'), type: 'multicast-out', z: 'flow', bus: busId, topic: '', wires: [], ...fields };
}

export function sink(name = 'sink') {
  return { id: id(name), type: 'helper', z: 'flow', wires: [] };
}

export const tab = { id: 'flow', type: 'tab', label: 'test' };
