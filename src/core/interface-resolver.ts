import { isIP } from 'node:net';
import { networkInterfaces as osNetworkInterfaces } from 'node:os';
import type { AddressFamily } from './multicast-address';
import { osMulticastInterface } from './os-multicast-route';
import type { Problem } from './problem';

export type InterfaceTable = ReturnType<typeof osNetworkInterfaces>;

/** Where to join and send: undefined fields leave the choice to the OS routing table. */
export interface ResolvedInterface {
  /** Interface name, when known; used as the zone of IPv6 link-local binds. */
  name?: string;
  /** Argument for addMembership/setMulticastInterface: an IPv4 address, or '::%name' for IPv6. */
  socketInterface?: string;
  /** With iface '*': every interface to join on (sending then follows the routing table). */
  everyInterface?: { name: string; socketInterface: string }[];
}

/** The iface value that means "join on every multicast-capable interface". */
export const ALL_INTERFACES = '*';

/** One interface as the editor's picker shows it. */
export interface InterfaceChoice {
  name: string;
  addresses: { address: string; family: AddressFamily }[];
  /** Present and true on the interface the OS sends IPv4 multicast on when none is set ("OS default"). */
  osDefault?: true;
}

/** Lists the host's interfaces with their addresses, for the editor and for error messages. */
export function listInterfaces(table: InterfaceTable = osNetworkInterfaces(), osDefault = osMulticastInterface()): InterfaceChoice[] {
  return Object.entries(table).map(([name, infos]) => ({
    name,
    addresses: (infos ?? []).map((info) => ({ address: info.address, family: info.family as AddressFamily })),
    ...(name === osDefault ? { osDefault: true as const } : {}),
  }));
}

function choices(table: InterfaceTable): string {
  return Object.keys(table).join(', ') || '(none)';
}

/**
 * Turns the user's interface setting (empty, a name, or an address) into socket arguments for this family,
 * or a problem saying what is missing; a missing interface is expected to appear later, so callers retry.
 */
export function resolveInterface(
  iface: string,
  family: AddressFamily,
  table: InterfaceTable = osNetworkInterfaces(),
  multicastCapable: (name: string) => boolean = () => true,
): { resolved: ResolvedInterface } | { problem: Problem } {
  if (iface === '') return { resolved: {} };
  if (iface === ALL_INTERFACES) return resolveEveryInterface(family, table, multicastCapable);

  let name = iface;
  if (isIP(iface)) {
    const owner = Object.entries(table).find(([, infos]) => (infos ?? []).some((info) => info.address === iface));
    if (!owner) return { problem: { code: 'address-missing', params: { iface, choices: choices(table) } } };
    name = owner[0];
  }
  const infos = table[name];
  if (!infos) return { problem: { code: 'iface-missing', params: { iface, choices: choices(table) } } };

  if (family === 'IPv6') return { resolved: { name, socketInterface: `::%${name}` } };

  const ipv4 = isIP(iface) === 4 ? iface : infos.find((info) => info.family === 'IPv4')?.address;
  if (!ipv4) return { problem: { code: 'iface-no-ipv4', params: { iface: name } } };
  return { resolved: { name, socketInterface: ipv4 } };
}

function resolveEveryInterface(
  family: AddressFamily,
  table: InterfaceTable,
  multicastCapable: (name: string) => boolean,
): { resolved: ResolvedInterface } | { problem: Problem } {
  const everyInterface: { name: string; socketInterface: string }[] = [];
  for (const [name, infos] of Object.entries(table)) {
    const usable = (infos ?? []).filter((info) => info.family === family && !info.internal);
    if (usable.length === 0 || !multicastCapable(name)) continue;
    everyInterface.push({ name, socketInterface: family === 'IPv4' ? usable[0].address : `::%${name}` });
  }
  if (everyInterface.length === 0) return { problem: { code: 'no-interfaces', params: { family, choices: choices(table) } } };
  return { resolved: { everyInterface } };
}
