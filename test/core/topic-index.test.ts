// The index the bus routes messages by gives, for any topic, exactly the subscribers whose filter topicFilter says
// matches it: the same rules, found without testing every filter.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { BusMessage } from '../../src/core/framing';
import { parseBusSettings } from '../../src/core/bus-settings';
import { MulticastBus } from '../../src/core/multicast-bus';
import { topicFilter, topicFilterProblem } from '../../src/core/topic-filter';
import { TopicIndex } from '../../src/core/topic-index';
import { listener } from '../support/bus-listener';
import { nextPort } from '../support/ports';
import { requirePrivateNetwork } from '../support/private-network';
import { delay, until } from '../support/until';

const level = fc.constantFrom('a', 'b', 'sensors', 'temp', '', '$bus', 'presence', 'LCM_SELF_TEST');
const topic = fc.array(level, { minLength: 1, maxLength: 4 }).map((levels) => levels.join('/'));
const filter = fc
  .array(fc.oneof(level, fc.constant('+'), fc.constant('#')), { minLength: 1, maxLength: 4 })
  .map((levels) => levels.join('/'))
  .filter((f) => topicFilterProblem(f) === undefined);

describe('topic index', () => {
  it('finds for any topic exactly the subscribers whose filter matches it, each once (property-based)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(filter, fc.constant(''), fc.constant('#')), { maxLength: 12 }),
        fc.array(topic, { maxLength: 12 }),
        (filters, topics) => {
          const index = new TopicIndex<number>();
          // Subscriber i gives filters[i], and subscriber 0 gives every filter as well: found once however many match.
          filters.forEach((f, i) => {
            index.add(f, i);
            if (i > 0) index.add(f, 0);
          });
          for (const t of topics) {
            const expected = filters.flatMap((f, i) => (topicFilter(f)(t) ? [i] : []));
            if (filters.some((f) => topicFilter(f)(t)) && !expected.includes(0)) expected.push(0);
            assert.deepEqual(
              [...index.match(t)].sort((x, y) => x - y),
              expected.sort((x, y) => x - y),
              `${t} against ${JSON.stringify(filters)}`,
            );
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('keeps the bus topics and LCM_SELF_TEST from catch-all filters', () => {
    const index = new TopicIndex<string>();
    for (const f of ['#', '', '+/presence', '$bus/#', 'LCM_SELF_TEST', 'a/#']) index.add(f, f);
    assert.deepEqual(index.match('$bus/presence'), ['$bus/#']);
    assert.deepEqual(index.match('LCM_SELF_TEST'), ['LCM_SELF_TEST']);
    assert.deepEqual(index.match('a').sort(), ['', '#', 'a/#']);
  });

  it('routes a bus message only to the receivers whose filters match it, and by the new filters once they change', async function () {
    requirePrivateNetwork(this);
    const parsed = parseBusSettings({ group: '239.255.76.93', port: nextPort(), iface: 'lo', ttl: 0, framing: 'lcm', announce: false });
    if (!('settings' in parsed)) throw new Error(JSON.stringify(parsed));
    const bus = new MulticastBus(parsed.settings);
    let bFilters = ['b'];
    const calls = { a: [] as string[], b: [] as string[], all: [] as string[] };
    const receiver = (name: keyof typeof calls, filters?: () => string[]) =>
      Object.assign(listener(), { onMessage: (message: BusMessage) => calls[name].push(message.topic!) }, filters ? { filters } : {});
    const out = listener();
    const receivers = [receiver('a', () => ['a/#']), receiver('b', () => bFilters), receiver('all')];
    try {
      for (const r of receivers) bus.addReceiver(r);
      bus.addSender(out);
      await until('the bus open', () => out.phase === 'ready' && receivers.every((r) => r.phase === 'ready'));
      for (const t of ['a/1', 'b', 'c']) await bus.publish(t, Buffer.from('x'));
      await until('all three heard', () => calls.all.length === 3);
      bFilters = ['c'];
      bus.filtersChanged();
      for (const t of ['b', 'c']) await bus.publish(t, Buffer.from('x'));
      await until('both heard', () => calls.all.length === 5);
      await delay(50);
      assert.deepEqual(calls, { a: ['a/1'], b: ['b', 'c'], all: ['a/1', 'b', 'c', 'b', 'c'] });
    } finally {
      await bus.close();
    }
  });
});
