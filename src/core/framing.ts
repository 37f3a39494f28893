import type { RemoteInfo } from 'node:dgram';
import type { ControlSealing } from './control-sealing';
import type { OutgoingDatagram } from './lcm-codec';
import type { PresenceEvent } from './sender-directory';

/** One message as heard on the bus: what the flow receives. */
export interface BusMessage {
  payload: Buffer;
  /** The LCM channel; undefined on raw framing, which carries none. */
  topic?: string;
  address: string;
  port: number;
  /** The sender's sequence number (LCM framing). */
  seq?: number;
  /** Messages from this sender lost just before this one (LCM framing). */
  lostBefore?: number;
  /** A retained value a listener asked for when it registered, not a message sent now (reliable delivery). */
  retained?: boolean;
  /**
   * The stream it belongs to when that is not its UDP source: the authenticated session on a sealed bus. Reliable
   * delivery follows streams by it; flows see address and port.
   */
  origin?: string;
  /** A presence event the bus made itself (topic `$bus/presence`): the flow gets it as msg.payload, as it is. */
  event?: PresenceEvent;
}

/** How messages become datagrams and back. One instance per bus; it keeps its own counters. */
export interface Framing {
  /**
   * The datagrams for one message; throws a BusError when the message cannot be sent. `plain` sees them as the inner
   * framing made them, before any sealing: what reliable delivery keeps, since a repair is sealed as a whole.
   */
  encode(topic: string, payload: Buffer, plain?: (datagrams: OutgoingDatagram[]) => void): OutgoingDatagram[];
  /** Throws the BusError encode would, without encoding: nothing is numbered or sealed. */
  check(topic: string, payload: Buffer): void;
  /**
   * The message a datagram completes, or undefined (a fragment, a duplicate, or malformed: counted). `origin` names the
   * stream the datagram belongs to, for per-sender state (sequence numbers, reassembly): a sealed bus passes the
   * authenticated session; by default it is the UDP source "address:port".
   */
  decode(bytes: Buffer, sender: RemoteInfo, origin?: string): BusMessage | undefined;
  /**
   * Every message a datagram completes: what decode gives for one message, or each message of a batch (LCM framing
   * reads batches whatever its own setting). What the bus calls for each datagram it hears.
   */
  decodeAll(bytes: Buffer, sender: RemoteInfo, origin?: string): BusMessage[];
  /** How messages published together go out in fewer datagrams; absent where the framing cannot batch (raw). */
  readonly batching?: Batching;
  /**
   * Decodes a datagram that came inside a repair or a retained value: reassembled like any, but past the sequence
   * tracker (the reliable receiver orders and dedupes it); already opened on a sealed bus. `origin` as in decode.
   * Only LCM framing has it.
   */
  decodeAside?(bytes: Buffer, sender: RemoteInfo, origin?: string): BusMessage | undefined;
  /** A repaired message (from decodeAside) was taken: the loss the sequence tracker counted for it is taken back. */
  repaired?(sender: RemoteInfo, seq: number, fresh: boolean, origin?: string): void;
  /** How control frames travel with this framing: sealed by a sealed framing; absent, as they are (plainControl). */
  readonly control?: ControlSealing;
  /** Periodic housekeeping, e.g. expiring incomplete messages. */
  tick(): void;
  /** Counters for the stats route, as plain JSON. */
  stats(): Record<string, unknown>;
  /** Messages lost over all senders, for the status text. */
  lost(): number;
  /** Datagrams dropped as malformed, forged, replayed or unsealed, for the status text. */
  dropped(): number;
}

/**
 * Batching (LCM framing, sealed or not): messages are numbered as they are published, and packed when the turn of the
 * event loop they were published in ends; a sealed bus seals each packed datagram once.
 */
export interface Batching {
  /** A message's datagrams, numbered now, not yet sealed; `plain` sees them as encode's does. */
  encodePlain(topic: string, payload: Buffer, plain?: (datagrams: OutgoingDatagram[]) => void): OutgoingDatagram[];
  /** Datagrams for the socket: one-datagram messages published together, packed in order into as few as fit, sealed. */
  pack(messages: OutgoingDatagram[]): OutgoingDatagram[];
  /** Datagrams for the socket: the fragments of a larger message, as they are, sealed on a sealed bus. */
  seal(datagrams: OutgoingDatagram[]): OutgoingDatagram[];
}
