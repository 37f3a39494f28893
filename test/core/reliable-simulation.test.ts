// One ReliableSender and N ReliableReceivers on a simulated network (docs/reliability.md, "Sequence of events"):
// multicast to the group with 0.2 ms of delay and a seeded loss, per receiver (independent) or at the sender
// (common); NAKs unicast to the sender with 0.2 ms of delay, answered by repairs to the group, lost like any
// multicast datagram; heartbeats and every receiver's one timer driven by their nextDeadline(). Event-driven, on a fake
// clock: the whole run takes milliseconds.
import assert from 'node:assert/strict';
import { decodeControlFrame, isControlFrame } from '../../src/core/control-frame';
import { ReliableReceiver } from '../../src/core/reliable-receiver';
import { ReliableSender } from '../../src/core/reliable-sender';
import { seeded } from '../support/seeded-random';

const SOURCE = '192.0.2.1:40000';
const STREAM = '0123456789abcdef';
const DELAY_MS = 0.2;
const MESSAGES = 1000;
const INTERVAL_MS = 1; // 1,000 messages a second

/** An LC02 datagram of message seq; the receivers' "decoding" reads the number back at offset 4. */
function lc02(seq: number): Buffer {
  const datagram = Buffer.alloc(32);
  datagram.writeUInt32BE(0x4c433032, 0);
  datagram.writeUInt32BE(seq >>> 0, 4);
  return datagram;
}

/** Events in time order (ties in the order they were scheduled). */
class Events {
  private readonly queue: { at: number; order: number; run: () => void }[] = [];
  private order = 0;
  now = 0;

  at(at: number, run: () => void): void {
    const event = { at: Math.max(at, this.now), order: this.order++, run };
    // Binary search for the place: a few thousand events at most are pending.
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const other = this.queue[mid];
      if (other.at < event.at || (other.at === event.at && other.order < event.order)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, event);
  }

  /** Runs events until `until` returns true or the clock passes `endMs`. */
  run(endMs: number, until: () => boolean = () => false): void {
    while (this.queue.length > 0 && this.queue[0].at <= endMs && !until()) {
      const event = this.queue.shift() as { at: number; run: () => void };
      this.now = event.at;
      event.run();
    }
    if (!until()) this.now = Math.max(this.now, endMs);
  }
}

interface Case {
  receivers: number;
  loss: number;
  /** Loss at the sender (every receiver misses the same datagram) instead of at each receiver. */
  common: boolean;
  seed: number;
  /** The last message's original transmission is dropped for everyone. */
  dropLast?: boolean;
  /** How long after the warm-up the stream starts: moves the last message against the heartbeats' phase. */
  offsetMs?: number;
}

interface Outcome {
  delivered: number[][];
  lost: number[];
  /** When each receiver delivered the last message, after it was sent. */
  lastAfterMs: (number | undefined)[];
  /** Original data datagrams dropped (at the sender when common, else summed over the receivers). */
  lostDatagrams: number;
  nakFrames: number;
  nakEntries: number;
  repairs: number;
  /** The sender's counters: repairs refused within the linger, over the repair budget, gone from the window. */
  sender: Record<string, number>;
}

