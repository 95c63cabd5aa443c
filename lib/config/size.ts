/** Byte sizes: a plain integer or a number with a unit, decimal (KB = 1000) or binary (KiB = 1024). */

const EXPECTED = 'expected a size in bytes like 65535, 512B, 64KiB, 16MiB or 10KB';

const UNIT_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

const SIZE = /^(\d+(?:\.\d+)?)([a-z]+)?$/i;

/** Parses a size into bytes; throws with the expectation for anything else (negative, fractional bytes, garbage). */
export function parseSize(input: unknown): number {
  if (typeof input === 'number') {
    if (Number.isSafeInteger(input) && input >= 0) return input;
    throw new Error(EXPECTED);
  }
  if (typeof input !== 'string') throw new Error(EXPECTED);
  const match = SIZE.exec(input);
  if (!match) throw new Error(EXPECTED);
  const [, amount, unit] = match;
  // A bare number must be an integer: "1.5" bytes is meaningless.
  if (unit === undefined && amount!.includes('.')) throw new Error(EXPECTED);
  const factor = unit === undefined ? 1 : UNIT_BYTES[unit.toLowerCase()];
  if (factor === undefined) throw new Error(EXPECTED);
  const bytes = Number(amount) * factor;
  if (!Number.isSafeInteger(bytes)) throw new Error(EXPECTED);
  return bytes;
}
