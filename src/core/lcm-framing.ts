import type { RemoteInfo } from 'node:dgram';
import { isControlFrame } from './control-frame';
import { isBatch, packBatches, unpackBatch } from './batch-datagram';
import type { Batching, BusMessage, Framing } from './framing';
import { channelField, channelProblem, datagramCount, decodeDatagram, encodeMessage, type MalformedReason, type OutgoingDatagram } from './lcm-codec';
import { BusError } from './problem';
import { maxHoldingCost, Reassembler, type ReassemblerLimits } from './reassembler';
import type { SenderDirectory } from './sender-directory';
import { SequenceTracker } from './sequence-tracker';

export interface LcmFramingOptions {
  maxDatagram: number;
  maxMessage: number;
  /** Overrides of the reassembly caps; by default reassemblyBudget(maxMessage) bytes, 256 messages, 5 s. */
  reassembly?: Partial<ReassemblerLimits>;
  /**
   * Where the control frames of reliable delivery (MCB1) heard beside the data go, with the stream they belong to
   * (`origin`, as in decode: undefined for the UDP source); without it they count as malformed.
   */
  control?: (frame: Buffer, sender: RemoteInfo, origin: string | undefined) => void;
  /** The bus's table of senders, where each sender's sequence state is kept (by default one of the framing's own). */
  senders?: SenderDirectory;
}

const MIB = 1024 * 1024;

/** Bytes incomplete messages may hold by default: 4 messages' worth, at least 64 MiB, at most 256 MiB, but always
 * enough for one message of maxMessage bytes with all that holding it costs, however finely it is split. */
export function reassemblyBudget(maxMessage: number): number {
  return Math.max(maxHoldingCost(maxMessage), Math.min(4 * maxMessage, 256 * MIB), 64 * MIB);
}

/** LCM framing: LC02/LC03 datagrams with a channel, a sequence number per sender, fragments for large messages. */
export class LcmFraming implements Framing {
  private nextSeq = 0;
  private lastTopic: string | undefined;
  private lastChannel: Buffer = Buffer.alloc(0);
  private readonly reassembler: Reassembler;
  private readonly tracker: SequenceTracker;
  private readonly malformed: Record<MalformedReason | 'batch', number> = { short: 0, magic: 0, channel: 0, 'fragment-header': 0, batch: 0 };
  private readonly batchCounts = { batchesSent: 0, messagesPacked: 0, batchesHeard: 0, messagesUnpacked: 0 };
  readonly batching: Batching = {
    encodePlain: (topic, payload, plain) => this.encode(topic, payload, plain),
    pack: (messages) => {
      const datagrams = packBatches(messages, this.options.maxDatagram);
      // A message that went alone keeps the LC02 header encode gave it; a batch is one buffer, with no header apart.
      const alone = datagrams.filter(([header]) => header.length > 0).length;
      this.batchCounts.batchesSent += datagrams.length - alone;
      this.batchCounts.messagesPacked += messages.length - alone;
      return datagrams;
    },
    seal: (datagrams) => datagrams,
  };

  constructor(private readonly options: LcmFramingOptions) {
    this.tracker = new SequenceTracker(options.senders);
    this.reassembler = new Reassembler({
      maxMessage: options.maxMessage,
      maxBytes: reassemblyBudget(options.maxMessage),
      maxCount: 256,
      timeoutMs: 5000,
      ...options.reassembly,
    });
  }

  encode(topic: string, payload: Buffer, plain?: (datagrams: OutgoingDatagram[]) => void): OutgoingDatagram[] {
    this.checkTopicAndSize(topic, payload);
    // encodeMessage counts the fragments itself: a message that needs too many fails there, not counted twice.
    const datagrams = this.fragmentsOrThrow(payload, () => encodeMessage(topic, payload, this.nextSeq, this.options.maxDatagram, this.lastChannel));
    this.nextSeq = (this.nextSeq + 1) >>> 0;
    plain?.(datagrams);
    return datagrams;
  }

  check(topic: string, payload: Buffer): void {
    this.checkTopicAndSize(topic, payload);
    this.fragmentsOrThrow(payload, () => datagramCount(payload.length, this.options.maxDatagram, this.lastChannel.length));
  }

  private checkTopicAndSize(topic: string, payload: Buffer): void {
    // A flow mostly sends on one topic: check it and turn it into bytes once, not for every message.
    if (topic !== this.lastTopic) {
      const problem = channelProblem(topic);
      if (problem) throw new BusError({ code: `topic-${problem}`, params: { topic } });
      this.lastTopic = topic;
      this.lastChannel = channelField(topic);
    }
    if (payload.length > this.options.maxMessage) {
      throw new BusError({ code: 'message-too-large', params: { size: payload.length, limit: this.options.maxMessage } });
    }
  }

