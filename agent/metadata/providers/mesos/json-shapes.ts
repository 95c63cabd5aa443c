/**
 * Narrowing helpers for the agent's JSON: every field is checked before use so that one
 * odd item is skipped instead of throwing out the whole snapshot.
 */

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-empty string, or undefined: Mesos writes "" for unset ids (a command task's executor_id). */
export function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function finiteNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * The array in owner[field]: absent or null is an empty list (the agent omits empty lists in
 * some versions); anything else that is not an array is reported and read as empty.
 */
export function listField(owner: JsonObject, field: string, onSkipped: (reason: string) => void): unknown[] {
  const value = owner[field];
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  onSkipped(`${field}_not_array`);
  return [];
}
