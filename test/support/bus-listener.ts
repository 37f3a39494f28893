// Clients of a MulticastBus for core tests: each keeps what it is handed and its last socket phase.
import type { BusMessage } from '../../src/core/framing';
import type { MulticastBus } from '../../src/core/multicast-bus';
import type { SocketState } from '../../src/core/reopening-socket';
import { nextPort } from './ports';
import { until } from './until';

export interface Listener {
  messages: BusMessage[];
  phase: string;
  onState(state: SocketState): void;
  onMessage(message: BusMessage): void;
  retained?: string;
}

/** A client that records messages and phases; with `retained`, it asks for the retained values matching it. */
export function listener(retained?: string): Listener {
  const l: Listener = {
    messages: [],
    phase: '',
    onState: (state) => (l.phase = state.phase),
    onMessage: (message) => l.messages.push(message),
  };
  if (retained !== undefined) l.retained = retained;
  return l;
}

/** The payloads delivered, as numbers. */
export function numbers(messages: BusMessage[]): number[] {
  return messages.map((m) => Number(m.payload.toString()));
}

/** The losses the messages report before them, together. */
export const lostBefore = (messages: BusMessage[]) => messages.reduce((total, m) => total + (m.lostBefore ?? 0), 0);

/** A sending bus and a listening bus made by `bus` on a port of their own, both open; `inn` listens on the second. */
export async function openPair(bus: (port: number) => MulticastBus) {
  const port = nextPort();
  const sending = bus(port);
  const receiving = bus(port);
  const out = listener();
  const inn = listener();
  sending.addSender(out);
  receiving.addReceiver(inn);
  await until('both sides ready', () => out.phase === 'ready' && inn.phase === 'ready', { every: 5 });
  return { port, sending, receiving, inn };
}
