import assert from 'node:assert/strict';
import { channelProblem, decodeDatagram, encodeMessage, fragmentFits, type OutgoingDatagram } from '../../src/core/lcm-codec';
import { Reassembler } from '../../src/core/reassembler';

const joined = ([header, data]: OutgoingDatagram) => Buffer.concat([header, data]);

describe('LCM codec', () => {
  it('writes a small message as one LC02 datagram, byte for byte', () => {
    const [datagram, ...rest] = encodeMessage('EXAMPLE', Buffer.from([1, 2, 3]), 0x01020304, 1400);
    assert.equal(rest.length, 0);
    assert.equal(joined(datagram).toString('hex'), '4c433032' + '01020304' + Buffer.from('EXAMPLE\0').toString('hex') + '010203');
  });

  it('reads back what it writes', () => {
    const payload = Buffer.from('{"celsius":21.5}');
    const decoded = decodeDatagram(joined(encodeMessage('sensors/kitchen', payload, 7, 1400)[0]));
    assert.deepEqual(decoded, { kind: 'message', seq: 7, channel: 'sensors/kitchen', payload });
  });

  it('fragments a large message into LC03 datagrams of at most maxDatagram bytes, channel in the first only', () => {
    const payload = Buffer.alloc(5000, 0xab);
    const datagrams = encodeMessage('BIG', payload, 9, 1400).map(joined);
    // 1376 bytes of data after the header and "BIG\0", then 1380 per fragment, and 864 left for the last.
    assert.deepEqual(
      datagrams.map((d) => d.length),
      [1400, 1400, 1400, 20 + 864],
    );
    const first = datagrams[0];
    assert.equal(first.readUInt32BE(0), 0x4c433033);
    assert.equal(first.readUInt32BE(4), 9);
    assert.equal(first.readUInt32BE(8), 5000);
    assert.equal(first.readUInt32BE(12), 0);
    assert.equal(first.readUInt16BE(16), 0);
    assert.equal(first.readUInt16BE(18), datagrams.length);
    assert.equal(first.toString('utf8', 20, 24), 'BIG\0');
    const second = decodeDatagram(datagrams[1]);
    assert.ok(second.kind === 'fragment');
    assert.equal(second.channel, undefined);
    assert.equal(second.offset, 1400 - 20 - 4);
    const total = datagrams.map(decodeDatagram).reduce((sum, d) => sum + (d.kind === 'fragment' ? d.data.length : 0), 0);
    assert.equal(total, 5000);
  });

  it('sends the payload without copying it', () => {
    const payload = Buffer.alloc(3000, 1);
    const datagrams = encodeMessage('T', payload, 1, 1400);
    assert.equal(datagrams[0][1].buffer, payload.buffer);
    assert.equal(datagrams[0][1].byteOffset, payload.byteOffset);
  });

  it('wraps the sequence number at 2^32', () => {
    assert.equal(joined(encodeMessage('T', Buffer.alloc(1), 2 ** 32, 1400)[0]).readUInt32BE(4), 0);
    assert.equal(joined(encodeMessage('T', Buffer.alloc(1), 2 ** 32 - 1, 1400)[0]).readUInt32BE(4), 0xffffffff);
  });

  it('refuses a message that needs more than 65,535 fragments', () => {
    assert.throws(() => encodeMessage('T', Buffer.alloc(200 * 65536), 1, 200), RangeError);
  });

  it('names every malformed datagram instead of throwing', () => {
    const lc02 = (rest: string) => Buffer.concat([Buffer.from('4c43303200000001', 'hex'), Buffer.from(rest, 'latin1')]);
    assert.deepEqual(decodeDatagram(Buffer.from('4c4330', 'hex')), { kind: 'malformed', reason: 'short' });
    assert.deepEqual(decodeDatagram(Buffer.from('deadbeef00000000', 'hex')), { kind: 'malformed', reason: 'magic' });
    assert.deepEqual(decodeDatagram(lc02('NO-TERMINATOR')), { kind: 'malformed', reason: 'channel' });
    assert.deepEqual(decodeDatagram(lc02('x'.repeat(64) + '\0')), { kind: 'malformed', reason: 'channel' });
    assert.equal(decodeDatagram(lc02('x'.repeat(63) + '\0')).kind, 'message');
    const lc03 = (index: number, count: number) => {
      const b = Buffer.alloc(24);
      b.writeUInt32BE(0x4c433033, 0);
      b.writeUInt16BE(index, 16);
      b.writeUInt16BE(count, 18);
      b.write('T\0', 20);
      return b;
    };
    assert.deepEqual(decodeDatagram(lc03(0, 1).subarray(0, 19)), { kind: 'malformed', reason: 'short' });
    assert.deepEqual(decodeDatagram(lc03(2, 2)), { kind: 'malformed', reason: 'fragment-header' });
    assert.deepEqual(decodeDatagram(lc03(0, 0)), { kind: 'malformed', reason: 'fragment-header' });
  });

  it('refuses LC03 fragments no real message has: no data, more fragments than bytes, data past the end', () => {
    const lc03 = (size: number, offset: number, index: number, count: number, dataLength: number) => {
      const channel = index === 0 ? 'T\0' : '';
      const b = Buffer.alloc(20 + channel.length + dataLength, 0x61);
      b.writeUInt32BE(0x4c433033, 0);
      b.writeUInt32BE(size, 8);
      b.writeUInt32BE(offset, 12);
      b.writeUInt16BE(index, 16);
      b.writeUInt16BE(count, 18);
      b.write(channel, 20, 'latin1');
      return decodeDatagram(b);
    };
    const malformed = { kind: 'malformed', reason: 'fragment-header' };
    assert.deepEqual(lc03(1 << 20, 1000, 1, 1000, 0), malformed, 'no data in a message that has bytes');
    assert.deepEqual(lc03(1 << 20, 0, 0, 65535, 0), malformed);
    assert.deepEqual(lc03(100, 0, 0, 101, 1), malformed, 'more fragments than bytes');
    assert.deepEqual(lc03(100, 95, 3, 4, 10), malformed, 'data past the end');
    assert.deepEqual(lc03(100, 99, 3, 5, 1), malformed, 'no byte left for the fragment after it');
    assert.deepEqual(lc03(100, 2, 3, 5, 1), malformed, 'fragment 3 before byte 3');
    assert.deepEqual(lc03(100, 0, 1, 5, 1), malformed, 'a fragment other than 0 at byte 0');
    assert.deepEqual(lc03(0, 0, 0, 2, 0), malformed, 'an empty message in two fragments');
    assert.equal(lc03(100, 0, 0, 100, 1).kind, 'fragment', 'one byte a fragment is fine');
    assert.equal(lc03(100, 99, 99, 100, 1).kind, 'fragment');
    assert.equal(lc03(0, 0, 0, 1, 0).kind, 'fragment', 'an empty message in one empty fragment');
    assert.equal(fragmentFits(100, 40, 2, 3, 60), true, 'a long last fragment');
  });

  for (const [system, fragmentSize] of [
    ['Linux', 65_487],
    ['macOS', 1_423],
  ] as const) {
    it(`accepts what LCM itself sends on ${system}: fragments of ${fragmentSize} bytes, the channel counted in the first, a short last one`, () => {
      // lcm_udpm.c: fragments of LCM_FRAGMENT_MAX_PAYLOAD bytes of channel-plus-data; the first holds the channel.
      const channel = 'CAMERA_IMAGE';
      const payload = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 256));
      const total = channel.length + 1 + payload.length;
      const count = Math.ceil(total / fragmentSize);
      const r = new Reassembler({ maxMessage: 1 << 24, maxBytes: 1 << 24, maxCount: 8, timeoutMs: 1000 });
      let offset = 0;
      let result;
      for (let index = 0; index < count; index++) {
        const room = index === 0 ? fragmentSize - channel.length - 1 : fragmentSize;
        const data = payload.subarray(offset, offset + room);
        const header = Buffer.alloc(20);
        header.writeUInt32BE(0x4c433033, 0);
        header.writeUInt32BE(77, 4);
        header.writeUInt32BE(payload.length, 8);
        header.writeUInt32BE(offset, 12);
        header.writeUInt16BE(index, 16);
        header.writeUInt16BE(count, 18);
        const datagram = decodeDatagram(Buffer.concat([header, index === 0 ? Buffer.from(`${channel}\0`) : Buffer.alloc(0), data]));
        assert.equal(datagram.kind, 'fragment', `fragment ${index} of ${count}`);
        if (datagram.kind === 'fragment') result = r.accept('198.51.100.3:5000', datagram);
        offset += data.length;
      }
      assert.deepEqual(result, { kind: 'complete', seq: 77, channel, payload });
    });
  }

  it('says what is wrong with a channel', () => {
    assert.equal(channelProblem('ok/topic'), undefined);
    assert.equal(channelProblem(''), 'empty');
    assert.equal(channelProblem('a\0b'), 'nul');
    assert.equal(channelProblem('ü'.repeat(32)), 'too-long');
    assert.equal(channelProblem('x'.repeat(63)), undefined);
  });
});
