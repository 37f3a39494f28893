// The editor's live view of every deployed bus (the sidebar's "bus" tab): while some editor watches, each bus's
// directory goes out once a second through Node-RED's comms, which carries it only to logged-in editors (read
// permission is enough) and to nobody anonymous when admin auth is on. An editor renews its watch; once none has for
// a while the feed stops, so a runtime nobody looks at spends nothing on it.
import type { NodeAPI } from 'node-red';
import type { BusDirectory } from '../../core/multicast-bus';
import type { MulticastBusNode } from './multicast-bus-node';

/** The comms topic the feed publishes on, and the sidebar subscribes to. */
export const DIRECTORY_TOPIC = 'multicast-bus/directory';

/** What the feed publishes, and POST multicast-bus/directory/watch answers: every deployed bus, running or not. */
export interface DirectorySnapshot {
  at: string;
  buses: { id: string; name: string; label: string; directory?: BusDirectory; problems?: string }[];
}
const EVERY_MS = 1000;
// An editor renews its watch every 20 s while the tab shows; after this long without one the feed stops.
const WATCH_LEASE_MS = 60_000;

/** Every deployed bus, and the comms feed of their directories. */
export class DirectoryFeed {
  private readonly buses = new Set<MulticastBusNode>();
  private timer: NodeJS.Timeout | undefined;
  private watchedUntil = 0;

  constructor(private readonly RED: NodeAPI) {}

  /** A bus node was deployed. */
  add(node: MulticastBusNode): void {
    this.buses.add(node);
  }

  /** A bus node was stopped. */
  remove(node: MulticastBusNode): void {
    this.buses.delete(node);
  }

  /** An editor shows the tab: publish now, and every second for a while. */
  watched(): void {
    this.watchedUntil = Date.now() + WATCH_LEASE_MS;
    this.publish();
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (Date.now() > this.watchedUntil) {
        clearInterval(this.timer);
        this.timer = undefined;
        return;
      }
      this.publish();
    }, EVERY_MS);
    // The feed never keeps the process alive.
    this.timer.unref();
  }

  /** Every deployed bus with its directory, or the problems that keep it from running. */
  snapshot(): DirectorySnapshot {
    const buses = [...this.buses].map((node) => ({
      id: node.id,
      name: node.name ?? '',
      label: node.bus?.label ?? '',
      ...(node.bus ? { directory: node.bus.directory() } : { problems: node.describeAll(node.configProblems) }),
    }));
    return { at: new Date().toISOString(), buses };
  }

  private publish(): void {
    this.RED.comms.publish(DIRECTORY_TOPIC, this.snapshot(), false);
  }
}
