// A flood of forged sealed frames must cost a receiver little: an unknown session is rejected by its session tag (one
// HMAC) before any key derivation or decryption; a replayed header of a real past session costs its key derivation
// once, and such derivations are rationed per source, so they stay bounded however many sessions were captured, while
// honest new sessions still get through; forged frames never push out an honest session's key. Asserted by what was
// derived, counted and delivered, on a simulated clock where time matters, never by elapsed time; the times are printed
// for docs/security.md.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { RemoteInfo } from 'node:dgram';
import fc from 'fast-check';
import { RawFraming } from '../../src/core/raw-framing';
import { SealedFraming, type SealedCounts } from '../../src/core/sealed-framing';
import { NEW_SOURCE } from '../../src/core/session-keys';

const key = Buffer.alloc(32, 7);
const bus = { group: '239.255.76.67', port: 7667, framing: 'raw', family: 'IPv4', loopback: true } as const;
const source = (address: string): RemoteInfo => ({ address, port: 40000, family: 'IPv4', size: 0 });
const attacker = source('203.0.113.66');
/** A spoofed source, any of 256 addresses; honest hosts here are in 198.51.100.0/24, so it is never one of theirs. */
const madeUpSource = () => source(`203.0.113.${Math.floor(Math.random() * 256)}`);
const framing = (now: () => number = Date.now) => new SealedFraming(new RawFraming('IPv4'), { current: key }, 60_000, undefined, now, bus);
const sealed = (f: SealedFraming) => f.stats().sealed as SealedCounts & { sessionKeys: number; sessionKeysDerived: number };

/** A clock the test moves: the receiver's buckets and time window, and the senders' send times, all follow it. */
function simulatedClock() {
  const clock = { t: 1_800_000_000_000, now: () => clock.t };
  return clock;
}

/** A forged frame: a real frame's shape and key id, a send time of `at`, and random session, tag and body. */
function forge(template: Buffer, keepSession = false, counter = 0n, at = Date.now()): Buffer {
  const frame = Buffer.from(template);
  if (!keepSession) randomBytes(16).copy(frame, 8);
  frame.writeBigUInt64BE(counter, 24);
  frame.writeBigUInt64BE(BigInt(Math.floor(at)), 32);
  randomBytes(frame.length - 40).copy(frame, 40);
  return frame;
}

/** What an attacker without the key captures over time: one frame, so one valid session header, of each of `n` sessions. */
const capturedSessions = (n: number) => Array.from({ length: n }, () => framing().encode('', Buffer.alloc(64))[0][1]);

/**
 * Replays the captured headers round robin with forged bodies at `perSecond` for `seconds` of the clock, each frame from
 * `from()`. Before each frame, `before(at)` is told when it will arrive: it may hear other frames in between (moving
 * the clock, never past `at`), and stops the flood by returning true. Returns how many frames were replayed.
 */
