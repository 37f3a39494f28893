import assert from 'node:assert/strict';
import type { RemoteInfo } from 'node:dgram';
import { deriveBusKey, keyTextProblem } from '../../src/core/bus-key';
import { LcmFraming } from '../../src/core/lcm-framing';
import type { Problem } from '../../src/core/problem';
import { RawFraming } from '../../src/core/raw-framing';
import { ReplayGuard } from '../../src/core/replay-guard';
import { BoundKey, keyId, readSealedHeader, SEALED_OVERHEAD, Sealer, unseal } from '../../src/core/sealed-frame';
import { SealedFraming } from '../../src/core/sealed-framing';

const key = Buffer.alloc(32, 7);
const otherKey = Buffer.alloc(32, 8);
const from: RemoteInfo = { address: '198.51.100.11', port: 40000, family: 'IPv4', size: 0 };
const bus = { family: 'IPv4', group: '239.255.76.67', port: 7667, framing: 'lcm' } as const;
const bound = new BoundKey(key, bus);
const sealer = (withKey = key) => new Sealer(new BoundKey(withKey, bus));
const openWith = (frame: Buffer, header = readSealedHeader(frame)!) => unseal(frame, header, bound.sessionKey(header.session));
const open = (frame: Buffer) => openWith(frame);

describe('sealed frames', () => {
  it('round-trips a datagram given in parts, and adds 56 bytes', () => {
    const frame = sealer().seal([Buffer.from('LC02 header|'), Buffer.from('payload')]);
    assert.equal(SEALED_OVERHEAD, 56);
    assert.equal(frame.length, 'LC02 header|payload'.length + SEALED_OVERHEAD);
    assert.equal(frame.toString('latin1', 0, 4), 'MCS2');
    assert.equal(open(frame)!.toString(), 'LC02 header|payload');
  });

  it('hides the content: the plaintext appears nowhere in the frame', () => {
    const frame = sealer().seal([Buffer.from('sensors/kitchen secret reading')]);
    assert.equal(frame.includes('sensors/kitchen'), false);
    assert.equal(frame.includes('secret'), false);
  });

  it('rejects a frame with any single bit flipped, header, ciphertext or tag', () => {
    const frame = sealer().seal([Buffer.from('a message worth protecting')]);
    for (let bit = 0; bit < frame.length * 8; bit++) {
      const flipped = Buffer.from(frame);
      flipped[bit >> 3] ^= 1 << (bit & 7);
      const header = readSealedHeader(flipped);
      if (!header) continue; // the magic itself: not a sealed frame at all, dropped as plain
      assert.equal(openWith(flipped, header), undefined, `bit ${bit} flipped was accepted`);
    }
  });

  it('rejects a frame sealed with another key', () => {
    assert.equal(open(sealer(otherKey).seal([Buffer.from('x')])), undefined);
    assert.notEqual(keyId(key), keyId(otherKey));
  });

  it('never repeats a nonce: a new session per sealer, a counter per frame', () => {
    const a = sealer();
    const b = sealer();
    const [a1, a2, b1] = [a.seal([Buffer.from('1')]), a.seal([Buffer.from('2')]), b.seal([Buffer.from('1')])];
    const h = [a1, a2, b1].map((f) => readSealedHeader(f)!);
    assert.deepEqual([h[0].counter, h[1].counter], [0n, 1n]);
    assert.ok(h[0].session.equals(h[1].session));
    assert.ok(!h[0].session.equals(h[2].session), 'another session, so another session key');
    assert.notDeepEqual(a1.subarray(40), b1.subarray(40), 'same plaintext, same counter, different ciphertext');
  });
});

describe('bus keys', () => {
  it('takes 64 hex digits or base64 of 32 bytes as the key itself', async () => {
    assert.deepEqual(await deriveBusKey('07'.repeat(32)), key);
    assert.deepEqual(await deriveBusKey(key.toString('base64')), key);
  });

  it('stretches a passphrase with scrypt, the same on every host', async () => {
    const a = await deriveBusKey('correct horse battery staple');
    assert.equal(a.length, 32);
    assert.deepEqual(await deriveBusKey('correct horse battery staple'), a);
    assert.notDeepEqual(await deriveBusKey('correct horse battery staplf'), a);
  });

  it('refuses a missing or short key', () => {
    assert.equal(keyTextProblem(''), 'key-missing');
    assert.equal(keyTextProblem('short'), 'key-too-short');
    assert.equal(keyTextProblem('twelve chars'), undefined);
  });
});