  /** Runs `split`, turning the RangeError of a message that cannot be split into datagrams into a BusError. */
  private fragmentsOrThrow<T>(payload: Buffer, split: () => T): T {
    try {
      return split();
    } catch (error) {
      throw new BusError({
        code: 'too-many-fragments',
        params: { size: payload.length, maxDatagram: this.options.maxDatagram, detail: String((error as Error).message) },
      });
    }
  }

  decodeAll(bytes: Buffer, sender: RemoteInfo, origin?: string): BusMessage[] {
    if (!isBatch(bytes)) {
      const message = this.decode(bytes, sender, origin);
      return message ? [message] : [];
    }
    const entries = unpackBatch(bytes);
    if (!entries) {
      this.malformed.batch++;
      return [];
    }
    this.batchCounts.batchesHeard++;
    this.batchCounts.messagesUnpacked += entries.length;
    const messages: BusMessage[] = [];
    for (const entry of entries) {
      const message = this.decode(entry, sender, origin);
      if (message) messages.push(message);
    }
    return messages;
  }

  decode(bytes: Buffer, sender: RemoteInfo, origin?: string): BusMessage | undefined {
    // Here, after a sealed framing opened the datagram: on a sealed bus only a key holder's control frame gets this far.
    if (this.options.control && isControlFrame(bytes)) {
      this.options.control(bytes, sender, origin);
      return undefined;
    }
    const from = origin ?? `${sender.address}:${sender.port}`;
    const unpacked = this.unpack(bytes, from);
    if (!unpacked) return undefined;
    const { seq } = unpacked;
    // A stream keyed by its session is still listed by the address and port it came from.
    const verdict = this.tracker.record(from, seq, origin === undefined ? from : `${sender.address}:${sender.port}`);
    // The sender's numbering started over (a restart, or a jump): what it completed before says nothing about its new messages.
    if (verdict.resynced) this.reassembler.forget(from);
    if (!verdict.deliver) return undefined;
    return message(unpacked, sender, verdict.lostBefore, origin);
  }

  decodeAside(bytes: Buffer, sender: RemoteInfo, origin?: string): BusMessage | undefined {
    const unpacked = this.unpack(bytes, origin ?? `${sender.address}:${sender.port}`);
    return unpacked && message(unpacked, sender, 0, origin);
  }

  repaired(sender: RemoteInfo, seq: number, fresh: boolean, origin?: string): void {
    this.tracker.repaired(origin ?? `${sender.address}:${sender.port}`, seq, fresh);
  }

  /** A whole message from a datagram (reassembled when it is the last fragment missing), or undefined (counted). */
  private unpack(bytes: Buffer, from: string): { seq: number; channel: string; payload: Buffer } | undefined {
    const datagram = decodeDatagram(bytes);
    if (datagram.kind === 'malformed') {
      this.malformed[datagram.reason]++;
      return undefined;
    }
    if (datagram.kind === 'message') {
      if (datagram.payload.length > this.options.maxMessage) {
        this.reassembler.counts.discarded++;
        return undefined;
      }
      return datagram;
    }
    const result = this.reassembler.accept(from, datagram);
    return result.kind === 'complete' ? result : undefined;
  }

  tick(): void {
    this.reassembler.expire();
  }

  stats(): Record<string, unknown> {
    return {
      malformed: { ...this.malformed },
      batches: { ...this.batchCounts },
      reassembly: { ...this.reassembler.counts, pending: this.reassembler.pending, bytesHeld: this.reassembler.bytesHeld },
      senders: this.tracker.snapshot(),
      sequence: { ...this.tracker.counts },
    };
  }

  lost(): number {
    return this.tracker.totalLost();
  }

  dropped(): number {
    return Object.values(this.malformed).reduce((sum, n) => sum + n, 0) + this.reassembler.counts.discarded;
  }
}

/** A decoded message; it names its origin only when that is not its UDP source (a sealed session). */
function message(
  { seq, channel, payload }: { seq: number; channel: string; payload: Buffer },
  sender: RemoteInfo,
  lostBefore: number,
  origin: string | undefined,
): BusMessage {
  const decoded: BusMessage = { payload, topic: channel, address: sender.address, port: sender.port, seq, lostBefore };
  if (origin !== undefined) decoded.origin = origin;
  return decoded;
}
