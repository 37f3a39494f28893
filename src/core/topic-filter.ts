/**
 * Compiles a topic filter: empty matches every topic, `+` one level (levels split by `/`), `#` as the last level the
 * rest (including none), anything else matches exactly. As in MQTT, a topic that begins with `$` (the bus's own, such
 * as `$bus/presence`) is matched only by a filter whose first level names it: never by `#`, `+` or the empty filter at
 * the first level, so catch-all filters see no control traffic. LCM's LCM_SELF_TEST channel only matches a filter
 * naming it.
 */
export function topicFilter(filter: string): (topic: string) => boolean {
  const hidden = (topic: string) => topic === 'LCM_SELF_TEST' || topic.startsWith('$');
  if (filter === '' || filter === '#') return (topic) => !hidden(topic);
  if (!filter.includes('+') && !filter.includes('#')) return (topic) => topic === filter;
  const levels = filter.split('/');
  const wildFirst = levels[0] === '+' || levels[0] === '#';
  return (topic) => {
    if (wildFirst ? hidden(topic) : topic === 'LCM_SELF_TEST') return false;
    const parts = topic.split('/');
    for (let i = 0; i < levels.length; i++) {
      if (levels[i] === '#') return true;
      if (i >= parts.length) return false;
      if (levels[i] !== '+' && levels[i] !== parts[i]) return false;
    }
    return parts.length === levels.length;
  };
}

/** Why a filter is malformed (a `#` not alone at the end, a `+` sharing a level), or undefined when it is fine. */
export function topicFilterProblem(filter: string): string | undefined {
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return 'hash';
    if (level.includes('+') && level !== '+') return 'plus';
  }
  return undefined;
}