function simulate({ receivers, loss, common, seed, dropLast = false, offsetMs = 0 }: Case): Outcome {
  const events = new Events();
  const now = () => events.now;
  const sender = new ReliableSender({}, now, STREAM);
  const rxs = Array.from({ length: receivers }, (_, i) => new ReliableReceiver<number>({}, now, seeded(seed * 1000 + i)));
  const lossAt = Array.from({ length: receivers }, (_, i) => seeded(seed * 7919 + 100 + i));
  const lossCommon = seeded(seed * 7919);
  const delivered: number[][] = rxs.map(() => []);
  const lost = rxs.map(() => 0);
  const deliveredAt: number[][] = rxs.map(() => []);
  const timers: (number | undefined)[] = rxs.map(() => undefined);
  let senderTimer: number | undefined;
  const tally = { lostDatagrams: 0, nakFrames: 0, nakEntries: 0, repairs: 0 };

  const take = (i: number, out: { deliver: number[]; lost: number }) => {
    for (const seq of out.deliver) {
      delivered[i].push(seq);
      deliveredAt[i][seq] = events.now;
    }
    lost[i] += out.lost;
  };

  /** Sets receiver i's one timer for its next deadline (a timer that fires early finds nothing due and is set again). */
  const arm = (i: number) => {
    const deadline = rxs[i].nextDeadline();
    if (deadline === undefined || (timers[i] !== undefined && (timers[i] as number) <= deadline)) return;
    timers[i] = deadline;
    events.at(deadline, () => {
      if (timers[i] !== deadline) return;
      timers[i] = undefined;
      const due = rxs[i].due();
      take(i, due);
      for (const { to, frame } of due.naks) {
        assert.equal(to, SOURCE);
        const decoded = decodeControlFrame(frame);
        assert.ok('frame' in decoded && decoded.frame.type === 'nak');
        tally.nakFrames++;
        tally.nakEntries += decoded.frame.entries.length;
        const nak = decoded.frame;
        events.at(events.now + DELAY_MS, () => {
          for (const repair of sender.answer(nak)) {
            tally.repairs++;
            multicast(repair, false);
          }
        });
      }
      arm(i);
    });
  };

  const armSender = () => {
    const deadline = sender.nextDeadline();
    if (deadline === undefined || (senderTimer !== undefined && senderTimer <= deadline)) return;
    senderTimer = deadline;
    events.at(deadline, () => {
      if (senderTimer !== deadline) return;
      senderTimer = undefined;
      const heartbeat = sender.heartbeat();
      if (heartbeat) multicast(heartbeat, false);
      armSender();
    });
  };

  const receive = (i: number, datagram: Buffer) => {
    let data: Buffer | undefined = datagram;
    if (isControlFrame(datagram)) {
      const decoded = decodeControlFrame(datagram);
      assert.ok('frame' in decoded);
      data = rxs[i].control(SOURCE, decoded.frame).redecode;
    }
    if (data) take(i, rxs[i].data(SOURCE, data.readUInt32BE(4), data.readUInt32BE(4), data.length));
    arm(i);
  };

  /** To the group: lost at the sender (common) or per receiver (independent), else heard DELAY_MS later. */
  function multicast(datagram: Buffer, original: boolean, dropForAll = false): void {
    if (dropForAll || (common && lossCommon() < loss)) {
      if (original) tally.lostDatagrams++;
      return;
    }
    rxs.forEach((_, i) => {
      if (!common && lossAt[i]() < loss) {
        if (original) tally.lostDatagrams++;
        return;
      }
      events.at(events.now + DELAY_MS, () => receive(i, datagram));
    });
  }

  const send = (seq: number, options: { lossless?: boolean; dropForAll?: boolean } = {}) => {
    const datagram = lc02(seq);
    sender.sent(seq, [datagram]);
    if (options.lossless) rxs.forEach((_, i) => events.at(events.now + DELAY_MS, () => receive(i, datagram)));
    else multicast(datagram, true, options.dropForAll);
    armSender();
  };

  // Warm-up: a source is best-effort until its heartbeat is heard, so the measured stream starts once every receiver
  // heard one (message 0 starts the sender's heartbeats).
  send(0, { lossless: true });
  events.run(10_000, () => rxs.every((rx) => (rx.counts() as { streams: number }).streams === 1));
  const start = events.now + offsetMs;
  for (let seq = 1; seq <= MESSAGES; seq++) {
    const last = seq === MESSAGES;
    events.at(start + (seq - 1) * INTERVAL_MS, () => send(seq, { dropForAll: dropLast && last }));
  }
  const lastSentAt = start + (MESSAGES - 1) * INTERVAL_MS;
  events.run(lastSentAt + 3000);
  return {
    delivered: delivered.map((list) => list.filter((seq) => seq !== 0)),
    lost,
    lastAfterMs: deliveredAt.map((at) => (at[MESSAGES] === undefined ? undefined : at[MESSAGES] - lastSentAt)),
    ...tally,
    sender: sender.counts(),
  };
}

const all = Array.from({ length: MESSAGES }, (_, i) => i + 1);
const refused = ({ sender }: Outcome) => `lingered ${sender.lingered}, rate-limited ${sender.rateLimited}, gone ${sender.gone}`;
const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

