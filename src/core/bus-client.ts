import type { BusMessage } from './framing';
import type { SocketState } from './reopening-socket';

/** A node that sends on the bus: it never causes a join. */
export interface BusSender {
  onState(state: SocketState): void;
}

/** A node that listens on the bus: the first one joins the group. */
export interface BusReceiver extends BusSender {
  onMessage(message: BusMessage): void;
  /** A topic filter: when it registers, the bus asks reliable senders for their retained values matching it. */
  retained?: string;
  /** Whether it takes the bus's own presence events (topic `$bus/presence`) besides the senders' messages. */
  presence?: boolean;
  /**
   * The topic filters it wants now (topic-filter.ts): the bus hands it only messages with a topic one of them matches,
   * found in an index rather than by asking every receiver (and every message without a topic, on raw framing).
   * Absent: every message. When they change, call the bus's filtersChanged().
   */
  filters?(): readonly string[];
}

export type BusClient = BusSender | BusReceiver;

/** Whether a client listens (and so makes the bus join the group). */
export function isReceiver(client: BusClient): client is BusReceiver {
  return 'onMessage' in client && typeof client.onMessage === 'function';
}
