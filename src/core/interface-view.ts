import type { AddressFamily } from './multicast-address';
import type { Problem } from './problem';
import { resolveInterface, type InterfaceTable, type ResolvedInterface } from './interface-resolver';

/** What the host says about its interfaces, read fresh each time the bus looks. */
export interface InterfaceSources {
  table: InterfaceTable;
  linkState(name: string): 'up' | 'down' | 'unknown';
  canMulticast(name: string): boolean;
  /** The kernel's index of an interface: a device deleted and created again gets a new one. */
  interfaceIndex(name: string): number | undefined;
}

/**
 * How the bus's interface setting looks right now: the socket arguments (or why there are none) and a fingerprint.
 * Two views with the same fingerprint need no rejoin; any difference (link, address, the device itself) does.
 */
export interface InterfaceView {
  where: { resolved: ResolvedInterface } | { problem: Problem };
  fingerprint: string;
}

function problemView(problem: Problem): InterfaceView {
  return { where: { problem }, fingerprint: JSON.stringify(problem) };
}

/** Resolves the interface setting against what the host has now. A link that is down is waited for, like a missing one. */
export function viewInterface(iface: string, family: AddressFamily, host: InterfaceSources): InterfaceView {
  const where = resolveInterface(iface, family, host.table, (name) => host.canMulticast(name));
  if ('problem' in where) {
    // The OS lists only interfaces that are up, so a missing one may just be down: say so.
    if (where.problem.code === 'iface-missing' && host.linkState(iface) === 'down') return problemView({ code: 'iface-down', params: { iface } });
    return problemView(where.problem);
  }
  const names = where.resolved.everyInterface?.map((each) => each.name) ?? (where.resolved.name ? [where.resolved.name] : []);
  const down = names.find((name) => host.linkState(name) === 'down');
  if (down && !where.resolved.everyInterface) return problemView({ code: 'iface-down', params: { iface: down } });
  // Only this family's addresses: an IPv6 privacy address coming and going must not make an IPv4 bus rejoin.
  const devices = names.map((name) => [
    name,
    host.interfaceIndex(name),
    host.linkState(name),
    (host.table[name] ?? []).filter((info) => info.family === family).map((info) => info.address),
  ]);
  return { where, fingerprint: JSON.stringify([where.resolved, devices]) };
}
