// A flood of forged sealed frames must cost a receiver about what garbage costs: an unknown session is rejected by its
// session tag (one HMAC) before any key derivation or decryption, and forged frames never push out an honest session's
// key. Asserted by what was derived and counted, not by time; the times are printed for docs/security.md.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { RemoteInfo } from 'node:dgram';
import fc from 'fast-check';
import { RawFraming } from '../../src/core/raw-framing';
import { SealedFraming, type SealedCounts } from '../../src/core/sealed-framing';

const key = Buffer.alloc(32, 7);
const bus = { group: '239.255.76.67', port: 7667, framing: 'raw', family: 'IPv4', loopback: true } as const;
const attacker: RemoteInfo = { address: '203.0.113.66', port: 40000, family: 'IPv4', size: 0 };
const framing = () => new SealedFraming(new RawFraming('IPv4'), { current: key }, 60_000, undefined, undefined, bus);
const sealed = (f: SealedFraming) => f.stats().sealed as SealedCounts & { sessionKeys: number; sessionKeysDerived: number };

/** A forged frame: a real frame's shape and key id, a fresh send time, and random session, tag and body. */
function forge(template: Buffer, keepSession = false, counter = 0n): Buffer {
  const frame = Buffer.from(template);
  if (!keepSession) randomBytes(16).copy(frame, 8);
  frame.writeBigUInt64BE(counter, 24);
  frame.writeBigUInt64BE(BigInt(Date.now()), 32);
  randomBytes(frame.length - 40).copy(frame, 40);
  return frame;
}

function microseconds(frames: Buffer[], receiver: SealedFraming): number {
  const started = process.hrtime.bigint();
  for (const frame of frames) receiver.decode(frame, attacker);
  return Number(process.hrtime.bigint() - started) / 1000 / frames.length;
}

describe('a flood of forged sealed frames', () => {
  it('with random sessions is rejected by the session tag, without deriving a single key', () => {
    const sender = framing();
    const receiver = framing();
    const template = sender.encode('', Buffer.alloc(64))[0][1];
    for (let i = 0; i < 10_000; i++) assert.equal(receiver.decode(forge(template), attacker), undefined);
    assert.equal(sealed(receiver).badSessionTag, 10_000);
    assert.deepEqual([sealed(receiver).authFailed, sealed(receiver).sessionKeysDerived, sealed(receiver).sessionKeys], [0, 0, 0]);
    assert.equal(receiver.decode(sender.encode('', Buffer.from('honest'))[0][1], attacker)?.payload.toString(), 'honest');
    assert.equal(sealed(receiver).sessionKeysDerived, 1, 'the honest session, once');
  });

  it('naming a real session fails authentication, and neither replaces nor evicts that session key', () => {
    const sender = framing();
    const receiver = framing();
    assert.ok(receiver.decode(sender.encode('', Buffer.from('first'))[0][1], attacker));
    const template = sender.encode('', Buffer.alloc(64))[0][1];
    for (let i = 0; i < 5000; i++) receiver.decode(forge(template, true, BigInt(100 + i)), attacker);
    assert.equal(sealed(receiver).authFailed, 5000);
    assert.equal(receiver.decode(sender.encode('', Buffer.from('still'))[0][1], attacker)?.payload.toString(), 'still');
    assert.equal(sealed(receiver).sessionKeysDerived, 1);
  });

  it('with real session tags (captured from many sessions) and forged bodies cannot push out a proven session key', () => {
    const honest = framing();
    const receiver = framing();
    assert.ok(receiver.decode(honest.encode('', Buffer.from('first'))[0][1], attacker));
    const captured = Array.from({ length: 4100 }, () => framing().encode('', Buffer.alloc(64))[0][1]);
    for (const frame of captured) receiver.decode(forge(frame, true, 7n), attacker);
    assert.equal(sealed(receiver).authFailed, 4100);
    const derived = sealed(receiver).sessionKeysDerived;
    assert.ok(receiver.decode(honest.encode('', Buffer.from('again'))[0][1], attacker));
    assert.equal(sealed(receiver).sessionKeysDerived, derived, 'the honest session key was still there');
  });

  it('when the session keys are full, the least recently used one goes, not all of them', () => {
    const receiver = framing();
    const senders = Array.from({ length: 4097 }, () => framing());
    const hear = (n: number) => assert.ok(receiver.decode(senders[n].encode('', Buffer.from(`${n}`))[0][1], attacker));
    for (let n = 0; n < 4096; n++) hear(n);
    hear(0);
    hear(4096);
    assert.equal(sealed(receiver).sessionKeysDerived, 4097);
    hear(0);
    assert.equal(sealed(receiver).sessionKeysDerived, 4097, 'session 0, used recently, was kept');
    hear(1);
    assert.equal(sealed(receiver).sessionKeysDerived, 4098, 'session 1, the idlest, was evicted');
  });

  it('never makes the receive path throw, whatever follows a real magic, key id, session or whole header', () => {
    const receiver = framing();
    const real = framing().encode('', Buffer.from('x'))[0][1];
    const own = receiver.encode('', Buffer.from('x'))[0][1];
    const prefix = fc.constantFrom(...[real, own].flatMap((frame) => [4, 8, 16, 24, 40].map((n) => frame.subarray(0, n))));
    const rest = fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(fc.array(fc.tuple(prefix, rest), { maxLength: 20 }), (datagrams) => {
        for (const [head, tail] of datagrams) assert.equal(receiver.decode(Buffer.concat([head, tail]), attacker), undefined);
      }),
      { numRuns: 2000 },
    );
  });

  it('costs about what garbage costs per frame (printed, not asserted)', () => {
    const sender = framing();
    const receiver = framing();
    const template = sender.encode('', Buffer.alloc(64))[0][1];
    assert.ok(receiver.decode(template, attacker));
    const n = 20_000;
    const garbage = Array.from({ length: n }, () => randomBytes(template.length));
    const forged = Array.from({ length: n }, () => forge(template));
    const forgedKnown = Array.from({ length: n }, (_, i) => forge(template, true, BigInt(10 + i)));
    const honest = Array.from({ length: n }, () => sender.encode('', Buffer.alloc(64))[0][1]);
    for (const frames of [garbage, forged]) microseconds(frames.slice(0, 2000), framing());
    const costs = [garbage, forged, forgedKnown, honest].map((frames) => microseconds(frames, receiver).toFixed(2));
    console.log(
      `      (µs per 120-byte frame: garbage ${costs[0]}, forged with random sessions ${costs[1]}, forged in a known session ${costs[2]}, honest ${costs[3]})`,
    );
    assert.equal(sealed(receiver).opened, 1 + n);
  });
});
