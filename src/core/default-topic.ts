/**
 * The topic a multicast out sends on when neither its own Topic nor msg.topic gives one, so a flow built from the
 * palette's defaults (an inject with no topic) delivers its first message. Only LCM framing carries a topic; raw
 * framing sends none, and a multicast in on a raw bus sets its own.
 */
export const DEFAULT_TOPIC = 'messages';

/** The topic a message goes out on: the node's Topic when set, else msg.topic when it is a non-empty string, else DEFAULT_TOPIC. */
export function topicToSend(nodeTopic: string | undefined, msgTopic: unknown): string {
  if (nodeTopic) return nodeTopic;
  if (typeof msgTopic === 'string' && msgTopic !== '') return msgTopic;
  return DEFAULT_TOPIC;
}
