// The reassembly cap is a cap on memory: a flood of fragments that never complete a message grows the live heap
// (V8 heap plus ArrayBuffer bytes, after a full GC) by no more than 1.5 × the byte budget, and the bytes the stats
// report held are what is really held. These tests need `global.gc` (node --expose-gc; .mocharc.json passes it).
import assert from 'node:assert/strict';
import type { RemoteInfo } from 'node:dgram';
import { LcmFraming } from '../../src/core/lcm-framing';

const MIB = 1024 * 1024;
const BUDGET = 8 * MIB;
const FLOOD = 100_000;

/** One LC03 datagram in a buffer of its own, as the receive socket hands it over. */
function lc03(seq: number, size: number, offset: number, index: number, count: number, dataLength: number, alloc = Buffer.allocUnsafeSlow): Buffer {
  const channel = index === 0 ? 'FLOOD\0' : '';
  const datagram = alloc(20 + channel.length + dataLength);
  datagram.writeUInt32BE(0x4c433033, 0);
  datagram.writeUInt32BE(seq, 4);
  datagram.writeUInt32BE(size, 8);
  datagram.writeUInt32BE(offset, 12);
  datagram.writeUInt16BE(index, 16);
  datagram.writeUInt16BE(count, 18);
  datagram.write(channel, 20, 'latin1');
  datagram.fill(0x5a, 20 + channel.length);
  return datagram;
}

function sender(i: number): RemoteInfo {
  return { address: `198.51.100.${i % 250}`, port: 40000 + (i % 997), family: 'IPv4', size: 0 };
}

/** Live memory after a full collection: what the V8 heap holds, plus the bytes of every ArrayBuffer. */
function live(): number {
  global.gc!();
  global.gc!();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/** Runs `flood` against a framing with an 8 MiB reassembly budget and returns the growth of live memory and the framing. */
function measure(flood: (framing: LcmFraming) => void, maxCount = 1_000_000) {
  const framing = new LcmFraming({ maxDatagram: 1400, maxMessage: 16 * MIB, reassembly: { maxBytes: BUDGET, maxCount } });
  const before = live();
  flood(framing);
  const growth = live() - before;
  const reassembly = framing.stats().reassembly as { bytesHeld: number; pending: number; evicted: number };
  return { growth, reassembly, framing };
}

const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;
const withGc = typeof global.gc === 'function' ? it : it.skip;
const needsGc = typeof global.gc === 'function' ? '' : ' [skipped: needs node --expose-gc]';

describe('reassembly memory', function () {
  this.timeout(60_000);

  withGc(`a flood of 100,000 one-byte fragments of never-ending messages from 500 senders stays within 1.5 × the budget${needsGc}`, () => {
    // Each message claims 65,535 bytes in 1,000 fragments; every fragment carries 1 byte in a 21-byte datagram.
    const { growth, reassembly } = measure((framing) => {
      for (let i = 0; i < FLOOD; i++) {
        const message = i % 2000;
        const index = 1 + Math.floor(i / 2000);
        framing.decode(lc03(message, 65_535, index, index, 1000, 1), sender(message % 500));
      }
    });
    console.log(`      (1-byte fragments: held ${mib(reassembly.bytesHeld)} of ${mib(BUDGET)}, live heap grew ${mib(growth)})`);
    assert.ok(reassembly.bytesHeld <= BUDGET);
    assert.ok(reassembly.bytesHeld > 0.9 * BUDGET, 'the flood filled the budget');
    assert.ok(growth <= 1.5 * BUDGET, `live heap grew ${mib(growth)} for a budget of ${mib(BUDGET)}`);
    assert.ok(growth >= 0.6 * reassembly.bytesHeld, `what is charged (${mib(reassembly.bytesHeld)}) is what is held (${mib(growth)})`);
  });

  withGc(`a flood of full-size fragments, one message per fragment from 100,000 senders, stays within 1.5 × the budget${needsGc}`, () => {
    const { growth, reassembly } = measure((framing) => {
      for (let i = 0; i < FLOOD; i++) framing.decode(lc03(i, 1 << 20, 0, 0, 1000, 1374), { ...sender(i), port: 1024 + (i % 60000) });
    });
    console.log(
      `      (1,400-byte first fragments: held ${mib(reassembly.bytesHeld)} in ${reassembly.pending} messages, live heap grew ${mib(growth)})`,
    );
    assert.ok(reassembly.bytesHeld <= BUDGET && reassembly.bytesHeld > 0.9 * BUDGET);
    assert.ok(growth <= 1.5 * BUDGET, `live heap grew ${mib(growth)} for a budget of ${mib(BUDGET)}`);
    assert.ok(growth >= 0.6 * reassembly.bytesHeld, `what is charged (${mib(reassembly.bytesHeld)}) is what is held (${mib(growth)})`);
  });

  withGc(`fragments that are slices of a shared buffer pool (as on a sealed bus) are charged what they keep alive${needsGc}`, () => {
    // Each datagram comes from Node's 8 KiB pool between other short-lived allocations from it: held as a view, every
    // fragment would keep most of a pool alive.
    const { growth, reassembly } = measure((framing) => {
      for (let i = 0; i < FLOOD / 4; i++) {
        const datagram = lc03(i % 3000, 1 << 20, 1000 * (1 + (i >> 7)), 1 + (i >> 7), 1000, 1000, Buffer.allocUnsafe);
        Buffer.allocUnsafe(3000).fill(1);
        framing.decode(datagram, sender(i % 3000));
      }
    });
    console.log(`      (pooled 1,000-byte fragments: held ${mib(reassembly.bytesHeld)}, live heap grew ${mib(growth)})`);
    assert.ok(reassembly.bytesHeld <= BUDGET && reassembly.bytesHeld > 0.9 * BUDGET);
    assert.ok(growth <= 1.5 * BUDGET, `live heap grew ${mib(growth)} for a budget of ${mib(BUDGET)}`);
    assert.ok(growth >= 0.6 * reassembly.bytesHeld, `what is charged (${mib(reassembly.bytesHeld)}) is what is held (${mib(growth)})`);
  });

  withGc(`refuses fragments without data: 100,000 of them hold nothing${needsGc}`, () => {
    const { growth, reassembly, framing } = measure((framing) => {
      for (let i = 0; i < FLOOD; i++) framing.decode(lc03(i % 4000, 1 << 20, 1 + (i % 60000), 1 + (i % 60000), 65_535, 0), sender(i));
    });
    console.log(`      (zero-data fragments: held ${reassembly.bytesHeld} bytes, live heap grew ${mib(growth)})`);
    assert.equal(reassembly.bytesHeld, 0);
    assert.equal(reassembly.pending, 0);
    assert.equal((framing.stats().malformed as Record<string, number>)['fragment-header'], FLOOD);
    assert.ok(growth < MIB, `live heap grew ${mib(growth)}`);
  });
});
