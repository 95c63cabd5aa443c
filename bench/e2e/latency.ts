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
  /** The collector's datapoints stored so far. */
  stored: number;
}

/** Samples the agent's spool and the collector's stored count every `everyMs`, for the flush timeline. */
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
        const [spooled, stored] = await Promise.all([
          metric(agentUrl, 'corral_spool_records'),
          metric(collectorUrl, 'corral_collector_datapoints_stored_total'),
        ]);
        samples.push({ atMs: Date.now(), spooled, stored });
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

/**
 * After each flush boundary: when the agent's spool was empty again (its records acknowledged
 * by Kafka, or stored under corral start) and when the collector's stored count last rose
 * before the next boundary (the flush stored), in ms after the boundary; medians over `boundaries`.
 */
export function flushTimeline(
  samples: readonly PipelineSample[],
  boundaries: readonly number[],
  flushMs: number,
) {
  const spoolEmpty: number[] = [];
  const storedDone: number[] = [];
  for (const b of boundaries) {
    const within = samples.filter((s) => s.atMs >= b && s.atMs < b + flushMs);
    const firstFull = within.findIndex((s) => s.spooled > 0);
    if (firstFull >= 0) {
      const empty = within.slice(firstFull).find((s) => s.spooled === 0);
      if (empty !== undefined) spoolEmpty.push(empty.atMs - b);
    }
    let lastRise: number | undefined;
    for (let i = 1; i < within.length; i++)
      if (within[i]!.stored > within[i - 1]!.stored) lastRise = within[i]!.atMs;
    if (lastRise !== undefined) storedDone.push(lastRise - b);
  }
  const median = (v: number[]) =>
    percentile(
      [...v].sort((a, b) => a - b),
      50,
    );
  return { spoolEmptyMs: median(spoolEmpty), storedMs: median(storedDone), flushes: boundaries.length };
}
