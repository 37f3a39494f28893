import type { Node, NodeAPI } from 'node-red';
import type { BusClient, BusReceiver } from '../../core/bus-client';
import type { MulticastBus } from '../../core/multicast-bus';
import { problemOf } from '../../core/problem';
import type { SocketState } from '../../core/reopening-socket';
import { busNodeOf, type MulticastBusNode } from '../multicast-bus/multicast-bus-node';
import { ClientStatus } from './client-status';
import { problemWords } from './problem-words';
import { ReceiverTraffic, SenderTraffic, statusWords } from './traffic-status';

/** A multicast out's link to its bus. */
export interface SenderAttachment {
  bus: MulticastBus;
  /** The bus took a message: counted in the status, which turns green again after a failure. */
  sent(): void;
  /** A message could not be sent: the status shows why in brief; returns the error in full, for done(err). */
  failed(error: unknown): Error;
}

/** A multicast in's link to its bus. */
export interface ReceiverAttachment {
  bus: MulticastBus;
  /** What the node counts of its own traffic for its status. */
  traffic: ReceiverTraffic;
  /**
   * Starts or stops listening (dynamic subscriptions): the bus joins the group while some node listens, and a node that
   * does not listen shows `pausedText` on a grey ring. Resolves once the bus has let go of the node.
   */
  listening(on: boolean, pausedText?: string): Promise<void>;
  /** The node's filters changed (dynamic subscriptions): the bus routes by the new ones from now on. */
  filtersChanged(): void;
  /** While listening: asks reliable senders for the retained values matching `filter`, as at the start. */
  askRetained(filter: string): void;
}

/**
 * Connects a multicast out to its config node (see attach). Undefined when the bus is missing or misconfigured: the
 * status says so, and unattachedError says it in full.
 */
export function attachSender(RED: NodeAPI, node: Node, busId: string): SenderAttachment | undefined {
  const attached = attach(RED, node, busId, (label) => new SenderTraffic(statusWords(RED, node.type), label));
  if (!attached) return undefined;
  const { busNode, bus, status, traffic } = attached;
  return {
    bus,
    sent() {
      traffic.sent();
      status.succeeded();
    },
    failed(error) {
      const carried = problemOf(error);
      status.failed(carried ? busNode.brief(carried.problem) : String((error as Error)?.message ?? error));
      return explain(busNode, error);
    },
  };
}

/**
 * Connects a multicast in to its config node (see attach); `listen` gets the bus's messages whose topic `filters`
 * matches (and those without a topic), and, when it starts, the retained values of the topics `retained` matches (an
 * LCM topic filter), marked `retained`.
 */
export function attachReceiver(
  RED: NodeAPI,
  node: Node,
  busId: string,
  listen: BusReceiver['onMessage'],
  filters: () => readonly string[],
  retained?: string,
  startListening = true,
): ReceiverAttachment | undefined {
  const attached = attach(
    RED,
    node,
    busId,
    (label, bus) => new ReceiverTraffic(statusWords(RED, node.type), label, () => bus.summary().dropped),
    // The bus hands a node what its filters match, presence events too: only a filter naming `$bus/…` passes them.
    { onMessage: listen, filters, retained, presence: true },
    startListening,
  );
  if (!attached) return undefined;
  const { bus, traffic, status, registration } = attached;
  return {
    bus,
    traffic,
    listening(on, pausedText) {
      status.paused(on ? undefined : pausedText);
      if (on) {
        registration.register();
        return Promise.resolve();
      }
      return registration.unregister();
    },
    filtersChanged() {
      bus.filtersChanged();
    },
    askRetained(filter) {
      const receiver = registration.current();
      if (receiver) bus.askRetained(receiver as BusReceiver, filter);
    },
  };
}

/** Why a node has no bus to use, in full: there is none, or every problem of its settings. */
export function unattachedError(RED: NodeAPI, node: Node, busId: string): Error {
  const busNode = busNodeOf(RED, busId);
  if (busNode && busNode.configProblems.length > 0) return new Error(busNode.describeAll(busNode.configProblems));
  return new Error(problemWords(RED, node.type, 'errors').full({ code: 'no-bus' }));
}

/**
 * Registers an in/out node with its bus (as a receiver when it gives `listen`), shows the bus state and the node's own
 * traffic in its status, and deregisters on close, calling done only once the bus has let go of the node. Undefined,
 * with a red status, when the bus is missing or misconfigured.
 */
function attach<T extends { text(): string }>(
  RED: NodeAPI,
  node: Node,
  busId: string,
  trafficOf: (label: string, bus: MulticastBus) => T,
  listen?: Pick<BusReceiver, 'onMessage' | 'filters' | 'retained' | 'presence'>,
  registerNow = true,
): { busNode: MulticastBusNode; bus: MulticastBus; status: ClientStatus; traffic: T; registration: Registration } | undefined {
  const busNode = busNodeOf(RED, busId);
  if (!busNode) {
    // Each node type's own catalog holds this message, since the config node is not there to word it.
    const words = problemWords(RED, node.type, 'errors');
    node.status({ fill: 'red', shape: 'ring', text: words.brief({ code: 'no-bus' }) });
    node.error(words.full({ code: 'no-bus' }));
    return undefined;
  }
  const bus = busNode.bus;
  if (!bus) {
    // The config node logs every problem in full; the status names the first and counts the rest.
    node.status({ fill: 'red', shape: 'ring', text: busNode.briefAll(busNode.configProblems) });
    return undefined;
  }
  const traffic = trafficOf(bus.label, bus);
  const status = new ClientStatus(node, {
    state: (state) => (state.phase === 'joining' ? busNode.brief({ code: 'joining' }) : state.problem ? busNode.brief(state.problem) : ''),
    traffic: () => traffic.text(),
  });
  const side = listen ? 'receive' : 'send';
  const onState = (state: SocketState) => {
    status.changed(state);
    busNode.report(side, state);
  };
  let registered: BusClient | undefined;
  const registration: Registration = {
    register() {
      if (registered) return;
      if (listen) bus.addReceiver((registered = { onState, ...listen }));
      else bus.addSender((registered = { onState }));
    },
    unregister() {
      const leaving = registered;
      registered = undefined;
      return leaving ? bus.remove(leaving) : Promise.resolve();
    },
    current: () => registered,
  };
  if (registerNow) registration.register();
  node.on('close', (_removed: boolean, done: () => void) => {
    status.stop();
    registration.unregister().then(done, done);
  });
  return { busNode, bus, status, traffic, registration };
}

/** A node's place among its bus's clients: taken at once, or while it listens (dynamic subscriptions). */
interface Registration {
  register(): void;
  /** Resolves once the bus has let go of the node. */
  unregister(): Promise<void>;
  current(): BusClient | undefined;
}

/** Turns any error from the bus into one whose message is in words, with what to do: for done(err). */
function explain(busNode: MulticastBusNode, error: unknown): Error {
  const carried = problemOf(error);
  if (!carried) return error instanceof Error ? error : new Error(String(error));
  // The underlying problem says what to do; the outer one only what happened to the message.
  if (!carried.underlying) return new Error(busNode.describe(carried.problem));
  return new Error(`${busNode.brief(carried.problem)}: ${busNode.describe(carried.underlying)}`);
}
