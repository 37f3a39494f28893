import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CONTROL_HEADER_BYTES,
  type ControlFrame,
  decodeControlFrame,
  encodeControlFrame,
  isControlFrame,
  MAX_NAK_ENTRIES,
  type NakEntry,
  newStreamId,
} from '../../src/core/control-frame';
import { encodeMessage } from '../../src/core/lcm-codec';

const stream = '0123456789abcdef';
const u32 = fc.nat({ max: 0xffffffff });
const u16 = fc.nat({ max: 0xffff });
const streamId = fc.uint8Array({ minLength: 8, maxLength: 8 }).map((a) => Buffer.from(a).toString('hex'));
const datagram = (max = 1500) => fc.uint8Array({ minLength: 1, maxLength: max }).map((a) => Buffer.from(a));
const nakEntry: fc.Arbitrary<NakEntry> = fc.tuple(u32, u16, u16).map(([seq, a, b]) => ({ seq, first: Math.min(a, b), last: Math.max(a, b) }));
// Multibyte UTF-8 (2, 3 and 4 bytes a character) and whole-grapheme strings; never a lone surrogate, which has no UTF-8.
const filter = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('a', '/', '#', '+', 'ü', '€', '😀', '\uFEFF') }),
);

const anyFrame: fc.Arbitrary<ControlFrame> = fc.oneof(
  fc.record(
    { type: fc.constant('heartbeat' as const), stream: streamId, oldest: u32, newest: u32, intervalMs: u16, nakPort: u16 },
    { noNullPrototype: true },
  ),
  fc.record(
    { type: fc.constant('nak' as const), stream: streamId, entries: fc.array(nakEntry, { minLength: 1, maxLength: MAX_NAK_ENTRIES }) },
    { noNullPrototype: true },
  ),
  fc.record({ type: fc.constant('repair' as const), stream: streamId, datagram: datagram() }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('retained-request' as const), stream: streamId, nonce: u32, filter }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('retained-value' as const), stream: streamId, nonce: u32, datagram: datagram() }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('announce' as const), stream: streamId, text: filter.filter((t) => t.length > 0) }, { noNullPrototype: true }),
  fc.record({ type: fc.constant('goodbye' as const), stream: streamId }, { noNullPrototype: true }),
);

/** A control frame written by hand: header fields and body as given, so any of them can be wrong. */
function handmade(type: number, body: Buffer | string, { length, flags = 0 }: { length?: number; flags?: number } = {}): Buffer {
  const bodyBytes = typeof body === 'string' ? Buffer.from(body, 'hex') : body;
  const header = Buffer.from(`4d434231${type.toString(16).padStart(2, '0')}${flags.toString(16).padStart(2, '0')}0000${stream}`, 'hex');
  header.writeUInt16BE(length ?? bodyBytes.length, 6);
  return Buffer.concat([header, bodyBytes]);
}

const isFrameOrMalformed = (result: ReturnType<typeof decodeControlFrame>) =>
  'frame' in result ? typeof result.frame.type === 'string' : ['short', 'magic', 'length', 'type', 'body'].includes(result.malformed);

