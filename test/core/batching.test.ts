// Batching (docs/wire-format.md "Batches"): small messages published together go out packed into few datagrams,
// each still a whole LC02 message with its own topic and number; any LCM bus reads them, and a malformed batch is
// counted and dropped, never thrown.
import assert from 'node:assert/strict';
import type { RemoteInfo } from 'node:dgram';
import fc from 'fast-check';
import { BATCH_MAGIC, isBatch, packBatches, unpackBatch } from '../../src/core/batch-datagram';
import { parseBusSettings } from '../../src/core/bus-settings';
import { encodeControlFrame } from '../../src/core/control-frame';
import { encodeMessage, type OutgoingDatagram } from '../../src/core/lcm-codec';
import { LcmFraming } from '../../src/core/lcm-framing';
import { MulticastBus } from '../../src/core/multicast-bus';
import { SEALED_OVERHEAD } from '../../src/core/sealed-frame';
import { SealedFraming } from '../../src/core/sealed-framing';
import { listener, numbers, openPair } from '../support/bus-listener';
import { nextPort } from '../support/ports';
import { requirePrivateNetwork } from '../support/private-network';
import { until } from '../support/until';

const from: RemoteInfo = { address: '198.51.100.7', port: 7000, family: 'IPv4', size: 0 };
const whole = ([header, data]: OutgoingDatagram) => Buffer.concat([header, data]);
const lc02 = (topic: string, text: string, seq: number) => encodeMessage(topic, Buffer.from(text), seq, 1400)[0];

/** A batch datagram written by hand: the magic, then each entry as its length and its bytes. */
function handBatch(entries: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0x4d, 0x43, 0x42, 0x50])];
  for (const entry of entries) parts.push(Buffer.from([entry.length >> 8, entry.length & 0xff]), entry);
  return Buffer.concat(parts);
}