/** Every receiver delivers in order, each message at most once, and counts every message it did not deliver as lost. */
function assertAccounted(outcome: Outcome): void {
  outcome.delivered.forEach((list, i) => {
    assert.ok(
      list.every((seq, k) => k === 0 || seq > list[k - 1]),
      `receiver ${i} in order, no duplicates`,
    );
    assert.equal(list.length + outcome.lost[i], MESSAGES, `receiver ${i}: delivered + lost`);
  });
}

const line = (name: string, outcome: Outcome) =>
  console.log(
    `      ${name}: ${outcome.lostDatagrams} datagrams lost, ` +
      `NAK entries/lost ${ratio(outcome.nakEntries, outcome.lostDatagrams).toFixed(2)} (${outcome.nakFrames} frames), ` +
      `repairs/lost ${ratio(outcome.repairs, outcome.lostDatagrams).toFixed(2)}, messages lost ${outcome.lost.join('/')}, ` +
      `sender ${refused(outcome)}`,
  );

describe('reliable delivery on a simulated network', () => {
  for (const loss of [0.01, 0.05, 0.2]) {
    for (const receivers of [1, 4, 8]) {
      it(`delivers every message exactly once, in order, at ${loss * 100}% independent loss to ${receivers} receiver(s)`, () => {
        const outcome = simulate({ receivers, loss, common: false, seed: Math.round(loss * 1000) + receivers });
        line(`independent ${loss * 100}% × ${receivers}`, outcome);
        assertAccounted(outcome);
        outcome.delivered.forEach((list, i) => assert.deepEqual(list, all, `receiver ${i}`));
        assert.deepEqual(
          outcome.lost,
          outcome.lost.map(() => 0),
        );
      });
    }
  }

  // With four asks and repairs capped at the data rate, 20% loss to 8 receivers lost 146 to 266 messages per run: a
  // repair lost four times in a row, and 83% of datagrams needing one. Eight asks and a budget of twice the data rate
  // (nak-scheduler.ts, repair-limiter.ts) bring it to 0; these seeds pass and fail with those two choices.
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`loses nothing at 20% independent loss to 8 receivers, seed ${seed}`, () => {
      const outcome = simulate({ receivers: 8, loss: 0.2, common: false, seed: 2000 + seed });
      line(`independent 20% × 8, seed ${seed}`, outcome);
      assertAccounted(outcome);
      assert.deepEqual(
        outcome.lost,
        outcome.lost.map(() => 0),
      );
    });
  }

  it('costs at most 2 NAKs and 1.5 repairs per datagram lost for all 8 receivers at once (5% common loss)', () => {
    const outcome = simulate({ receivers: 8, loss: 0.05, common: true, seed: 5 });
    const naks = ratio(outcome.nakEntries, outcome.lostDatagrams);
    const repairs = ratio(outcome.repairs, outcome.lostDatagrams);
    line('common 5% × 8', outcome);
    assert.ok(outcome.lostDatagrams > 20, `only ${outcome.lostDatagrams} lost: not a test of suppression`);
    outcome.delivered.forEach((list, i) => assert.deepEqual(list, all, `receiver ${i}`));
    assert.ok(naks <= 2, `${naks.toFixed(2)} NAKs per lost datagram`);
    assert.ok(repairs <= 1.5, `${repairs.toFixed(2)} repairs per lost datagram`);
  });

  it('delivers the last message, dropped for everyone, within 1 s (tail loss, found by a heartbeat)', () => {
    for (const offsetMs of [0, 25, 50, 75]) {
      const outcome = simulate({ receivers: 4, loss: 0, common: true, seed: 9, dropLast: true, offsetMs });
      console.log(
        `      tail loss × 4, stream started ${offsetMs} ms into the heartbeats' phase: last message delivered ` +
          `${outcome.lastAfterMs.map((ms) => ms?.toFixed(1)).join('/')} ms after it was sent`,
      );
      outcome.delivered.forEach((list, i) => assert.deepEqual(list, all, `receiver ${i}`));
      for (const ms of outcome.lastAfterMs) assert.ok(ms !== undefined && ms <= 1000, `delivered ${ms} ms after it was sent`);
    }
  });
});
