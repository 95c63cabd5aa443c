/** Durations are written with units ("10s", "1m30s") so a bare number can never be misread as ms vs s. */

const EXPECTED = 'expected a duration like 10s, 500ms or 1m';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

// One or more <number><unit> parts; "ms" is listed before "m" so the alternation prefers it.
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** Parses "10s", "500ms", "1m30s", "1.5s" into milliseconds; throws with the expectation otherwise. */
export function parseDuration(input: unknown): number {
  if (typeof input !== 'string' || !WHOLE.test(input)) throw new Error(EXPECTED);
  let ms = 0;
  for (const [, amount, unit] of input.matchAll(PART)) ms += Number(amount) * UNIT_MS[unit!]!;
  // Strip binary floating point noise ("1.1s" would otherwise be 1100.0000000000002).
  return Math.round(ms * 1e6) / 1e6;
}