describe('batching', () => {
  describe('the batch datagram', () => {
    it('packs messages in order into datagrams no larger than asked, and a message alone stays plain LC02', () => {
      const messages = Array.from({ length: 40 }, (_, i) => lc02('sensors/t', `reading ${i}`, i));
      const packed = packBatches(messages, 300);
      assert.ok(packed.every((d) => whole(d).length <= 300));
      const entries = packed.flatMap((d) => (isBatch(whole(d)) ? unpackBatch(whole(d))! : [whole(d)]));
      assert.deepEqual(entries, messages.map(whole), 'every message, in order, byte for byte');
      assert.ok(packed.length < 40 / 5, `${packed.length} datagrams for 40 messages`);
      // One message: as it is, the header and payload apart, as LCM peers read it.
      assert.deepEqual(packBatches([messages[0]], 1400), [messages[0]]);
    });

    it('gives each message bytes of its own, so a message kept does not keep the whole batch alive', () => {
      const [[, packed]] = packBatches([lc02('A', 'x'.repeat(40), 1), lc02('B', 'y', 2)], 1400);
      // A datagram as the socket hands it over: in memory of its own.
      const memory = new ArrayBuffer(packed.length);
      const datagram = Buffer.from(memory);
      packed.copy(datagram);
      const entries = unpackBatch(datagram)!;
      assert.equal(entries.length, 2);
      for (const entry of entries) assert.notEqual(entry.buffer, memory);
    });

    it('is written as the wire format says: "MCBP", then a 16-bit length before each LC02 message', () => {
      const [a, b] = [lc02('A', 'x', 1), lc02('B', 'yy', 2)];
      const [[header, batch]] = packBatches([a, b], 1400);
      assert.equal(header.length, 0);
      assert.equal(batch.readUInt32BE(0), BATCH_MAGIC);
      assert.deepEqual(batch, handBatch([whole(a), whole(b)]));
    });

    it('refuses what is not a batch of whole LC02 messages: a fragment, a control frame, a nested batch, a length past the end', () => {
      const fragment = whole(encodeMessage('F', Buffer.alloc(3000), 1, 1400)[0]);
      const control = encodeControlFrame({ type: 'goodbye', stream: '00000000000000aa' });
      const good = whole(lc02('G', 'ok', 1));
      for (const bad of [
        handBatch([good, fragment]),
        handBatch([good, control]),
        handBatch([good, handBatch([good])]),
        handBatch([good]).subarray(0, 10),
        Buffer.concat([handBatch([good]), Buffer.from([0])]),
        handBatch([]),
      ]) {
        assert.equal(unpackBatch(bad), undefined, bad.toString('hex'));
      }
    });

    it('never throws and never gives more entries than fit, whatever follows the magic (property-based)', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 3000 }), (rest) => {
          const bytes = Buffer.concat([Buffer.from('MCBP'), Buffer.from(rest)]);
          const entries = unpackBatch(bytes);
          if (entries) assert.ok(entries.length <= bytes.length / 11);
        }),
        { numRuns: 3000 },
      );
    });
  });

  describe('in the framing', () => {
    it('LCM framing hands every message of a batch on with its own topic and number, and counts a gap inside it', () => {
      const sender = new LcmFraming({ maxDatagram: 1400, maxMessage: 1 << 20 });
      const receiver = new LcmFraming({ maxDatagram: 1400, maxMessage: 1 << 20 });
      const plain = [0, 1, 2, 3, 4].map((i) => sender.batching.encodePlain(`t/${i}`, Buffer.from(`m${i}`))[0]);
      // The third message never made it into the batch: the receiver counts one lost before the fourth.
      const [[, batch]] = sender.batching.pack(plain.filter((_, i) => i !== 2));
      const heard = receiver.decodeAll(batch, from);
      assert.deepEqual(
        heard.map((m) => [m.topic, m.payload.toString(), m.seq, m.lostBefore]),
        [
          ['t/0', 'm0', 0, 0],
          ['t/1', 'm1', 1, 0],
          ['t/3', 'm3', 3, 1],
          ['t/4', 'm4', 4, 0],
        ],
      );
      assert.deepEqual(receiver.stats().batches, { batchesSent: 0, messagesPacked: 0, batchesHeard: 1, messagesUnpacked: 4 });
      assert.deepEqual(sender.stats().batches, { batchesSent: 1, messagesPacked: 4, batchesHeard: 0, messagesUnpacked: 0 });
    });

    it('counts a malformed batch as malformed and drops it', () => {
      const receiver = new LcmFraming({ maxDatagram: 1400, maxMessage: 1 << 20 });
      assert.deepEqual(receiver.decodeAll(handBatch([whole(lc02('G', 'ok', 1)), Buffer.from('LC03junkjunk')]), from), []);
      assert.equal((receiver.stats().malformed as Record<string, number>).batch, 1);
      assert.equal(receiver.dropped(), 1);
    });

    it('a sealed bus seals a batch once, and opens it into every message', () => {
      const key = { current: Buffer.alloc(32, 3) };
      const sealed = () => new SealedFraming(new LcmFraming({ maxDatagram: 1400 - SEALED_OVERHEAD, maxMessage: 1 << 20 }), key, 60_000);
      const [sender, receiver] = [sealed(), sealed()];
      const plain = Array.from({ length: 30 }, (_, i) => sender.batching!.encodePlain('sealed/t', Buffer.from(`${i}`))[0]);
      const datagrams = sender.batching!.pack(plain);
      assert.equal(datagrams.length, 1, 'thirty small messages, one sealed datagram');
      assert.ok(whole(datagrams[0]).length <= 1400);
      const heard = receiver.decodeAll(whole(datagrams[0]), from);
      assert.deepEqual(
        numbers(heard),
        Array.from({ length: 30 }, (_, i) => i),
      );
    });
  });

  describe('on a bus', function () {
    this.timeout(10_000);
    const buses: MulticastBus[] = [];
    beforeEach(function () {
      requirePrivateNetwork(this);
    });
    afterEach(async () => {
      await Promise.all(buses.splice(0).map((bus) => bus.close()));
    });
    const bus = (port: number, fields: Record<string, unknown>) => {
      const parsed = parseBusSettings({ group: '239.255.76.92', port, iface: 'lo', ttl: 0, framing: 'lcm', announce: false, ...fields });
      if (!('settings' in parsed)) throw new Error(JSON.stringify(parsed));
      const made = new MulticastBus(parsed.settings);
      buses.push(made);
      return made;
    };

    it('sends 1,000 small messages published in one turn as few datagrams, delivered in order to a bus that does not batch', async () => {
      // openPair makes the sending bus first: it batches, the receiving one does not.
      const { sending, receiving, inn } = await openPair((port) => bus(port, { batch: buses.length === 0 }));
      await Promise.all(Array.from({ length: 1000 }, (_, i) => sending.publish('burst', Buffer.from(String(i)))));
      await until(
        () => `all 1,000 (${inn.messages.length})`,
        () => inn.messages.length === 1000,
      );
      assert.deepEqual(
        numbers(inn.messages),
        Array.from({ length: 1000 }, (_, i) => i),
      );
      assert.equal(receiving.summary().lost, 0);
      const datagrams = receiving.stats().datagrams as number;
      assert.ok(datagrams <= 1000 / 20, `${datagrams} datagrams for 1,000 messages`);
    });

    it('sends a message published alone as plain LC02, and a large one in fragments after the batch before it', async () => {
      const { sending, receiving, inn } = await openPair((port) => bus(port, { batch: true }));
      await sending.publish('alone', Buffer.from('1'));
      await until('the lone message', () => inn.messages.length === 1);
      assert.deepEqual((receiving.stats().batches as Record<string, number>).batchesHeard, 0, 'no batch for one message');
      const large = Buffer.alloc(10_000, 7);
      await Promise.all([sending.publish('small', Buffer.from('2')), sending.publish('large', large), sending.publish('small', Buffer.from('3'))]);
      await until('three more', () => inn.messages.length === 4);
      assert.deepEqual(
        inn.messages.map((m) => m.topic),
        ['alone', 'small', 'large', 'small'],
      );
      assert.deepEqual(inn.messages[2].payload, large);
    });

    it('sends what was batched before its last sender leaves, ahead of the goodbye', async () => {
      const port = nextPort();
      const sending = bus(port, { batch: true, announce: true });
      const receiving = bus(port, {});
      // A sender, not a listener: the bus tells them apart by onMessage.
      const out = { phase: '', onState: (state: { phase: string }) => (out.phase = state.phase) };
      const inn = Object.assign(listener(), { presence: true });
      sending.addSender(out);
      receiving.addReceiver(inn);
      await until('both sides ready', () => out.phase === 'ready' && inn.phase === 'ready', { every: 5 });
      await until('the online event', () => inn.messages.some((m) => m.event?.event === 'online'));
      const sent = [sending.publish('last/words', Buffer.from('1')), sending.publish('last/words', Buffer.from('2'))];
      const leaving = sending.remove(out);
      await Promise.all([...sent, leaving]);
      await until(
        () =>
          `the messages and the goodbye: ${JSON.stringify(inn.messages.map((m) => m.topic + (m.event ? ':' + m.event.event : '')))} ${JSON.stringify(receiving.stats().presence)} ${JSON.stringify(sending.stats().presence)}`,
        () => inn.messages.some((m) => m.event?.event === 'offline'),
      );
      assert.deepEqual(
        inn.messages.filter((m) => !m.event || m.event.event === 'offline').map((m) => m.topic),
        ['last/words', 'last/words', '$bus/presence'],
        'both messages, then offline',
      );
    });

    it('rejects a message that cannot be sent at once, and sends the rest of its turn', async () => {
      const { sending, inn } = await openPair((port) => bus(port, { batch: true, maxMessage: 100 }));
      const results = await Promise.allSettled([
        sending.publish('ok', Buffer.from('1')),
        sending.publish('too/large', Buffer.alloc(101)),
        sending.publish('ok', Buffer.from('2')),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      await until('both others', () => inn.messages.length === 2);
      assert.deepEqual(numbers(inn.messages), [1, 2]);
    });
  });
});
