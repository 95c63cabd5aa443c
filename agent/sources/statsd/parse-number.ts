/**
 * Strict StatsD number syntax: [+-]digits[.digits][(e|E)[+-]digits], or [+-].digits.
 * Unlike Number() it rejects "", " 1", "0x10", "Infinity", "NaN" and "1_000", so the wire
 * format means the same thing on every server. Returns NaN for anything invalid.
 */
export function parseStatsdNumber(text: string, start: number, end: number): number {
  const bytes = Buffer.from(text.slice(start, end), 'utf8');
  return parseNumberBytes(bytes, 0, bytes.length);
}

/** 10^k for k <= 22: exact doubles, so digits / 10^k rounds correctly (Clinger's fast path). */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** Same grammar as parseStatsdNumber, on the bytes of a packet. */
export function parseNumberBytes(b: Uint8Array, start: number, end: number): number {
  let i = start;
  let negative = false;
  let c = i < end ? b[i]! : -1;
  if (c === 43 /* + */ || c === 45 /* - */) {
    negative = c === 45;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  const intStart = i;
  while (i < end) {
    c = b[i]!;
    if (c < 48 || c > 57) break;
    mantissa = mantissa * 10 + (c - 48);
    i++;
  }
  const intDigits = i - intStart;
  digits = intDigits;
  let fracDigits = 0;
  if (i < end && c === 46 /* . */) {
    i++;
    while (i < end) {
      c = b[i]!;
      if (c < 48 || c > 57) break;
      mantissa = mantissa * 10 + (c - 48);
      fracDigits++;
      i++;
    }
    digits += fracDigits;
  }
  if (digits === 0) return Number.NaN;
  let exact = true;
  if (i < end && (c === 101 || c === 69) /* e E */) {
    exact = false;
    i++;
    c = i < end ? b[i]! : -1;
    if (c === 43 || c === 45) i++;
    const expStart = i;
    while (i < end && b[i]! >= 48 && b[i]! <= 57) i++;
    if (i === expStart) return Number.NaN;
  }
  if (i !== end) return Number.NaN;
  if (exact && digits <= 15) {
    const value = fracDigits === 0 ? mantissa : mantissa / POW10[fracDigits]!;
    return negative ? -value : value;
  }
  // Long mantissas and exponents: validated above, so Number() sees only our grammar.
  return Number(Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1'));
}
