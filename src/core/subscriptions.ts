// A multicast in's topic filters when its subscriptions change at runtime (msg.action, as the core mqtt in does):
// the filters in the order they were added, each once, and whether a topic matches any of them.
import { topicFilter } from './topic-filter';

/** The filters a node is subscribed to now; a topic matches when any of them matches it. */
export class Subscriptions {
  private readonly filters = new Map<string, (topic: string) => boolean>();

  /** Adds filters not there yet; returns those that are new (for which retained values are worth asking). */
  add(filters: string[]): string[] {
    const added: string[] = [];
    for (const filter of filters) {
      if (this.filters.has(filter)) continue;
      this.filters.set(filter, topicFilter(filter));
      added.push(filter);
    }
    return added;
  }

  /** Removes the given filters (unknown ones are ignored), or every filter with `true`. */
  remove(filters: string[] | true): void {
    if (filters === true) this.filters.clear();
    else for (const filter of filters) this.filters.delete(filter);
  }

  /** Whether any filter matches `topic`. */
  matches(topic: string): boolean {
    for (const matches of this.filters.values()) if (matches(topic)) return true;
    return false;
  }

  /** The filters, oldest first. */
  list(): string[] {
    return [...this.filters.keys()];
  }

  /** How many filters there are. */
  get size(): number {
    return this.filters.size;
  }
}
