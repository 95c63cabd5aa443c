/**
 * Defensive readers for the kubelet's JSON: every field may be missing or of another type
 * (a kubelet of another version, a proxy in between), and one odd item must not fail a read.
 */

export type JsonObject = Readonly<Record<string, unknown>>;

export function asObject(value: unknown): JsonObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}

export function objectField(object: JsonObject | undefined, key: string): JsonObject | undefined {
  return asObject(object?.[key]);
}

/** A non-empty string, or undefined: an empty name or id identifies nothing. */
export function stringField(object: JsonObject | undefined, key: string): string | undefined {
  const value = object?.[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function integerField(object: JsonObject | undefined, key: string): number | undefined {
  const value = object?.[key];
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

/** An array field, or an empty one: an absent list and an empty list mean the same. */
export function arrayField(object: JsonObject | undefined, key: string): readonly unknown[] {
  const value = object?.[key];
  return Array.isArray(value) ? value : [];
}

/** An RFC 3339 time (as Kubernetes serializes metav1.Time) in ms since the epoch. */
export function timeField(object: JsonObject | undefined, key: string): number | undefined {
  const text = stringField(object, key);
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The string entries of a map field (labels); values of other types are dropped. */
export function stringMapField(object: JsonObject | undefined, key: string): Record<string, string> {
  const map: Record<string, string> = {};
  const source = objectField(object, key);
  if (source === undefined) return map;
  for (const [name, value] of Object.entries(source)) {
    if (typeof value === 'string') map[name] = value;
  }
  return map;
}
