// A sealed frame belongs to the bus it was sealed for: another bus with the same key (group, port, framing or family
// differing) drops it, and a bus without loopback drops its own frames when someone sends them back.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { RemoteInfo } from 'node:dgram';
import { parseBusSettings } from '../../src/core/bus-settings';
import { framingForBus } from '../../src/core/framing-for-bus';
import { BoundKey, readSealedHeader, unseal } from '../../src/core/sealed-frame';
import type { SealedCounts } from '../../src/core/sealed-framing';

const key = Buffer.alloc(32, 7);
const attacker: RemoteInfo = { address: '203.0.113.66', port: 40000, family: 'IPv4', size: 0 };

function sealedBus(fields: Record<string, unknown>) {
  const parsed = parseBusSettings({ security: 'sealed', ...fields });
  if (!('settings' in parsed)) throw new Error(`bad test settings: ${JSON.stringify(parsed.problems)}`);
  return { settings: parsed.settings, framing: framingForBus(parsed.settings, { keys: { current: key } }) };
}
const countsOf = (framing: ReturnType<typeof framingForBus>) => (framing.stats() as { sealed: SealedCounts }).sealed;

const A = { group: '239.255.76.67', port: '17667', framing: 'lcm' };
const others: Record<string, Record<string, unknown>> = {
  group: { ...A, group: '239.255.76.68' },
  port: { ...A, port: '17668' },
  framing: { ...A, framing: 'raw' },
  family: { ...A, group: 'ff15::efff:4c43' },
};

describe('sealed frames are bound to their bus', () => {
  for (const [differing, fields] of Object.entries(others)) {
    it(`a frame sealed for one bus is dropped by a bus with the same key and another ${differing}`, () => {
      const frame = sealedBus(A).framing.encode('valves', Buffer.from('open'))[0][1];
      const sameBus = sealedBus(A).framing;
      const otherBus = sealedBus(fields).framing;
      assert.equal(sameBus.decode(frame, attacker)?.payload.toString(), 'open', 'the same bus elsewhere opens it');
      assert.equal(otherBus.decode(frame, attacker), undefined);
      assert.equal(countsOf(otherBus).badSessionTag, 1);
      assert.equal(countsOf(otherBus).opened, 0);
    });

    it(`the session key differs too when the ${differing} differs, so the tag alone is not what binds`, () => {
      const frame = sealedBus(A).framing.encode('valves', Buffer.from('open'))[0][1];
      const header = readSealedHeader(frame)!;
      const { settings } = sealedBus(fields);
      assert.equal(unseal(frame, header, new BoundKey(key, settings).sessionKey(header.session)), undefined);
      assert.equal(new BoundKey(key, settings).vouchesFor(header), false);
      assert.equal(new BoundKey(key, sealedBus(A).settings).vouchesFor(header), true);
    });
  }

  it('a frame captured on a sealed LCM bus and replayed to a sealed raw bus is not delivered as LC02 bytes', () => {
    const lcm = sealedBus({ group: '239.255.76.67', port: '17667', framing: 'lcm' }).framing;
    const raw = sealedBus({ group: '239.255.76.68', port: '17668', framing: 'raw' }).framing;
    const captured = lcm.encode('valve', Buffer.from('open')).map(([, frame]) => frame);
    assert.deepEqual(
      captured.map((frame) => raw.decode(frame, attacker)),
      [undefined],
    );
    assert.equal(countsOf(raw).badSessionTag, 1);
  });

  it('one IPv6 group written two ways is one bus', () => {
    const frame = sealedBus({ ...A, group: 'FF15:0:0::EFFF:4C43' }).framing.encode('valves', Buffer.from('open'))[0][1];
    assert.equal(sealedBus(others.family).framing.decode(frame, attacker)?.payload.toString(), 'open');
  });

  it('with loopback off, the bus drops its own frames sent back to it and counts them as ownSession', () => {
    const { framing } = sealedBus({ ...A, loopback: false });
    const frames = [0, 1, 2].map((n) => framing.encode('valves', Buffer.from(`open ${n}`))[0][1]);
    assert.deepEqual(
      frames.map((frame) => framing.decode(frame, attacker)),
      [undefined, undefined, undefined],
    );
    assert.equal(countsOf(framing).ownSession, 3);
    assert.equal(countsOf(framing).opened, 0);
    // Another host's frames still arrive on that bus.
    const fromElsewhere = sealedBus(A).framing.encode('valves', Buffer.from('shut'))[0][1];
    assert.equal(framing.decode(fromElsewhere, attacker)?.payload.toString(), 'shut');
  });

  it('with loopback on, the bus hears its own frames, once each', () => {
    const { framing } = sealedBus({ ...A, loopback: true });
    const frame = framing.encode('valves', Buffer.from('open'))[0][1];
    assert.equal(framing.decode(frame, attacker)?.payload.toString(), 'open');
    assert.equal(framing.decode(frame, attacker), undefined, 'a second copy is a replay');
    assert.deepEqual([countsOf(framing).opened, countsOf(framing).replayed, countsOf(framing).ownSession], [1, 1, 0]);
  });

  it('counts frames of the first sealed format as oldVersion, not as plain', () => {
    const { framing } = sealedBus(A);
    const version1 = Buffer.concat([Buffer.from('MCS1'), randomBytes(60)]);
    assert.equal(framing.decode(version1, attacker), undefined);
    assert.deepEqual([countsOf(framing).oldVersion, countsOf(framing).plain], [1, 0]);
  });
});
