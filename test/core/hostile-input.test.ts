// Property-based tests of every decoder: whatever bytes arrive, nothing throws out of the receive path, memory stays
// within its caps, and what is encoded decodes back to the same message.
import assert from 'node:assert/strict';
import type { RemoteInfo } from 'node:dgram';
import fc from 'fast-check';
import { decodeDatagram, encodeMessage } from '../../src/core/lcm-codec';
import { LcmFraming } from '../../src/core/lcm-framing';
import { RawFraming } from '../../src/core/raw-framing';
import { Reassembler } from '../../src/core/reassembler';
import { SEALED_OVERHEAD } from '../../src/core/sealed-frame';
import { SealedFraming } from '../../src/core/sealed-framing';

const from: RemoteInfo = { address: '203.0.113.66', port: 6666, family: 'IPv4', size: 0 };
const bytes = (max = 2000) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const magic = (hex: string) => fc.tuple(bytes(200)).map(([rest]) => Buffer.concat([Buffer.from(hex, 'hex'), rest]));
// Arbitrary bytes, and bytes that start like each kind of frame, so the deeper parsing is reached too.
const hostileDatagram = fc.oneof(bytes(), magic('4c433032'), magic('4c433033'), magic('4d435331'), magic('4d435332'), magic('4d434250'));

describe('hostile input (property-based)', () => {
  it('decodeDatagram never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(hostileDatagram, (datagram) => {
        assert.ok(['message', 'fragment', 'malformed'].includes(decodeDatagram(datagram).kind));
      }),
      { numRuns: 5000 },
    );
  });

  it('the LCM and sealed receive paths never throw, whatever arrives', () => {
    const lcm = new LcmFraming({ maxDatagram: 1400, maxMessage: 1 << 20 });
    const sealed = new SealedFraming(
      new LcmFraming({ maxDatagram: 1400 - SEALED_OVERHEAD, maxMessage: 1 << 20 }),
      { current: Buffer.alloc(32, 1) },
      60_000,
    );
    fc.assert(
      fc.property(fc.array(hostileDatagram, { maxLength: 20 }), (datagrams) => {
        for (const datagram of datagrams) {
          lcm.decodeAll(datagram, from);
          sealed.decodeAll(datagram, from);
        }
        lcm.tick();
      }),
      { numRuns: 2000 },
    );
  });

  it('what LCM framing encodes decodes to the same topic and bytes, for any channel, payload and datagram size', () => {
    const channel = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((c) => !c.includes('\0') && Buffer.byteLength(c) <= 63);
    fc.assert(
      fc.property(channel, bytes(20_000), fc.integer({ min: 160, max: 3000 }), fc.boolean(), (topic, payload, maxDatagram, shuffle) => {
        const sender = new LcmFraming({ maxDatagram, maxMessage: 1 << 20 });
        const receiver = new LcmFraming({ maxDatagram, maxMessage: 1 << 20 });
        const datagrams = sender.encode(topic, payload).map(([h, d]) => Buffer.concat([h, d]));
        assert.ok(datagrams.every((d) => d.length <= maxDatagram));
        if (shuffle) datagrams.reverse();
        const heard = datagrams.map((d) => receiver.decode(d, from)).filter((m) => m !== undefined);
        assert.equal(heard.length, 1);
        assert.equal(heard[0]!.topic, topic);
        assert.deepEqual(heard[0]!.payload, payload);
      }),
      { numRuns: 300 },
    );
  });

  it('the reassembler keeps within its byte and message caps under any stream of fragments', () => {
    const fragment = fc.record({
      sender: fc.constantFrom('a:1', 'b:2', 'c:3'),
      seq: fc.integer({ min: 0, max: 40 }),
      size: fc.integer({ min: 0, max: 5_000_000 }),
      offset: fc.integer({ min: 0, max: 5_000_000 }),
      index: fc.integer({ min: 0, max: 70 }),
      count: fc.integer({ min: 1, max: 65535 }),
      length: fc.integer({ min: 0, max: 1500 }),
    });
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 300 }), (stream) => {
        const limits = { maxMessage: 4_000_000, maxBytes: 200_000, maxCount: 16, timeoutMs: 5000 };
        const r = new Reassembler(limits);
        for (const f of stream) {
          r.accept(f.sender, {
            seq: f.seq,
            size: f.size,
            offset: f.offset,
            index: f.index % f.count,
            count: f.count,
            channel: 'X',
            data: Buffer.alloc(f.length),
          });
          assert.ok(r.bytesHeld <= limits.maxBytes, `held ${r.bytesHeld}`);
          assert.ok(r.pending <= limits.maxCount);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('every fragment LCM framing sends is one the receiver takes, for any payload and datagram size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200_000 }),
        fc.integer({ min: 90, max: 65_507 }),
        fc.string({ minLength: 1, maxLength: 63 }),
        (size, maxDatagram, channel) => {
          fc.pre(Buffer.byteLength(channel) <= 63 && !channel.includes('\0'));
          for (const [header, data] of encodeMessage(channel, Buffer.alloc(size), 1, maxDatagram)) {
            assert.notEqual(decodeDatagram(Buffer.concat([header, data])).kind, 'malformed');
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('raw framing passes any bytes through untouched', () => {
    const raw = new RawFraming('IPv4');
    fc.assert(fc.property(bytes(), (datagram) => assert.equal(raw.decode(datagram, from).payload, datagram)));
  });

  it('encodeMessage refuses nothing it can carry and splits at most into 65,535 fragments', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 90, max: 65_507 }), (size, maxDatagram) => {
        const datagrams = encodeMessage('CH', Buffer.alloc(size), 1, maxDatagram);
        assert.ok(datagrams.length >= 1 && datagrams.length <= 65_535);
      }),
      { numRuns: 300 },
    );
  });
});