function replayFlood(
  receiver: SealedFraming,
  clock: { t: number },
  captured: Buffer[],
  { perSecond, seconds, from }: { perSecond: number; seconds: number; from: () => RemoteInfo },
  before: (at: number) => boolean = () => false,
): number {
  const end = clock.t + seconds * 1000;
  for (let n = 0; ; n++) {
    // Exponential gaps: frames from many hosts arrive at random, not on a grid that could line up with the buckets.
    const at = clock.t - Math.log(1 - Math.random()) * (1000 / perSecond);
    if (at > end || before(at)) return n;
    clock.t = at;
    receiver.decode(forge(captured[n % captured.length], true, BigInt(n), at), from());
  }
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

  describe('with real session headers captured from 5,000 past sessions (more than the 4,096 keys held) and forged bodies', () => {
    let captured: Buffer[] = [];
    before(() => (captured = capturedSessions(5000)));
    const [mine, all] = [NEW_SOURCE.burst[0] + 2 * NEW_SOURCE.perSecond[0], NEW_SOURCE.burst[1] + 2 * NEW_SOURCE.perSecond[1]];

    it(`derives at most ${mine} keys in 2 s at 30,000 frames/s from one source, and at most ${all} from made-up sources`, () => {
      for (const [from, allowance] of [
        [() => attacker, mine],
        [madeUpSource, all],
      ] as const) {
        const clock = simulatedClock();
        const receiver = framing(clock.now);
        const sent = replayFlood(receiver, clock, captured, { perSecond: 30_000, seconds: 2, from });
        const counts = sealed(receiver);
        assert.ok(counts.sessionKeysDerived <= allowance, `${counts.sessionKeysDerived} derived for ${sent} frames`);
        assert.ok(counts.sessionKeysDerived >= allowance / 2, 'the allowance is used, not refused outright');
        assert.equal(counts.newSessionLimited + counts.authFailed, sent, 'every frame was refused and counted');
        assert.equal(counts.opened, 0);
      }
    });

    it('costs each captured session one derivation, however often its header is replayed', () => {
      const clock = simulatedClock();
      const receiver = framing(clock.now);
      // 300 sessions, each replayed 30 times over 60 s: the allowance would permit 608 derivations from this source.
      const sent = replayFlood(receiver, clock, captured.slice(0, 300), { perSecond: 150, seconds: 60, from: () => attacker });
      assert.ok(sent > 300 * 20, `${sent} frames`);
      assert.equal(sealed(receiver).sessionKeysDerived, 300);
      assert.equal(sealed(receiver).authFailed + sealed(receiver).newSessionLimited, sent);
    });

    it('never pushes out the key of a proven session, however quiet it is, nor delays its frames', () => {
      const clock = simulatedClock();
      const honest = framing(clock.now);
      const receiver = framing(clock.now);
      const from = source('198.51.100.1');
      assert.ok(receiver.decode(honest.encode('', Buffer.from('first'))[0][1], from));
      let [tried, delivered, rederived] = [0, 0, 0];
      let next = clock.t + 6000;
      // The rationed derivations fill the 4,096 vouched keys and churn them: about 6,000 between two honest frames.
      replayFlood(receiver, clock, captured, { perSecond: 10_000, seconds: 20, from: madeUpSource }, (at) => {
        if (at < next) return false;
        [clock.t, next] = [next, next + 6000];
        const derived = sealed(receiver).sessionKeysDerived;
        tried++;
        if (receiver.decode(honest.encode('', Buffer.from('again'))[0][1], from)) delivered++;
        if (sealed(receiver).sessionKeysDerived !== derived) rederived++;
        return false;
      });
      assert.equal(tried, 3);
      assert.ok(sealed(receiver).sessionKeysDerived > 4096 * 3, `${sealed(receiver).sessionKeysDerived} derived: the vouched keys were churned`);
      assert.deepEqual([delivered, rederived], [tried, 0], 'every honest frame opened, with the key derived at the start');
    });

    it('lets an honest session starting in the flood through: at once from a new host, or from a restarting host while the sources are made up', () => {
      const report: string[] = [];
      for (const [flood, honestSource, hadDelivered, within] of [
        ['from one source', '198.51.100.1', false, 0.11],
        ['from one source', '198.51.100.1', true, 0.11],
        ['from made-up sources', '198.51.100.1', true, 0.11],
        ['from made-up sources', '198.51.100.1', false, 30],
      ] as const) {
        const clock = simulatedClock();
        const receiver = framing(clock.now);
        if (hadDelivered) assert.ok(receiver.decode(framing(clock.now).encode('', Buffer.from('before'))[0][1], source(honestSource)));
        const from = flood === 'from one source' ? () => attacker : madeUpSource;
        replayFlood(receiver, clock, captured, { perSecond: 30_000, seconds: 2, from });
        // The honest session starts now and sends 10 frames a second, at a random phase.
        const honest = framing(clock.now);
        const started = clock.t;
        let next = clock.t + Math.random() * 100;
        let opened: number | undefined;
        replayFlood(receiver, clock, captured, { perSecond: 30_000, seconds: 30, from }, (at) => {
          for (; next < at && opened === undefined; next += 100) {
            clock.t = next;
            if (receiver.decode(honest.encode('', Buffer.from('hello'))[0][1], source(honestSource))) opened = clock.t - started;
          }
          return opened !== undefined;
        });
        const what = `${hadDelivered ? 'a restarting' : 'a new'} host, flood ${flood}`;
        assert.ok(opened !== undefined && opened <= within * 1000, `${what}: first frame opened after ${opened} ms`);
        report.push(`${what}: ${(opened / 1000).toFixed(2)} s`);
      }
      console.log(`      (first honest frame opened, 10 frames/s, replay of 5,000 sessions at 30,000/s: ${report.join('; ')})`);
    });
  });

  it('when the session keys are full, the least recently used one goes, not all of them', () => {
    const clock = simulatedClock();
    const receiver = framing(clock.now);
    const senders = Array.from({ length: 4097 }, () => framing(clock.now));
    const hear = (n: number) => {
      clock.t += 1000; // one new session a second: within what a host that has delivered may start
      assert.ok(receiver.decode(senders[n].encode('', Buffer.from(`${n}`))[0][1], attacker));
    };
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

  it('refuses forged frames without deriving a key for them, and still opens every honest frame (times printed)', () => {
    const sender = framing();
    const receiver = framing();
    const template = sender.encode('', Buffer.alloc(64))[0][1];
    assert.ok(receiver.decode(template, source('198.51.100.1')));
    const n = 20_000;
    const garbage = Array.from({ length: n }, () => randomBytes(template.length));
    const forged = Array.from({ length: n }, () => forge(template));
    const forgedKnown = Array.from({ length: n }, (_, i) => forge(template, true, BigInt(10 + i)));
    const captured = capturedSessions(5000);
    const replayed = Array.from({ length: n }, (_, i) => forge(captured[i % captured.length], true, BigInt(i)));
    const honest = Array.from({ length: n }, () => sender.encode('', Buffer.alloc(64))[0][1]);
    for (const frames of [garbage, forged]) microseconds(frames.slice(0, 2000), framing());
    const started = Date.now();
    const costs = [garbage, forged, forgedKnown, replayed, honest].map((frames) => microseconds(frames, receiver).toFixed(2));
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `      (µs per 120-byte frame: garbage ${costs[0]}, forged with random sessions ${costs[1]}, forged in a known session ${costs[2]}, replayed headers of 5,000 sessions ${costs[3]}, honest ${costs[4]})`,
    );
    const counts = sealed(receiver);
    assert.deepEqual([counts.plain, counts.badSessionTag, counts.opened], [n, n, 1 + n]);
    assert.equal(counts.authFailed + counts.newSessionLimited, 2 * n);
    // The one honest session, and for the replayed headers no more than this source's allowance for the time taken.
    const allowance = NEW_SOURCE.burst[0] + Math.ceil(seconds * NEW_SOURCE.perSecond[0]);
    assert.ok(counts.sessionKeysDerived <= 1 + allowance, `${counts.sessionKeysDerived} derived in ${seconds} s`);
  });
});
