import type { RemoteInfo } from 'node:dgram';
import type { BusMessage, Framing } from './framing';
import type { OutgoingDatagram } from './lcm-codec';
import { type AddressFamily, MAX_DATAGRAM_PAYLOAD } from './multicast-address';
import { BusError } from './problem';

const EMPTY = Buffer.alloc(0);

/** Raw framing: a message is one datagram, its payload and nothing else; what plain UDP devices speak. */
export class RawFraming implements Framing {
  /** `overhead`: bytes a wrapping framing adds to each datagram (sealing), taken off the limit. */
  constructor(
    private readonly family: AddressFamily,
    private readonly overhead = 0,
  ) {}

  encode(topic: string, payload: Buffer, plain?: (datagrams: OutgoingDatagram[]) => void): OutgoingDatagram[] {
    this.check(topic, payload);
    const datagrams: OutgoingDatagram[] = [[EMPTY, payload]];
    plain?.(datagrams);
    return datagrams;
  }

  check(_topic: string, payload: Buffer): void {
    const limit = MAX_DATAGRAM_PAYLOAD[this.family] - this.overhead;
    if (payload.length > limit) throw new BusError({ code: 'too-large', params: { size: payload.length, limit, family: this.family } });
  }

  decodeAll(bytes: Buffer, sender: RemoteInfo): BusMessage[] {
    return [this.decode(bytes, sender)];
  }

  decode(bytes: Buffer, sender: RemoteInfo): BusMessage {
    return { payload: bytes, address: sender.address, port: sender.port };
  }

  tick(): void {}

  stats(): Record<string, unknown> {
    return {};
  }

  lost(): number {
    return 0;
  }

  dropped(): number {
    return 0;
  }
}
