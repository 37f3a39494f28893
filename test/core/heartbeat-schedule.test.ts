import assert from 'node:assert/strict';
import { HeartbeatSchedule, type HeartbeatTiming } from '../../src/core/heartbeat-schedule';

describe('a heartbeat schedule', () => {
  /** A schedule on a clock the test moves. */
  function scheduleAt(timing: Partial<HeartbeatTiming> = {}) {
    let now = 0;
    const schedule = new HeartbeatSchedule(timing, () => now);
    return { schedule, tick: (ms: number) => (now += ms) };
  }

  /** Beats whenever due while nothing else is sent, `count` times: the gaps between them and what each announced. */
  function idle(schedule: HeartbeatSchedule, tick: (ms: number) => number, count: number) {
    const gaps: number[] = [];
    const announced: number[] = [];
    for (let i = 0; i < count; i++) {
      const { inMs, intervalMs } = schedule.due();
      tick(inMs);
      assert.equal(schedule.due().inMs, 0);
      schedule.beat();
      gaps.push(inMs);
      announced.push(intervalMs);
    }
    return { gaps, announced };
  }

  it('beats 50 ms after the last message, then doubling to 1 s while idle', () => {
    const { schedule, tick } = scheduleAt();
    schedule.sent();
    const { gaps } = idle(schedule, tick, 7);
    assert.deepEqual(gaps, [50, 100, 200, 400, 800, 1000, 1000]);
  });

  it('announces in each heartbeat the gap to the next one', () => {
    const { schedule, tick } = scheduleAt();
    schedule.sent();
    const { gaps, announced } = idle(schedule, tick, 8);
    assert.deepEqual(announced.slice(0, -1), gaps.slice(1));
    assert.deepEqual(announced, [100, 200, 400, 800, 1000, 1000, 1000, 1000]);
  });

  it('goes back to 50 ms after a message', () => {
    const { schedule, tick } = scheduleAt();
    idle(schedule, tick, 6);
    tick(300);
    schedule.sent();
    assert.deepEqual(schedule.due(), { inMs: 50, intervalMs: 100 });
    assert.deepEqual(idle(schedule, tick, 3).gaps, [50, 100, 200]);
  });

  it('counts down to the next heartbeat and says 0 when it is overdue', () => {
    const { schedule, tick } = scheduleAt();
    schedule.sent();
    tick(20);
    assert.equal(schedule.due().inMs, 30);
    tick(40);
    assert.equal(schedule.due().inMs, 0);
  });

  it('announces itself within firstMs of opening, with or without data', () => {
    const quiet = scheduleAt();
    assert.deepEqual(quiet.schedule.due(), { inMs: 50, intervalMs: 100 });
    const busy = scheduleAt();
    for (let ms = 0; ms < 50; ms += 10) {
      busy.schedule.sent();
      busy.tick(10);
    }
    assert.equal(busy.schedule.due().inMs, 0);
  });

  it('keeps the promise of the last heartbeat under steady traffic: one every 100 ms', () => {
    const { schedule, tick } = scheduleAt();
    idle(schedule, tick, 5); // the last announced 1000 ms
    const beats: number[] = [];
    for (let ms = 0; ms < 3000; ms += 10) {
      schedule.sent();
      if (schedule.due().inMs === 0) {
        schedule.beat();
        beats.push(ms);
      }
      tick(10);
    }
    assert.equal(beats[0], 1000, 'when the last idle heartbeat said, not pushed back by the traffic');
    for (let i = 1; i < beats.length; i++) assert.equal(beats[i] - beats[i - 1], 100, `beats at ${beats.join(', ')}`);
  });

  it('keeps the timing it is given', () => {
    const { schedule, tick } = scheduleAt({ firstMs: 10, maxMs: 35 });
    schedule.sent();
    assert.deepEqual(idle(schedule, tick, 5).gaps, [10, 20, 35, 35, 35]);
  });
});
