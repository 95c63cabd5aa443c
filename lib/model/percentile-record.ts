/**
 * Builds timers' percentile records ({"50": v, "99.9": w}) compactly.
 *
 * Keys like "50" and "99" are array indices to V8. Set one by one on an empty object they give
 * it a holey elements store sized past the largest index: 1,417 bytes for 50/90/95/99 and about
 * 4 µs each, so the 25,000 timers of one flush held 35 MB in the agent (and the collector built
 * as many again when it decoded them). An object literal that spells the keys out gets a compact
 * store (about 360 bytes) and is built three times faster, so the literal is generated, once per
 * key list.
 */

import { setEntry } from './set-entry.js';

export type PercentileRecordMaker = (values: readonly number[]) => Record<string, number>;

/** The record maker of one key list: values[i] becomes the value of keys[i]. */
export function percentileRecordMaker(keys: readonly string[]): PercentileRecordMaker {
  // "__proto__" in a literal would set the prototype, not a key: build those one by one.
  if (keys.includes('__proto__')) return (values) => assignRecord(keys, values);
  // JSON.stringify spells any string as a safe JavaScript string literal.
  const body = keys.map((key, i) => `${JSON.stringify(key)}: v[${i}]`).join(', ');
  try {
    return new Function('v', `return { ${body} };`) as PercentileRecordMaker;
  } catch {
    // node --disallow-code-generation-from-strings: the plain build, larger but the same records.
    return (values) => assignRecord(keys, values);
  }
}

/** The plain build, for key lists that get no maker of their own. */
export function assignRecord(keys: readonly string[], values: readonly number[]): Record<string, number> {
  const record: Record<string, number> = {};
  for (let i = 0; i < keys.length; i++) setEntry(record, keys[i]!, values[i]!);
  return record;
}

/** Makers wanted by decoders, which meet whatever key lists the messages carry. */
const MAX_MAKERS = 32;

/**
 * Percentile records for a decoder: a maker per key list seen, for up to MAX_MAKERS lists (in
 * practice there is one, the agents' statsd.percentiles); lists beyond that are built plainly,
 * so messages with ever new keys cannot grow the cache or compile a function each.
 */
export class PercentileRecords {
  private readonly makers = new Map<string, PercentileRecordMaker>();
  private lastKeys: readonly string[] = [];
  private lastMaker: PercentileRecordMaker | undefined;

  make(keys: readonly string[], values: readonly number[]): Record<string, number> {
    if (this.lastMaker !== undefined && sameKeys(keys, this.lastKeys)) return this.lastMaker(values);
    const id = JSON.stringify(keys);
    let maker = this.makers.get(id);
    if (maker === undefined) {
      if (this.makers.size >= MAX_MAKERS) return assignRecord(keys, values);
      maker = percentileRecordMaker(keys);
      this.makers.set(id, maker);
    }
    this.lastKeys = keys.slice();
    this.lastMaker = maker;
    return maker(values);
  }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
