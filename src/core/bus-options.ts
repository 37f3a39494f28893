import type { InterfaceTable } from './interface-resolver';
import type { PresenceIdentity } from './presence-announcer';
import type { Problem } from './problem';
import type { SealedKeys } from './sealed-framing';
import type { SendQueueLimits } from './send-queue';

/** What a bus may be given besides its settings: the keys of a sealed bus, where warnings go, and test seams. */
export interface BusOptions {
  /** How often to retry opening a socket that could not open, in ms. */
  retryMs?: number;
  /** Where interfaces are looked up; replaced in tests. */
  networkInterfaces?: () => InterfaceTable;
  /** How often to look for interface changes (link down, address gone or changed, device replaced), in ms. */
  watchMs?: number;
  /** Where link state is read; replaced in tests. */
  linkState?: (name: string) => 'up' | 'down' | 'unknown';
  /** The keys of a sealed bus; derivation may take a moment, so the sockets open once they are there. */
  keys?: Promise<SealedKeys>;
  /** Where rate-limited warnings about dropped frames go. */
  warn?: (problem: Problem) => void;
  /** How much may wait for the send side to open; replaced in tests. */
  sendQueue?: SendQueueLimits;
  /** How the bus names itself in presence announcements (LCM framing); by default the host name and nothing else. */
  identity?: Partial<PresenceIdentity>;
  /** How often a publishing bus announces itself, in ms (default 5 s); replaced in tests. */
  announceMs?: number;
}
