/**
 * Hand parsers over a file's text: indexOf and charCodeAt, no regex, no split, no string per
 * line. They return NaN for a value that is present but not a number, undefined for one that
 * is absent, so the caller can tell a malformed file from an optional key.
 */

/** A key of a flat keyed file ("name value" lines: cpu.stat, memory.stat, memory.events). */
export class Key {
  /** The spelling on the first line. */
  readonly first: string;
  /** The spelling on any later line; the newline keeps "inactive_file" from matching "total_inactive_file". */
  readonly later: string;

  constructor(readonly name: string) {
    this.first = `${name} `;
    this.later = `\n${name} `;
  }
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/** Index of the newline ending the line that starts at from, or the text's length. */
export function lineEnd(text: string, from: number): number {
  const i = text.indexOf('\n', from);
  return i < 0 ? text.length : i;
}

/** End of the token starting at from: the next space, tab or newline, or end. */
export function tokenEnd(text: string, from: number, end: number): number {
  let i = from;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10) break;
    i++;
  }
  return i;
}

/** Digits only, at least one, in text[start, end); NaN otherwise. Exact below 2^53. */
export function parseUint(text: string, start: number, end: number): number {
  if (start >= end) return Number.NaN;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return n;
}

/**
 * An optional minus, digits and an optional fraction ("-1", "1.82"); NaN otherwise. The digits
 * are gathered into one integer and divided once, so "1.82" is exactly the double 1.82.
 */
export function parseDecimal(text: string, start: number, end: number): number {
  let i = start;
  const negative = i < end && text.charCodeAt(i) === 45;
  if (negative) i++;
  let n = 0;
  let digits = 0;
  let fraction = -1;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 && fraction < 0) {
      fraction = 0;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
    digits++;
    if (fraction >= 0) fraction++;
  }
  if (digits === 0 || fraction === 0 || fraction >= POW10.length) return Number.NaN;
  if (fraction > 0) n /= POW10[fraction] as number;
  return negative ? -n : n;
}

/** The whole file as one unsigned integer ("123\n"). */
export function singleUint(text: string): number {
  return parseUint(text, 0, lineEnd(text, 0));
}

/** The value of key in a flat keyed file: undefined when the key is absent, NaN when garbled. */
export function keyedUint(text: string, key: Key): number | undefined {
  let start: number;
  if (text.startsWith(key.first)) {
    start = key.first.length;
  } else {
    const i = text.indexOf(key.later);
    if (i < 0) return undefined;
    start = i + key.later.length;
  }
  return parseUint(text, start, lineEnd(text, start));
}

/**
 * Reads keys into out (same order). The first `required` keys must be present; any present
 * value must parse. Returns false when the file is malformed; out is then not to be used.
 */
export function readKeyed(
  text: string,
  keys: readonly Key[],
  required: number,
  out: (number | undefined)[],
): boolean {
  for (let k = 0; k < keys.length; k++) {
    const v = keyedUint(text, keys[k] as Key);
    if (v === undefined ? k < required : Number.isNaN(v)) return false;
    out[k] = v;
  }
  return true;
}

/**
 * The value of a `name=value` field (needle is "name=") on the line [start, end), as a decimal:
 * undefined when the line has no such field, NaN when its value is garbled.
 */
export function lineField(text: string, needle: string, start: number, end: number): number | undefined {
  let i = text.indexOf(needle, start);
  // The field must start a token, so "rbytes=" never matches inside "xrbytes=".
  while (i >= 0 && i < end && i > start && text.charCodeAt(i - 1) !== 32) i = text.indexOf(needle, i + 1);
  if (i < 0 || i >= end) return undefined;
  const from = i + needle.length;
  return parseDecimal(text, from, tokenEnd(text, from, end));
}
