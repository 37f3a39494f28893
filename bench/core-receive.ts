// The bus core's own receive path per message, without sockets, Node-RED or the kernel: an LC02 datagram decoded
// (sequence tracking in the one table of senders) and counted for its sender and topic, as the bus does for every
// message it hands on. Measured for one sender and for many in turn, so the table's size is the only difference: this
// is the share of the whole receiving Node-RED's cost per message (the swarm rows) that the number of senders can move.
import { encodeMessage } from '../src/core/lcm-codec';
import { LcmFraming } from '../src/core/lcm-framing';
import { SenderDirectory } from '../src/core/sender-directory';

const MESSAGES = 500_000;
const SEQUENCES = 64;

/** Nanoseconds per message through the core's receive path, with messages from `senders` senders in turn. */
function nsPerMessage(senders: number): number {
  const directory = new SenderDirectory({}, () => undefined);
  const framing = new LcmFraming({ maxDatagram: 1400, maxMessage: 1 << 20, senders: directory });
  const payload = Buffer.alloc(64);
  const remotes = Array.from({ length: senders }, (_, i) => ({
    address: `198.51.100.${11 + (i % 200)}`,
    port: 41000 + i,
    family: 'IPv4' as const,
    size: 0,
  }));
  const next = new Array<number>(senders).fill(0);
  // One datagram per sequence number modulo 64, its number rewritten before each use: no allocation in the loop.
  const datagrams = Array.from({ length: SEQUENCES }, (_, seq) => Buffer.concat(encodeMessage('bench', payload, seq, 1400)[0]));
  let elapsed = 0;
  // The first pass warms the JIT and fills the table; the second is measured.
  for (let pass = 0; pass < 2; pass++) {
    const start = process.hrtime.bigint();
    for (let n = 0; n < MESSAGES; n++) {
      const i = n % senders;
      const seq = next[i]++;
      const datagram = datagrams[seq % SEQUENCES];
      datagram.writeUInt32BE(seq, 4);
      for (const message of framing.decodeAll(datagram, remotes[i])) {
        const label = `${message.address}:${message.port}`;
        directory.heard(label, label, message.topic ?? '', message.payload, message.lostBefore ?? 0);
      }
    }
    elapsed = Number(process.hrtime.bigint() - start);
  }
  if (directory.listing().senders.length !== Math.min(senders, 1024))
    throw new Error(`the table lists ${directory.listing().senders.length} senders, not ${senders}`);
  return elapsed / MESSAGES;
}

export interface CoreReceive {
  senders: number;
  /** Median over rounds, in nanoseconds. */
  nsPerMessage: number;
}

/** Each sender count measured `rounds` times, alternating, so that the machine's drift falls on all of them alike. */
export function measureCoreReceive(senderCounts: number[], rounds = 5): CoreReceive[] {
  const samples = senderCounts.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) senderCounts.forEach((senders, i) => samples[i].push(nsPerMessage(senders)));
  return senderCounts.map((senders, i) => ({ senders, nsPerMessage: [...samples[i]].sort((a, b) => a - b)[Math.floor(rounds / 2)] }));
}
