/**
 * Strict number and list parsing for values that arrive as text (environment variables, flags):
 * Number("12abc") is NaN but parseInt("12abc") is 12 and Number("") is 0, so neither is used bare.
 */

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

/** Accepts a safe integer or its decimal text; throws with `expected` otherwise. */
export function parseInteger(input: unknown, expected = 'expected an integer'): number {
  const value = typeof input === 'string' && INTEGER.test(input) ? Number(input) : input;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new Error(expected);
  return value;
}

/** Accepts a finite number or its decimal text; throws with `expected` otherwise. */
export function parseNumber(input: unknown, expected = 'expected a number'): number {
  const value = typeof input === 'string' && DECIMAL.test(input) ? Number(input) : input;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(expected);
  return value;
}

/**
 * Lists come as arrays from YAML/JSON or as "a,b,c" from anywhere; an empty string is an empty list.
 * Empty items ("a,,b") are rejected since they are always a typo.
 */
export function parseList(input: unknown, expected = 'expected a comma-separated list'): unknown[] {
  if (Array.isArray(input)) return input;
  if (typeof input !== 'string') throw new Error(expected);
  if (input.trim() === '') return [];
  const items = input.split(',').map((item) => item.trim());
  if (items.includes('')) throw new Error(`${expected} without empty items`);
  return items;
}