describe('replay guard', () => {
  it('accepts each counter of a session once, in any order within the window', () => {
    const guard = new ReplayGuard(60_000, () => 1_000_000);
    assert.equal(guard.check('s', 5n, 1_000_000), 'fresh');
    assert.equal(guard.check('s', 3n, 1_000_000), 'fresh');
    assert.equal(guard.check('s', 5n, 1_000_000), 'replayed');
    assert.equal(guard.check('s', 3n, 1_000_000), 'replayed');
    assert.equal(guard.check('s', 2000n, 1_000_000), 'fresh');
    assert.equal(guard.check('s', 6n, 1_000_000), 'replayed', 'older than the window');
    assert.equal(guard.check('t', 5n, 1_000_000), 'fresh', 'sessions are apart');
  });

  it('when full, forgets the session heard from least recently, not the one added first', () => {
    const guard = new ReplayGuard(60_000, () => 1_000_000, 2);
    assert.equal(guard.check('a', 1n, 1_000_000), 'fresh');
    assert.equal(guard.check('b', 1n, 1_000_000), 'fresh');
    assert.equal(guard.check('a', 2n, 1_000_000), 'fresh');
    assert.equal(guard.check('c', 1n, 1_000_000), 'fresh', 'b, the idlest, makes room');
    assert.equal(guard.check('a', 2n, 1_000_000), 'replayed', 'a is still remembered');
    assert.equal(guard.check('b', 1n, 1_000_000), 'fresh', 'b was forgotten');
  });

  it('rejects frames sent too long ago or from the future', () => {
    const guard = new ReplayGuard(60_000, () => 1_000_000);
    assert.equal(guard.check('s', 1n, 1_000_000 - 60_001), 'stale');
    assert.equal(guard.check('s', 2n, 1_000_000 + 60_001), 'stale');
    assert.equal(guard.check('s', 3n, 1_000_000 - 60_000), 'fresh');
  });
});

describe('sealed framing', () => {
  function pair(options: { receiverKeys?: { current: Buffer; previous?: Buffer }; senderKey?: Buffer } = {}) {
    const warnings: Problem[] = [];
    const inner = () => new LcmFraming({ maxDatagram: 1400 - SEALED_OVERHEAD, maxMessage: 1 << 20 });
    const sender = new SealedFraming(inner(), { current: options.senderKey ?? key }, 60_000);
    const receiver = new SealedFraming(inner(), options.receiverKeys ?? { current: key }, 60_000, (p) => warnings.push(p));
    const deliver = (topic: string, payload: Buffer) =>
      sender
        .encode(topic, payload)
        .map(([, frame]) => receiver.decode(frame, from))
        .filter((m) => m !== undefined);
    return { sender, receiver, warnings, deliver };
  }

  it('carries small and fragmented LCM messages, each datagram within the datagram size', () => {
    const { sender, deliver } = pair();
    const big = Buffer.alloc(10_000, 3);
    assert.ok(sender.encode('T', big).every(([, frame]) => frame.length <= 1400));
    const [small] = deliver('sensors/a', Buffer.from('{"v":1}'));
    assert.equal(small!.topic, 'sensors/a');
    const [whole] = deliver('big', big);
    assert.deepEqual(whole!.payload, big);
  });

  it('drops and counts plain frames, frames under another key, and replays, warning once per minute per kind', () => {
    const { sender, receiver, warnings } = pair();
    const plain = new LcmFraming({ maxDatagram: 1400, maxMessage: 1 << 20 }).encode('T', Buffer.from('x'))[0];
    for (let i = 0; i < 3; i++) assert.equal(receiver.decode(Buffer.concat(plain), from), undefined);
    const foreign = new SealedFraming(new RawFraming('IPv4'), { current: otherKey }, 60_000).encode('', Buffer.from('x'))[0][1];
    assert.equal(receiver.decode(foreign, from), undefined);
    const frame = sender.encode('T', Buffer.from('once'))[0][1];
    assert.ok(receiver.decode(frame, from));
    assert.equal(receiver.decode(frame, from), undefined);
    assert.deepEqual(receiver.counts, {
      opened: 1,
      plain: 3,
      oldVersion: 0,
      unknownKey: 1,
      ownSession: 0,
      badSessionTag: 0,
      newSessionLimited: 0,
      authFailed: 0,
      replayed: 1,
      stale: 0,
    });
    assert.deepEqual(
      warnings.map((w) => w.code),
      ['sealed-plain', 'sealed-unknownKey', 'sealed-replayed'],
    );
  });

  it('accepts the previous key while hosts change over', () => {
    const { deliver } = pair({ senderKey: otherKey, receiverKeys: { current: key, previous: otherKey } });
    assert.equal(deliver('T', Buffer.from('old key')).length, 1);
  });
});
