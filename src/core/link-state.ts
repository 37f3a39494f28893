import { readFileSync } from 'node:fs';

/**
 * Whether a network interface's link is up, from Linux's /sys/class/net. 'unknown' where that cannot be read
 * (another OS, or a sysfs that belongs to another network namespace) or the driver does not say (loopback).
 */
export function linkState(name: string): 'up' | 'down' | 'unknown' {
  try {
    const state = readFileSync(`/sys/class/net/${name}/operstate`, 'utf8').trim();
    return state === 'up' || state === 'down' ? state : 'unknown';
  } catch {
    return 'unknown';
  }
}

const IFF_MULTICAST = 0x1000;

/** Whether an interface can do multicast, from its flags in /sys; true where that cannot be read. */
export function canMulticast(name: string): boolean {
  try {
    return (Number(readFileSync(`/sys/class/net/${name}/flags`, 'utf8').trim()) & IFF_MULTICAST) !== 0;
  } catch {
    return true;
  }
}

/** The kernel's index of an interface, from /sys; undefined where that cannot be read. */
export function interfaceIndex(name: string): number | undefined {
  try {
    return Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim());
  } catch {
    return undefined;
  }
}
