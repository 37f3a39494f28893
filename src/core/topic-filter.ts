/**
 * Compiles a topic filter: empty matches every topic, `+` one level (levels split by `/`), `#` as the last level the
 * rest (including none), anything else matches exactly. LCM's LCM_SELF_TEST channel only matches a filter naming it.
 */
export function topicFilter(filter: string): (topic: string) => boolean {
  const selfTest = (topic: string) => topic === 'LCM_SELF_TEST';
  if (filter === '' || filter === '#') return (topic) => !selfTest(topic);
  if (!filter.includes('+') && !filter.includes('#')) return (topic) => topic === filter;
  const levels = filter.split('/');
  return (topic) => {
    if (selfTest(topic)) return false;
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
