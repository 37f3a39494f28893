// A sender's large messages (LC03 fragments) must be followed across a restart and past forged fragments, as its
// small ones are: the reassembler's memory of completed messages may never hide a new message with the same number.
import assert from 'node:assert/strict';
import type { RemoteInfo } from 'node:dgram';
import type { BusMessage } from '../../src/core/framing';
import { LcmFraming } from '../../src/core/lcm-framing';

const SENDER: RemoteInfo = { address: '198.51.100.7', port: 7667, family: 'IPv4', size: 0 };
const options = { maxDatagram: 1400, maxMessage: 1 << 20 };

/** `count` messages of 3,000 bytes (3 fragments each) from a sender started afresh, as datagrams. */
function messagesOfNewSender(count: number, topic = 'CAMERA'): Buffer[][] {
  const sender = new LcmFraming(options);
  return Array.from({ length: count }, (_, i) => sender.encode(topic, Buffer.alloc(3000, i)).map(([header, data]) => Buffer.concat([header, data])));
}

/** A single-fragment LC03 message numbered `seq` that claims 5 bytes, as anyone on the LAN can send. */
function forgedFragment(seq: number): Buffer {
  const datagram = Buffer.alloc(20 + 'CAMERA\0'.length + 5);
  datagram.writeUInt32BE(0x4c433033, 0);
  datagram.writeUInt32BE(seq, 4);
  datagram.writeUInt32BE(5, 8);
  datagram.writeUInt16BE(1, 18);
  datagram.write('CAMERA\0forge', 20, 'latin1');
  return datagram;
}

function deliver(receiver: LcmFraming, messages: Buffer[][]): BusMessage[] {
  return messages.flat().flatMap((datagram) => receiver.decode(datagram, SENDER) ?? []);
}

describe('fragmented messages across a restart and forged fragments', () => {
  it('follows a sender on a fixed address and port that restarts: its large messages are delivered again from the second', () => {
    const receiver = new LcmFraming(options);
    assert.equal(deliver(receiver, messagesOfNewSender(20)).length, 20);
    const afterRestart = deliver(receiver, messagesOfNewSender(20));
    assert.ok(afterRestart.length >= 18, `${afterRestart.length} of 20 delivered after the restart`);
    assert.deepEqual(
      afterRestart.map((m) => m.payload[0]),
      Array.from({ length: 19 }, (_, i) => i + 1),
      'the second message on, each once, with its own payload',
    );
    const stats = receiver.stats() as { senders: Record<string, { lost: number; lastSeq: number }>; sequence: { resyncs: number } };
    assert.equal(stats.sequence.resyncs, 1);
    assert.equal(stats.senders['198.51.100.7:7667'].lastSeq, 19);
    assert.ok(stats.senders['198.51.100.7:7667'].lost <= 1, 'only the held-back first message counts as lost');
  });

  it('still drops a second copy of every large message (two network paths)', () => {
    const receiver = new LcmFraming(options);
    const messages = messagesOfNewSender(40);
    const twice = messages.flatMap((message, i) => (i < 2 ? [message] : [message, messages[i - 2]]));
    assert.deepEqual(
      deliver(receiver, twice).map((m) => m.seq),
      Array.from({ length: 40 }, (_, i) => i),
    );
  });

  it('delivers an honest large message after a forged single fragment with its number, far ahead, completed first', () => {
    const receiver = new LcmFraming(options);
    const honest = messagesOfNewSender(200);
    const heard = deliver(receiver, honest.slice(0, 10));
    // One forged one-fragment message for each of the numbers 100-199, before the honest stream gets there.
    for (let seq = 100; seq < 200; seq++) receiver.decode(forgedFragment(seq), SENDER);
    heard.push(...deliver(receiver, honest.slice(10)));
    assert.deepEqual(
      heard.filter((m) => m.payload.length === 3000).map((m) => m.seq),
      Array.from({ length: 200 }, (_, i) => i),
      'every honest message, once',
    );
    assert.equal(receiver.lost(), 0);
  });
});
