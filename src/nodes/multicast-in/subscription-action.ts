// What msg.action asks of a multicast in whose subscriptions are set at runtime (Dynamic), as the core mqtt in takes
// it: "subscribe" with msg.topic a filter or an array of filters, "unsubscribe" with the same or `true` for all, and
// "getSubscriptions". Read and checked here; the node carries it out.
import type { Problem } from '../../core/problem';
import { topicFilterProblem } from '../../core/topic-filter';

export type SubscriptionAction =
  { action: 'subscribe'; filters: string[] } | { action: 'unsubscribe'; filters: string[] | true } | { action: 'getSubscriptions' };

/** The action `msg` asks for, or the problem with it (in the node's catalog: errors.<code>, advice.<code>). */
export function readSubscriptionAction(
  msg: { action?: unknown; topic?: unknown },
  framing: string | undefined,
): SubscriptionAction | { problem: Problem } {
  const { action, topic } = msg;
  if (action === 'getSubscriptions') return { action };
  if (action !== 'subscribe' && action !== 'unsubscribe') return { problem: { code: 'bad-action', params: { action: String(action) } } };
  if (action === 'unsubscribe' && topic === true) return { action, filters: true };
  const given = Array.isArray(topic) ? topic : [topic];
  const filters = given.map((each) => (typeof each === 'string' ? each.trim() : ''));
  if (filters.length === 0 || filters.some((filter) => filter === '')) return { problem: { code: 'no-filters', params: { action } } };
  // With raw framing datagrams carry no topic, so a filter only turns listening on and off: any text will do.
  if (framing === 'lcm') {
    for (const filter of filters) {
      const wrong = topicFilterProblem(filter);
      if (wrong) return { problem: { code: `filter-${wrong}`, params: { topic: filter } } };
    }
  }
  return { action, filters };
}