describe('control frames', () => {
  it('writes a heartbeat byte for byte, as the table in docs/reliability.md lays it out', () => {
    const bytes = encodeControlFrame({ type: 'heartbeat', stream, oldest: 0x01020304, newest: 0x05060708, intervalMs: 50, nakPort: 41000 });
    const fields: [offset: number, hex: string, field: string][] = [
      [0, '4d434231', 'magic "MCB1"'],
      [4, '01', 'type 1, heartbeat'],
      [5, '00', 'flags'],
      [6, '000c', 'length: a 12-byte body'],
      [8, '0123456789abcdef', 'stream id'],
      [16, '01020304', 'oldest'],
      [20, '05060708', 'newest'],
      [24, '0032', 'interval, 50 ms'],
      [26, 'a028', 'NAK port, 41000'],
    ];
    for (const [offset, hex, field] of fields) assert.equal(bytes.toString('hex', offset, offset + hex.length / 2), hex, field);
    assert.equal(bytes.length, CONTROL_HEADER_BYTES + 12);
    assert.equal(bytes.toString('latin1', 0, 4), 'MCB1');
  });

  it('writes a NAK as a count, then seq, first and last per entry', () => {
    const bytes = encodeControlFrame({
      type: 'nak',
      stream,
      entries: [
        { seq: 42, first: 0, last: 0xffff },
        { seq: 0xfffffffe, first: 3, last: 7 },
      ],
    });
    assert.equal(bytes.toString('hex'), `4d434231020000120123456789abcdef` + '0002' + '0000002a0000ffff' + 'fffffffe00030007');
  });

  it('writes the other bodies as nonce and datagram, or nonce and UTF-8 filter, or the datagram alone', () => {
    const lc02 = Buffer.from('4c4330320000000154000102', 'hex');
    assert.equal(encodeControlFrame({ type: 'repair', stream, datagram: lc02 }).toString('hex'), `4d4342310300000c${stream}${lc02.toString('hex')}`);
    assert.equal(
      encodeControlFrame({ type: 'retained-request', stream, nonce: 9, filter: 'a/ü' }).toString('hex'),
      `4d43423104000008${stream}00000009612fc3bc`,
    );
    assert.equal(
      encodeControlFrame({ type: 'retained-value', stream, nonce: 0, datagram: lc02 }).toString('hex'),
      `4d43423105000010${stream}00000000${lc02.toString('hex')}`,
    );
  });

  it('reads back every type it writes (property)', () => {
    fc.assert(
      fc.property(anyFrame, (frame) => {
        const bytes = encodeControlFrame(frame);
        assert.ok(isControlFrame(bytes));
        assert.equal(bytes.readUInt16BE(6), bytes.length - CONTROL_HEADER_BYTES);
        assert.deepEqual(decodeControlFrame(bytes), { frame });
      }),
      { numRuns: 2000 },
    );
  });

  it('reads a NAK of the full 64 entries and a 1,500-byte repair', () => {
    const entries = Array.from({ length: 64 }, (_, i) => ({ seq: i * 1000, first: i, last: i + 1 }));
    assert.deepEqual(decodeControlFrame(encodeControlFrame({ type: 'nak', stream, entries })), { frame: { type: 'nak', stream, entries } });
    const repair = { type: 'repair' as const, stream, datagram: Buffer.alloc(1500, 0xa5) };
    assert.deepEqual(decodeControlFrame(encodeControlFrame(repair)), { frame: repair });
  });

  it('hands out datagrams as views of the received bytes, not copies', () => {
    const bytes = encodeControlFrame({ type: 'retained-value', stream, nonce: 1, datagram: Buffer.from('LC02 etc') });
    const decoded = decodeControlFrame(bytes);
    assert.ok('frame' in decoded && decoded.frame.type === 'retained-value');
    assert.equal(decoded.frame.datagram.buffer, bytes.buffer);
    assert.equal(decoded.frame.datagram.byteOffset, bytes.byteOffset + CONTROL_HEADER_BYTES + 4);
  });

  it('ignores flag bits it does not know', () => {
    assert.deepEqual(decodeControlFrame(handmade(1, '000000010000000200320000', { flags: 0xff })), {
      frame: { type: 'heartbeat', stream, oldest: 1, newest: 2, intervalMs: 50, nakPort: 0 },
    });
  });

  it('never throws on arbitrary bytes, and always answers a frame or a reason (property)', () => {
    const bytes = fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a));
    // Bytes with the magic and a length that fits, so the body parsers are reached too, not only the header checks.
    const plausible = fc
      .tuple(fc.nat({ max: 7 }), fc.nat({ max: 255 }), fc.uint8Array({ maxLength: 600 }))
      .map(([type, flags, body]) => handmade(type, Buffer.from(body), { flags }));
    const nakish = fc
      .tuple(u16, fc.uint8Array({ maxLength: 600 }))
      .map(([count, rest]) => handmade(2, Buffer.concat([Buffer.from([count >> 8, count & 0xff]), rest])));
    fc.assert(
      fc.property(fc.oneof(bytes, plausible, nakish), (input) => assert.ok(isFrameOrMalformed(decodeControlFrame(input)))),
      { numRuns: 5000 },
    );
  });

  it('never throws on valid frames flipped, truncated or extended, and calls a wrong size malformed (property)', () => {
    fc.assert(
      fc.property(anyFrame, fc.nat(), fc.nat({ max: 7 }), fc.uint8Array({ minLength: 1, maxLength: 20 }), (frame, at, bit, extra) => {
        const bytes = encodeControlFrame(frame);
        const flipped = Buffer.from(bytes);
        flipped[at % flipped.length] ^= 1 << bit;
        assert.ok(isFrameOrMalformed(decodeControlFrame(flipped)));
        const truncated = decodeControlFrame(bytes.subarray(0, at % bytes.length));
        assert.ok('malformed' in truncated && ['short', 'length'].includes(truncated.malformed), JSON.stringify(truncated));
        assert.deepEqual(decodeControlFrame(Buffer.concat([bytes, extra])), { malformed: 'length' });
      }),
      { numRuns: 2000 },
    );
  });

  it('names the reason for each malformed frame', () => {
    const heartbeat = '000000010000000200320000';
    const cases: [input: Buffer, reason: string, what: string][] = [
      [handmade(1, heartbeat).subarray(0, 15), 'short', 'less than a header'],
      [Buffer.alloc(0), 'short', 'nothing at all'],
      [Buffer.concat([Buffer.from('LC02'), handmade(1, heartbeat).subarray(4)]), 'magic', 'LC02 where MCB1 belongs'],
      [handmade(1, heartbeat, { length: 13 }), 'length', 'a length past the end'],
      [handmade(1, heartbeat, { length: 11 }), 'length', 'a trailing byte the length does not cover'],
      [handmade(0, heartbeat), 'type', 'type 0'],
      [handmade(8, heartbeat), 'type', 'type 8'],
      [handmade(6, ''), 'body', 'an announcement of nothing'],
      [handmade(6, 'ff'), 'body', 'an announcement that is not UTF-8'],
      [handmade(7, '00'), 'body', 'a goodbye with a body'],
      [handmade(1, heartbeat.slice(2)), 'body', 'an 11-byte heartbeat'],
      [handmade(1, heartbeat + '00'), 'body', 'a 13-byte heartbeat'],
      [handmade(2, ''), 'body', 'a NAK without a count'],
      [handmade(2, '0000'), 'body', 'a NAK of 0 entries'],
      [handmade(2, '0041' + '0000000100000000'.repeat(65)), 'body', 'a NAK of 65 entries'],
      [handmade(2, '0002' + '0000000100000000'), 'body', 'a NAK with fewer entries than its count'],
      [handmade(2, '0001' + '0000000100000000'.repeat(2)), 'body', 'a NAK with more entries than its count'],
      [handmade(2, '0001' + '0000000100050004'), 'body', 'a NAK entry with first after last'],
      [handmade(3, ''), 'body', 'a repair of nothing'],
      [handmade(4, '000001'), 'body', 'a retained request without a whole nonce'],
      [handmade(4, '00000001ff'), 'body', 'a filter that is not UTF-8'],
      [handmade(4, '00000001eda080'), 'body', 'a filter with an encoded surrogate'],
      [handmade(4, '00000001c0af'), 'body', 'a filter with an overlong encoding'],
      [handmade(5, '00000001'), 'body', 'a retained value without a datagram'],
      [handmade(5, '000001'), 'body', 'a retained value without a whole nonce'],
    ];
    for (const [input, reason, what] of cases) assert.deepEqual(decodeControlFrame(input), { malformed: reason }, what);
    assert.deepEqual(
      decodeControlFrame(handmade(4, '00000007')),
      { frame: { type: 'retained-request', stream, nonce: 7, filter: '' } },
      'an empty filter is fine',
    );
  });

  it('tells control frames from LC02 and LC03 datagrams by their magic', () => {
    const lcm = [...encodeMessage('T', Buffer.alloc(10), 1, 1400), ...encodeMessage('BIG', Buffer.alloc(5000), 2, 1400)].map(([h, d]) =>
      Buffer.concat([h, d]),
    );
    assert.deepEqual(
      lcm.map((d) => d.toString('latin1', 0, 4)),
      ['LC02', 'LC03', 'LC03', 'LC03', 'LC03'],
    );
    for (const d of lcm) assert.equal(isControlFrame(d), false);
    fc.assert(fc.property(anyFrame, (frame) => isControlFrame(encodeControlFrame(frame))));
    assert.equal(isControlFrame(Buffer.from('MCB')), false, 'too short to hold the magic');
    assert.equal(isControlFrame(Buffer.from('MCB1')), true, 'magic only: decoding judges the rest');
  });

  it('refuses to write what the wire cannot carry', () => {
    const entry = { seq: 1, first: 0, last: 0xffff };
    const nak = (entries: NakEntry[], id = stream): ControlFrame => ({ type: 'nak', stream: id, entries });
    const refused: [frame: ControlFrame, what: string][] = [
      [nak([]), 'a NAK of 0 entries'],
      [nak(Array.from({ length: 65 }, () => entry)), 'a NAK of 65 entries'],
      [nak([{ seq: 1, first: 5, last: 4 }]), 'first after last'],
      [nak([{ seq: 2 ** 32, first: 0, last: 0 }]), 'seq past 32 bits'],
      [nak([{ seq: -1, first: 0, last: 0 }]), 'negative seq'],
      [nak([{ seq: 1.5, first: 0, last: 0 }]), 'fractional seq'],
      [nak([{ seq: 1, first: 0, last: 0x10000 }]), 'last past 16 bits'],
      [nak([entry], '0123456789ABCDEF'), 'upper-case stream id'],
      [nak([entry], '0123456789abcde'), '15 hex digits'],
      [nak([entry], '0123456789abcdef0'), '17 hex digits'],
      [nak([entry], '0123456789abcdeg'), 'not hex'],
      [nak([entry], ''), 'no stream id'],
      [{ type: 'heartbeat', stream, oldest: 0, newest: NaN, intervalMs: 50, nakPort: 0 }, 'NaN newest'],
      [{ type: 'heartbeat', stream, oldest: 0, newest: 0, intervalMs: 0x10000, nakPort: 0 }, 'interval past 16 bits'],
      [{ type: 'repair', stream, datagram: Buffer.alloc(0) }, 'an empty repair'],
      [{ type: 'repair', stream, datagram: Buffer.alloc(0x10000) }, 'a body of 65,536 bytes'],
      [{ type: 'retained-value', stream, nonce: 1, datagram: Buffer.alloc(0xffff - 3) }, 'nonce and datagram over 65,535 bytes'],
      [{ type: 'retained-value', stream, nonce: 2 ** 32, datagram: Buffer.alloc(1) }, 'nonce past 32 bits'],
      [{ type: 'retained-request', stream, nonce: 1, filter: 'a\uD800' }, 'a lone surrogate in the filter'],
    ];
    for (const [frame, what] of refused) assert.throws(() => encodeControlFrame(frame), RangeError, what);
    assert.equal(encodeControlFrame(nak(Array.from({ length: 64 }, () => entry))).length, CONTROL_HEADER_BYTES + 2 + 64 * 8, '64 entries go');
    assert.equal(
      encodeControlFrame({ type: 'repair', stream, datagram: Buffer.alloc(0xffff) }).length,
      CONTROL_HEADER_BYTES + 0xffff,
      'a body of 65,535 goes',
    );
  });

  it('makes a new random stream id each time, 16 lowercase hex digits', () => {
    const ids = Array.from({ length: 100 }, newStreamId);
    for (const id of ids) assert.match(id, /^[0-9a-f]{16}$/);
    assert.equal(new Set(ids).size, ids.length);
    const frame: ControlFrame = { type: 'heartbeat', stream: ids[0], oldest: 0, newest: 0, intervalMs: 1000, nakPort: 0 };
    assert.deepEqual(decodeControlFrame(encodeControlFrame(frame)), { frame });
  });
});
