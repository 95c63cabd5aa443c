/**
 * End-to-end latency: the load generator sends marker gauges (each its own series, its value
 * the time it was sent); this polls the collector's POST /v0/query for them and notes when
 * each first answers. Latency = first answered - sent, so it includes the wait for the
 * agent's flush, the Kafka (or in-process log) hop, the collector's batching and the insert.
 */
import { MARKER_NAME } from './load-plan.js';
import { metric, query } from './pipeline.js';

export interface MarkerWatch {
  /** seq -> when the marker's row first answered a query (ms since the epoch). */
  readonly seen: Map<number, number>;
  /** Queries made, and the slowest (ms). */
  readonly polls: { count: number; slowestMs: number };
  stop(): Promise<void>;
}

/** Polls every `everyMs` for markers stored at or after `fromMs` (their flush time). */
export function watchMarkers(collectorUrl: string, fromMs: number, everyMs: number): MarkerWatch {
  const seen = new Map<number, number>();
  const polls = { count: 0, slowestMs: 0 };
  let stopped = false;
  const sql =
    `SELECT toUInt64(tags['seq']) AS seq FROM datapoints WHERE name = '${MARKER_NAME}' ` +
    `AND time >= fromUnixTimestamp64Milli(toInt64(${Math.floor(fromMs)})) GROUP BY seq`;
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      try {
        const rows = await query<{ seq: string }>(collectorUrl, sql);
        const at = Date.now();
        for (const row of rows) {
          const seq = Number(row.seq);
          if (!seen.has(seq)) seen.set(seq, at);
        }
      } catch {
        // A query that fails (the collector busy) is simply tried again.
      }
      const took = performance.now() - started;
      polls.count++;
      polls.slowestMs = Math.max(polls.slowestMs, Math.round(took));
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, everyMs - took)));
    }
  })();
  return {
    seen,
    polls,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export interface PipelineSample {
  atMs: number;
  /** Records the agent's spool holds: not yet acknowledged by Kafka (under corral start: not yet stored). */
  spooled: number;
  /** Records Kafka has acknowledged so far (0 under corral start, which has no Kafka). */
  sent: number;
  /** The collector's datapoints stored so far. */
  stored: number;
}

/** Samples the agent's spool and sends and the collector's stored count every `everyMs`, for the flush timeline. */
export function samplePipeline(
  agentUrl: string,
  collectorUrl: string,
  everyMs: number,
): { samples: PipelineSample[]; stop(): Promise<void> } {
  const samples: PipelineSample[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      try {
        const [spooled, sent, stored] = await Promise.all([
          metric(agentUrl, 'corral_spool_records'),
          metric(agentUrl, 'corral_kafka_records_sent_total'),
          metric(collectorUrl, 'corral_collector_datapoints_stored_total'),
        ]);
        samples.push({ atMs: Date.now(), spooled, sent, stored });
      } catch {
        // Missed sample.
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, everyMs - (performance.now() - started))),
      );
    }
  })();
  return {
    samples,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** When `value` last rose between two samples, or undefined. */
function lastRise(
  samples: readonly PipelineSample[],
  value: (s: PipelineSample) => number,
): number | undefined {
  let at: number | undefined;
  for (let i = 1; i < samples.length; i++)
    if (value(samples[i]!) > value(samples[i - 1]!)) at = samples[i]!.atMs;
  return at;
}

/**
 * After each flush boundary, in ms after it, medians over `boundaries`: when the agent's spool
 * last grew before the next boundary (the interval's records all encoded and spooled), when
 * Kafka last acknowledged records (all of them in Kafka; null under corral start), and when
 * the collector's stored count last rose (the interval stored). The spool being empty says
 * little: it is empty between one source's records and the next's (a cgroup scrape's are
 * sent before the StatsD flush is even spooled).
 */
export function flushTimeline(
  samples: readonly PipelineSample[],
  boundaries: readonly number[],
  flushMs: number,
) {
  const spooled: number[] = [];
  const inKafka: number[] = [];
  const stored: number[] = [];
  for (const b of boundaries) {
    // From the sample before the boundary, so that a rise right at it counts.
    const within = samples.filter((s) => s.atMs >= b - 250 && s.atMs < b + flushMs);
    for (const [list, value] of [
      [spooled, (s: PipelineSample) => s.spooled],
      [inKafka, (s: PipelineSample) => s.sent],
      [stored, (s: PipelineSample) => s.stored],
    ] as const) {
      const at = lastRise(within, value);
      if (at !== undefined) list.push(at - b);
    }
  }
  const median = (v: number[]) =>
    percentile(
      [...v].sort((a, b) => a - b),
      50,
    );
  return {
    spooledMs: median(spooled),
    inKafkaMs: median(inKafka),
    storedMs: median(stored),
    flushes: boundaries.length,
  };
}
