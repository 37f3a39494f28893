import assert from 'node:assert/strict';
import { decodePayload } from '../../src/core/payload-decoding';
import { payloadToBuffer } from '../../src/core/payload-encoding';
import { BusError } from '../../src/core/problem';

describe('payload encoding', () => {
  it('sends a Buffer as it is, without a copy', () => {
    const bytes = Buffer.from([0, 1, 254, 255]);
    assert.equal(payloadToBuffer(bytes), bytes);
  });

  it('sends strings as UTF-8 and everything else as JSON', () => {
    assert.equal(payloadToBuffer('grüße').toString('hex'), Buffer.from('grüße', 'utf8').toString('hex'));
    assert.equal(payloadToBuffer({ a: [1, 'x'] }).toString(), '{"a":[1,"x"]}');
    assert.equal(payloadToBuffer([1, 2]).toString(), '[1,2]');
    assert.equal(payloadToBuffer(21.5).toString(), '21.5');
    assert.equal(payloadToBuffer(false).toString(), 'false');
    assert.equal(payloadToBuffer(null).toString(), 'null');
  });

  it('refuses a missing payload and values JSON cannot carry, with a code the node can word', () => {
    assert.throws(
      () => payloadToBuffer(undefined),
      (e: unknown) => e instanceof BusError && e.problem.code === 'payload-missing',
    );
    assert.throws(
      () => payloadToBuffer(() => 1),
      (e: unknown) => e instanceof BusError && e.problem.params?.type === 'function',
    );
    assert.throws(
      () => payloadToBuffer(10n),
      (e: unknown) => e instanceof BusError && e.problem.params?.type === 'bigint',
    );
  });
});

describe('payload decoding', () => {
  const json = Buffer.from('{"celsius":21.5}');
  const text = Buffer.from('hello bus');
  const binary = Buffer.from([0xff, 0xfe, 0x00, 0x80]);

  it('auto gives parsed JSON, else a string, else a Buffer', () => {
    assert.deepEqual(decodePayload(json, 'auto'), { celsius: 21.5 });
    assert.equal(decodePayload(Buffer.from('42'), 'auto'), 42);
    assert.equal(decodePayload(text, 'auto'), 'hello bus');
    assert.equal(decodePayload(Buffer.from('{not json'), 'auto'), '{not json');
    assert.equal(decodePayload(Buffer.from('true story'), 'auto'), 'true story');
    assert.equal(decodePayload(binary, 'auto'), binary);
  });

  it('gives each fixed datatype its own form', () => {
    assert.equal(decodePayload(json, 'utf8'), '{"celsius":21.5}');
    assert.equal(decodePayload(binary, 'buffer'), binary);
    assert.deepEqual(decodePayload(json, 'json'), { celsius: 21.5 });
    assert.equal(decodePayload(binary, 'base64'), '//4AgA==');
  });

  it('json throws on bytes that are not JSON, so the node can report them', () => {
    assert.throws(() => decodePayload(text, 'json'), SyntaxError);
  });
});
