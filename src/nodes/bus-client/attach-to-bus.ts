import type { Node, NodeAPI, NodeStatus } from 'node-red';
import type { BusClient, BusReceiver } from '../../core/bus-client';
import { problemOf } from '../../core/problem';
import type { SocketState } from '../../core/reopening-socket';
import { busNodeOf, type MulticastBusNode } from '../multicast-bus/multicast-bus-node';
import { problemWords } from './problem-words';

const TRAFFIC_REFRESH_MS = 2000;

/** The status an in/out node shows for its side of the bus: yellow while joining or waiting, green when ready, red on error. */
function statusFor(busNode: MulticastBusNode, state: SocketState): NodeStatus {
  const text = state.problem ? busNode.brief(state.problem) : '';
  switch (state.phase) {
    case 'ready':
      return { fill: 'green', shape: 'dot', text: busNode.bus?.label ?? '' };
    case 'joining':
      return { fill: 'yellow', shape: 'ring', text: busNode.brief({ code: 'joining' }) };
    case 'waiting':
      return { fill: 'yellow', shape: 'ring', text };
    case 'error':
      return { fill: 'red', shape: 'ring', text };
  }
}

/** An in/out node's link to its bus, or undefined when the bus is missing or misconfigured (the status already says so). */
export interface BusAttachment {
  busNode: MulticastBusNode;
  /** Turns any error from the bus into one whose message is in words, for done(err). */
  explain(error: unknown): Error;
}

/**
 * Connects an in/out node to its config node: registers it as a client (a receiver when it gives `listen`), mirrors the bus state in the node's status,
 * and deregisters on close, calling done only once the bus has let go of the node.
 */
export function attachToBus(RED: NodeAPI, node: Node, busId: string, listen?: BusReceiver['onMessage']): BusAttachment | undefined {
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
    node.status({ fill: 'red', shape: 'ring', text: busNode.brief(busNode.configProblems[0]) });
    return undefined;
  }
  const side = listen ? 'receive' : 'send';
  // While a receiver is ready its status also shows the message rate and the losses, refreshed every few seconds.
  let traffic: NodeJS.Timeout | undefined;
  let shown = '';
  const showTraffic = (() => {
    let last = bus.summary();
    let lastAt = Date.now();
    return () => {
      const now = bus.summary();
      const rate = ((now.messages - last.messages) * 1000) / Math.max(1, Date.now() - lastAt);
      last = now;
      lastAt = Date.now();
      const lost = now.lost > 0 ? ` · lost ${now.lost}` : '';
      const dropped = now.dropped > 0 ? ` · dropped ${now.dropped}` : '';
      const text = `${bus.label} · ${rate < 10 ? rate.toFixed(1) : Math.round(rate)}/s${lost}${dropped}`;
      if (text !== shown) node.status({ fill: 'green', shape: 'dot', text: (shown = text) });
    };
  })();
  const onState = (state: SocketState) => {
    clearInterval(traffic);
    shown = '';
    node.status(statusFor(busNode, state));
    busNode.report(side, state);
    if (side === 'receive' && state.phase === 'ready') {
      traffic = setInterval(showTraffic, TRAFFIC_REFRESH_MS);
      traffic.unref();
    }
  };
  let registered: BusClient;
  if (listen) bus.addReceiver((registered = { onState, onMessage: listen }));
  else bus.addSender((registered = { onState }));
  node.on('close', (_removed: boolean, done: () => void) => {
    clearInterval(traffic);
    bus.remove(registered).then(done, done);
  });
  return {
    busNode,
    explain(error) {
      const carried = problemOf(error);
      if (!carried) return error instanceof Error ? error : new Error(String(error));
      // The underlying problem says what to do; the outer one only what happened to the message.
      if (!carried.underlying) return new Error(busNode.describe(carried.problem));
      return new Error(`${busNode.brief(carried.problem)}: ${busNode.describe(carried.underlying)}`);
    },
  };
}
