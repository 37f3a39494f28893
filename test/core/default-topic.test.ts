import assert from 'node:assert/strict';
import { DEFAULT_TOPIC, topicToSend } from '../../src/core/default-topic';

describe('the topic a multicast out sends on', () => {
  it("is the node's Topic when set, over msg.topic", () => {
    assert.equal(topicToSend('FIXED', 'ignored'), 'FIXED');
  });

  it('is msg.topic when the node has none and msg.topic is a non-empty string', () => {
    assert.equal(topicToSend('', 'sensors/hall'), 'sensors/hall');
  });

  it('is "messages" when neither gives one: an empty or missing msg.topic, or one that is not a string', () => {
    assert.equal(DEFAULT_TOPIC, 'messages');
    for (const msgTopic of ['', undefined, null, 42, { a: 1 }]) assert.equal(topicToSend('', msgTopic), 'messages');
    assert.equal(topicToSend(undefined, undefined), 'messages');
  });
});
