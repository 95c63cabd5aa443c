import { StatsdEngine, type StatsdEngineOptions } from '../../agent/pipelines/statsd-engine.js';
import { REJECT_REASON_NAMES } from '../../agent/sources/statsd/reject-reason.js';
import type { Datapoint } from '../../lib/model/datapoint.js';

/** Flush interval the helpers assume: flushes land at 10 s, 20 s, 30 s, ... */
export const INTERVAL_MS = 10_000;

export const BASE_OPTIONS: StatsdEngineOptions = {
  maxPacketSize: 65_535,
  maxLineLength: 16_384,
  percentiles: [50, 90, 95, 99],
  timerSampleCap: 4096,
  setExactCap: 65_536,
  idleTtlMs: 30_000,
  flushIntervalMs: INTERVAL_MS,
  maxSeries: 100_000,
  maxSeriesPerContainer: 10_000,
};

/** An engine with test defaults (10 s flushes, 30 s idle TTL = 3 flushes). */
export function engine(overrides: Partial<StatsdEngineOptions> = {}): StatsdEngine {
  return new StatsdEngine({ ...BASE_OPTIONS, ...overrides });
}

/** Each line as its own UDP datagram. */
export function feed(e: StatsdEngine, ...lines: string[]): void {
  for (const line of lines) e.ingestPacket(Buffer.from(line, 'utf8'));
}

/** All lines in one UDP datagram, newline separated. */
export function feedPacket(e: StatsdEngine, lines: readonly string[], containerId?: string): void {
  e.ingestPacket(Buffer.from(lines.join('\n'), 'utf8'), containerId);
}

/** Non-zero reject counters by reason label, e.g. { not_a_number: 2 }. */
export function rejects(e: StatsdEngine): Record<string, number> {
  const out: Record<string, number> = {};
  e.stats.rejected.forEach((n, code) => {
    if (n !== 0) out[REJECT_REASON_NAMES[code]!] = n;
  });
  return out;
}

/** The engine's own flush clock: each call flushes the next 10 s boundary. */
const clocks = new WeakMap<StatsdEngine, number>();

/** Flushes the next interval (10 s, 20 s, ... per engine) and returns its datapoints. */
export function flush(e: StatsdEngine, intervalMs?: number): Datapoint[] {
  const t = (clocks.get(e) ?? 0) + INTERVAL_MS;
  clocks.set(e, t);
  return e.flush(t, intervalMs);
}

/** The time the last flush() of this engine was stamped with. */
export function lastFlushTime(e: StatsdEngine): number {
  return clocks.get(e) ?? 0;
}

/** Series identity of a datapoint: kind, name, container and sorted tags. */
export function seriesKey(p: Pick<Datapoint, 'kind' | 'name' | 'tags' | 'containerId'>): string {
  const tags = Object.keys(p.tags)
    .sort()
    .map((k) => `${k}=${p.tags[k]}`)
    .join(',');
  return `${p.kind} ${p.name}{${tags}}${p.containerId === undefined ? '' : `@${p.containerId}`}`;
}

/**
 * Flushes the next interval and returns its datapoints by name; fails when a name has more
 * than one datapoint (use flush() and find() for tagged or per-container series).
 */
export function flushOne(e: StatsdEngine, intervalMs?: number): Record<string, Datapoint> {
  return byName(flush(e, intervalMs));
}

export function byName(points: readonly Datapoint[]): Record<string, Datapoint> {
  const out: Record<string, Datapoint> = {};
  for (const p of points) {
    if (out[p.name] !== undefined) throw new Error(`several datapoints named ${p.name}: use flush()`);
    out[p.name] = p;
  }
  return out;
}

/** The single datapoint matching name (and tags/container when given); throws otherwise. */
export function find(
  points: readonly Datapoint[],
  name: string,
  tags: Record<string, string> = {},
  containerId?: string,
): Datapoint {
  const want = seriesKey({ kind: 'counter', name, tags, containerId }).slice('counter'.length);
  const found = points.filter((p) => seriesKey(p).slice(p.kind.length) === want);
  if (found.length !== 1) {
    throw new Error(`expected one datapoint ${want}, found ${found.length} in ${points.map(seriesKey)}`);
  }
  return found[0]!;
}

/** Deterministic PRNG (mulberry32), uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples from a uniform source (Box-Muller). */
export function normal(random: () => number): () => number {
  return () => {
    const u = 1 - random();
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** Nearest rank ceil(p/100 * n), computed in integers so 99.9% of 1000 is rank 999, not 1000. */
export function nearestRankOf(p: number, n: number): number {
  return Math.max(1, Math.ceil((Math.round(p * 1e6) * n) / 1e8));
}

/** Exact nearest-rank percentile of ascending values: the value at rank ceil(p/100 * n). */
export function exactPercentile(sorted: ArrayLike<number>, p: number): number {
  return sorted[nearestRankOf(p, sorted.length) - 1]!;
}

/**
 * Exact weighted nearest-rank percentiles: for each p, the first value (ascending) whose
 * cumulative weight reaches rank ceil(p/100 * W), W the total weight.
 */
export function exactWeightedPercentiles(
  samples: readonly { v: number; w: number }[],
  ps: readonly number[],
) {
  const sorted = [...samples].sort((a, b) => a.v - b.v);
  let total = 0;
  for (const s of sorted) total += s.w;
  const eps = 1e-9 * total;
  return ps.map((p) => {
    const rank = Math.max(1, Math.ceil((p / 100) * total - eps));
    let seen = 0;
    for (const s of sorted) {
      seen += s.w;
      if (seen >= rank - eps) return s.v;
    }
    return sorted[sorted.length - 1]!.v;
  });
}
