import assert from 'node:assert/strict';
import { topicFilter, topicFilterProblem } from '../../src/core/topic-filter';

describe('topic filters', () => {
  const cases: [string, string, boolean][] = [
    ['', 'anything/at/all', true],
    ['', 'LCM_SELF_TEST', false],
    ['LCM_SELF_TEST', 'LCM_SELF_TEST', true],
    ['EXAMPLE', 'EXAMPLE', true],
    ['EXAMPLE', 'EXAMPLE2', false],
    ['sensors/+/temp', 'sensors/kitchen/temp', true],
    ['sensors/+/temp', 'sensors/kitchen/humidity', false],
    ['sensors/+/temp', 'sensors/kitchen/temp/x', false],
    ['sensors/+', 'sensors', false],
    ['sensors/#', 'sensors', true],
    ['sensors/#', 'sensors/a/b/c', true],
    ['sensors/#', 'sensorsX/a', false],
    ['#', 'x', true],
    ['#', 'LCM_SELF_TEST', false],
    ['+/+', 'a/b', true],
    ['+', 'a/b', false],
    // As in MQTT: topics beginning with `$` are the bus's own; wildcards at the first level never match them.
    ['', '$bus/presence', false],
    ['#', '$bus/presence', false],
    ['+/presence', '$bus/presence', false],
    ['+/#', '$bus/presence', false],
    ['$bus/presence', '$bus/presence', true],
    ['$bus/#', '$bus/presence', true],
    ['$bus/+', '$bus/presence', true],
    ['a/#', 'a/$b', true],
  ];
  for (const [filter, topic, expected] of cases) {
    it(`"${filter}" ${expected ? 'matches' : 'does not match'} "${topic}"`, () => {
      assert.equal(topicFilter(filter)(topic), expected);
    });
  }

  it('names malformed filters', () => {
    assert.equal(topicFilterProblem('a/#/b'), 'hash');
    assert.equal(topicFilterProblem('a/b#'), 'hash');
    assert.equal(topicFilterProblem('a/b+/c'), 'plus');
    assert.equal(topicFilterProblem('a/+/#'), undefined);
  });
});
