import assert from 'node:assert/strict';
import { channelProblem, decodeDatagram, encodeMessage, type OutgoingDatagram } from '../../src/core/lcm-codec';

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
    assert.deepEqual(datagrams.map((d) => d.length), [1400, 1400, 1400, 20 + 864]);
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

  it('says what is wrong with a channel', () => {
    assert.equal(channelProblem('ok/topic'), undefined);
    assert.equal(channelProblem(''), 'empty');
    assert.equal(channelProblem('a\0b'), 'nul');
    assert.equal(channelProblem('ü'.repeat(32)), 'too-long');
    assert.equal(channelProblem('x'.repeat(63)), undefined);
  });
});
