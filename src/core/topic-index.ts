// Which subscribers want a topic, found without testing every filter: exact filters in a map, wildcard filters in a
// tree of levels walked once per topic. It matches exactly as topic-filter.ts does: empty and `#` match every topic
// but the hidden ones (`$…`, the bus's own, and LCM_SELF_TEST), a wildcard at the first level never matches a hidden
// topic, and LCM_SELF_TEST only matches a filter naming it.

class Level<T> {
  readonly children = new Map<string, Level<T>>();
  /** Subscribers whose filter's `+` stands for this level. */
  plus: Level<T> | undefined;
  /** Subscribers whose filter ends here with `#`: the rest of the topic, however long (none too). */
  readonly rest: T[] = [];
  /** Subscribers whose filter ends here. */
  readonly here: T[] = [];
}

const isHidden = (topic: string) => topic === 'LCM_SELF_TEST' || topic.startsWith('$');

/** An index from topic filters to the subscribers that gave them. */
export class TopicIndex<T> {
  private readonly exact = new Map<string, T[]>();
  private readonly root = new Level<T>();
  private wildcards = 0;

  /** Files `subscriber` under `filter` (a well-formed filter: topicFilterProblem says none). */
  add(filter: string, subscriber: T): void {
    const written = filter === '' ? '#' : filter;
    if (!written.includes('+') && !written.includes('#')) {
      const list = this.exact.get(written);
      // A subscriber that gives one filter twice is found once.
      if (!list) this.exact.set(written, [subscriber]);
      else if (!list.includes(subscriber)) list.push(subscriber);
      return;
    }
    this.wildcards++;
    let level = this.root;
    for (const part of written.split('/')) {
      if (part === '#') {
        level.rest.push(subscriber);
        return;
      }
      if (part === '+') level = level.plus ??= new Level<T>();
      else {
        let child = level.children.get(part);
        if (!child) level.children.set(part, (child = new Level<T>()));
        level = child;
      }
    }
    level.here.push(subscriber);
  }

  /** The subscribers with a filter that matches `topic`, each once. */
  match(topic: string): T[] {
    const exact = this.exact.get(topic);
    if (this.wildcards === 0 || topic === 'LCM_SELF_TEST') return exact ?? [];
    const found: T[] = exact ? [...exact] : [];
    walk(this.root, topic.split('/'), 0, isHidden(topic), found);
    return found.length > 1 ? [...new Set(found)] : found;
  }
}

function walk<T>(level: Level<T>, parts: string[], at: number, hidden: boolean, found: T[]): void {
  // At the first level a wildcard never stands for a hidden topic.
  const wild = at > 0 || !hidden;
  if (wild) for (const subscriber of level.rest) found.push(subscriber);
  if (at === parts.length) {
    for (const subscriber of level.here) found.push(subscriber);
    return;
  }
  const child = level.children.get(parts[at]);
  if (child) walk(child, parts, at + 1, hidden, found);
  if (wild && level.plus) walk(level.plus, parts, at + 1, hidden, found);
}
