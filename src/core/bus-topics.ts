// The topics the bus itself speaks on. They begin with `$`, which topic-filter.ts keeps from catch-all filters, and
// flows may listen to them but not publish under `$bus/`.

/** Where a multicast in hears publishers come and go (online and offline events). */
export const PRESENCE_TOPIC = '$bus/presence';

/** Whether `topic` is the bus's own, which a flow may not publish on. */
export function isBusTopic(topic: string): boolean {
  return topic.startsWith('$bus/');
}
