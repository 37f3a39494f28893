// What the receive side keeps per sender (its sequence state, and per topic its traffic and rate meters, in the one
// table of senders), and that the table is a bound on it: 6,000 senders cost no more than the 1,024 it keeps. These
// tests need `global.gc` (node --expose-gc; .mocharc.json passes it).
import assert from 'node:assert/strict';
import { encodeMessage } from '../../src/core/lcm-codec';
import { LcmFraming } from '../../src/core/lcm-framing';
import { SenderDirectory } from '../../src/core/sender-directory';

const withGc = typeof global.gc === 'function' ? it : it.skip;
const needsGc = typeof global.gc === 'function' ? '' : ' [skipped: needs node --expose-gc]';

/** Live memory after a full collection: what the V8 heap holds, plus the bytes of every ArrayBuffer. */
function live(): number {
  global.gc!();
  global.gc!();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

describe('memory per sender', () => {
  withGc(`about 1.3 KiB per sender heard, and no more once the table of 1,024 senders is full${needsGc}`, () => {
    const directory = new SenderDirectory({}, () => undefined);
    const framing = new LcmFraming({ maxDatagram: 1400, maxMessage: 1 << 20, senders: directory });
    const payload = Buffer.alloc(64);
    // Senders `from` to `to`, three messages each on one topic, handed to the table as the bus does.
    const hear = (from: number, to: number) => {
      for (let seq = 0; seq < 3; seq++)
        for (let i = from; i < to; i++) {
          const datagram = Buffer.concat(encodeMessage('sensors/t', payload, seq, 1400)[0]);
          const remote = { address: `198.51.100.${11 + (i % 200)}`, port: 20000 + i, family: 'IPv4' as const, size: 0 };
          for (const message of framing.decodeAll(datagram, remote)) {
            const label = `${message.address}:${message.port}`;
            directory.heard(label, label, message.topic!, message.payload, 0);
          }
        }
    };
    hear(0, 10);
    const start = live();
    hear(10, 1010);
    const perSender = (live() - start) / 1000;
    hear(1010, 7010);
    const full = live() - start;
    console.log(`      (${(perSender / 1024).toFixed(2)} KiB per sender; after 7,000 senders ${(full / 1024).toFixed(0)} KiB for the 1,024 kept)`);
    assert.ok(perSender < 4096, `${perSender} bytes per sender`);
    assert.equal(directory.listing().maxSenders, 1024);
    assert.ok(directory.listing().senders.length <= 1024);
    assert.ok(full < 1.5 * 1024 * perSender, `${full} bytes held after 7,000 senders`);
  });
});
