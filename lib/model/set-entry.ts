/**
 * Sets `map[key] = value` as an own, enumerable entry. A plain assignment to "__proto__" would
 * set the object's prototype instead and lose the entry (a tag or percentile may be named so).
 */
export function setEntry<T>(map: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__')
    Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  else map[key] = value;
}
