// A Map used as a bounded table of the most recently used: Map order is insertion order, so an entry set again moves
// to the end, and the first entry is the one used least recently, the one to evict.

/** Sets `key` as the most recently used entry of `map`, evicting the least recently used to keep at most `max`. */
export function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value as K);
  map.set(key, value);
}
