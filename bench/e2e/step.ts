/**
 * One measured step of the ramp: a rate of StatsD lines sent for a few whole flush intervals,
 * then one quiet interval, then an exact reconciliation by SQL of what was sent against what
 * the pipeline stored, and the latency of the markers sent meanwhile.
 *
 * Steps are aligned to the agent's wall-clock flush boundaries: sending starts just after a
 * boundary T0 and stops a second before T0 + intervals * flush, so every line of the step is in
 * a datapoint stamped in (T0, T0 + (intervals + 1) * flush] (the quiet interval takes in
 * anything received late), and no other step's lines are.
 */
import { readFileSync } from 'node:fs';
import { processUsage } from '../shared/process-usage.js';
import { flushTimeline, type MarkerWatch, percentile, samplePipeline, watchMarkers } from './latency.js';
import type { LoadGenerator } from './load-client.js';
import { LOAD_PREFIX } from './load-plan.js';
import { metric, type Pipeline, query } from './pipeline.js';

export interface StepSettings {
  flushMs: number;
  intervals: number;
  markerEveryMs: number;
  /** Most time to wait, after the step's window closed, for its data to be stored. */
  settleTimeoutMs: number;
}

export interface StepResult {
  linesPerSecondOffered: number;
  linesPerSecond: number;
  sendSeconds: number;
  linesSent: number;
  packetsSent: number;
  sendErrors: number;
  /** Stored datapoints and timer summaries stamped inside the load's intervals, per second. */
  datapointsPerSecond: number;
  counters: { sent: number; stored: number };
  timerSamples: { sent: number; stored: number };
  /** Exact: every counter increment and timer sample sent is stored, none twice. */
  zeroLoss: boolean;
  /** The sender delivered less than 97% of the offered rate. */
  senderShort: boolean;
  agent: {
    linesReceived: number;
    kernelDrops: number;
    liveSeries: number;
    containers: number;
    rssMb: number;
    peakRssMb: number;
    /** CPU seconds per second over the whole step (load, quiet interval, settling): cores used. */
    cpuCores: number;
    /** CPU seconds the step cost per million lines sent. */
    cpuSecondsPerMillionLines: number;
  };
  collector: { cpuCores: number; cpuSecondsPerMillionLines: number; peakRssMb: number; rssMb: number } | null;
  /** The collector's inserts (every table) during the step: count, mean rows, and busy share of the step. */
  collectorInserts: { count: number; meanRows: number; meanSeconds: number; busyShare: number };
  brokerCpuCores: number | null;
  /** The load generator's CPU seconds per second of sending. */
  loadGeneratorCpuCores: number;
  /** Seconds from the step's start (T0) to the end of settling, which the CPU figures cover. */
  stepSeconds: number;
  /** RcvbufErrors of the whole host (/proc/net/snmp) during the step. */
  hostUdpRcvbufErrors: number;
  latencyMs: {
    markers: number;
    seen: number;
    p50: number | null;
    p99: number | null;
    max: number | null;
    /**
     * Mean latency of the markers sent in the step's last flush interval minus that of its
     * first (same phases against the flush): positive and growing when the pipeline falls behind.
     */
    trend: number | null;
  };
  /**
   * After each flush of the load's intervals (medians, ms after the flush boundary): when the
   * agent's spool last grew, when Kafka last acknowledged records (null under corral start)
   * and when the collector's stored count last rose, each before the next boundary.
   */
  flushTimeline: ReturnType<typeof flushTimeline>;
  /** Zero loss, and not falling behind (latency trend under half a flush interval). */
  sustained: boolean;
  settleSeconds: number;
  windowStart: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sleepUntil = (epochMs: number) => sleep(Math.max(0, epochMs - Date.now()));
const round = (n: number, digits = 2) => Number(n.toFixed(digits));

export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(match?.[1] ?? 0) / 1024);
}

function rcvbufErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Udp:'));
  const names = lines[0]!.split(/\s+/);
  const values = lines[1]!.split(/\s+/);
  return Number(values[names.indexOf('RcvbufErrors')] ?? 0);
}

const at = (ms: number) => `fromUnixTimestamp64Milli(toInt64(${Math.round(ms)}))`;

/** What is stored in (fromMs, toMs]: load counters' sum, timer samples, and all rows up to loadEndMs. */
async function stored(pipeline: Pipeline, fromMs: number, toMs: number, loadEndMs: number) {
  const window = (a: number, b: number) => `time > ${at(a)} AND time <= ${at(b)}`;
  const [row] = await query<{ counters: number | null; timers: number | null; rows: string }>(
    pipeline.collectorUrl,
    `SELECT
      (SELECT sum(value) FROM datapoints WHERE kind = 'counter' AND startsWith(name, '${LOAD_PREFIX}') AND ${window(fromMs, toMs)}) AS counters,
      (SELECT sum(count) FROM timer_summaries WHERE startsWith(name, '${LOAD_PREFIX}') AND ${window(fromMs, toMs)}) AS timers,
      toString((SELECT count() FROM datapoints WHERE ${window(fromMs, loadEndMs)})
        + (SELECT count() FROM timer_summaries WHERE ${window(fromMs, loadEndMs)})) AS rows`,
  );
  return {
    counters: Number(row?.counters ?? 0),
    timers: Number(row?.timers ?? 0),
    rows: Number(row?.rows ?? 0),
  };
}

export async function runStep(
  pipeline: Pipeline,
  load: LoadGenerator,
  linesPerSecond: number,
  settings: StepSettings,
  markerSeq: number,
): Promise<{ result: StepResult; nextMarkerSeq: number }> {
  const { flushMs, intervals } = settings;
  const t0 = Math.ceil((Date.now() + 500) / flushMs) * flushMs;
  const loadEnd = t0 + intervals * flushMs;
  const windowEnd = loadEnd + flushMs;
  await sleepUntil(t0 + 150);

  const agentMetric = (name: string) => metric(pipeline.agentUrl, name);
  const inserts = async () => ({
    count: await metric(pipeline.collectorUrl, 'corral_collector_insert_duration_seconds_count'),
    seconds: await metric(pipeline.collectorUrl, 'corral_collector_insert_duration_seconds_sum'),
    rows: await metric(pipeline.collectorUrl, 'corral_collector_rows_inserted_total'),
  });
  const insertsBefore = await inserts();
  // CPU, lines and drops so far: the step's own are the differences.
  const snapshot = async () => ({
    agent: processUsage(pipeline.agentPid),
    collector: processUsage(pipeline.collectorPid),
    broker: pipeline.brokerCpuSeconds(),
    lines: await agentMetric('corral_statsd_lines_received_total'),
    drops: await agentMetric('corral_statsd_udp_kernel_drops_total'),
    rcvbuf: rcvbufErrors(),
  });
  const before = await snapshot();
  const watch: MarkerWatch = watchMarkers(pipeline.collectorUrl, t0, 100);
  const sampler = samplePipeline(pipeline.agentUrl, pipeline.collectorUrl, 200);
  const sendSeconds = (loadEnd - 1000 - Date.now()) / 1000;
  const report = await load.run(linesPerSecond, sendSeconds, settings.markerEveryMs, markerSeq);
  const liveSeries = await agentMetric('corral_statsd_live_series');
  const containers = await agentMetric('corral_cgroup_containers');
  const agentRss = rssMb(pipeline.agentPid);

  // The step's data: wait for the exact totals and every marker, or until nothing changes.
  await sleepUntil(windowEnd + 300);
  let last = await stored(pipeline, t0, windowEnd, loadEnd);
  let unchangedSince = Date.now();
  const settleStart = Date.now();
  for (;;) {
    const complete =
      last.counters >= report.counterTotal &&
      last.timers >= report.timerSamples &&
      report.markers.every((m) => watch.seen.has(m.seq));
    if (
      complete ||
      Date.now() - unchangedSince > 20_000 ||
      Date.now() - settleStart > settings.settleTimeoutMs
    )
      break;
    await sleep(500);
    const now = await stored(pipeline, t0, windowEnd, loadEnd);
    if (now.counters !== last.counters || now.timers !== last.timers || now.rows !== last.rows)
      unchangedSince = Date.now();
    last = now;
  }
  const settleSeconds = (Date.now() - windowEnd) / 1000;
  await watch.stop();
  await sampler.stop();
  // Rows stamped inside the load's intervals, once everything of them is in.
  const final = await stored(pipeline, t0, windowEnd, loadEnd);

  const after = await snapshot();
  const insertsAfter = await inserts();
  const insertCount = insertsAfter.count - insertsBefore.count;
  const latencies = report.markers
    .filter((m) => watch.seen.has(m.seq))
    .map((m) => watch.seen.get(m.seq)! - m.sentMs)
    .sort((a, b) => a - b);
  const stepSeconds = (Date.now() - t0) / 1000;
  const cores = (cpu: number) => round(cpu / stepSeconds);
  const perMillion = (cpu: number) => round((cpu / report.lines) * 1e6);
  const separate = pipeline.collectorPid !== pipeline.agentPid;
  const zeroLoss =
    final.counters === report.counterTotal &&
    final.timers === report.timerSamples &&
    latencies.length === report.markers.length;
  const achieved = report.lines / report.seconds;
  const meanLatency = (from: number, to: number) => {
    const l = report.markers
      .filter((m) => m.sentMs >= from && m.sentMs < to && watch.seen.has(m.seq))
      .map((m) => watch.seen.get(m.seq)! - m.sentMs);
    return l.length === 0 ? null : l.reduce((a, b) => a + b, 0) / l.length;
  };
  const first = meanLatency(t0, t0 + flushMs);
  const lastMean = meanLatency(loadEnd - flushMs, loadEnd);
  const trend = first === null || lastMean === null ? null : Math.round(lastMean - first);
  return {
    nextMarkerSeq: report.markers.reduce((max, m) => Math.max(max, m.seq + 1), markerSeq + 1),
    result: {
      linesPerSecondOffered: linesPerSecond,
      linesPerSecond: Math.round(achieved),
      sendSeconds: round(report.seconds),
      linesSent: report.lines,
      packetsSent: report.packets,
      sendErrors: report.sendErrors,
      datapointsPerSecond: Math.round(final.rows / ((loadEnd - t0) / 1000)),
      counters: { sent: report.counterTotal, stored: final.counters },
      timerSamples: { sent: report.timerSamples, stored: final.timers },
      zeroLoss,
      senderShort: achieved < 0.97 * linesPerSecond,
      agent: {
        linesReceived: after.lines - before.lines,
        kernelDrops: after.drops - before.drops,
        liveSeries,
        containers,
        rssMb: agentRss,
        peakRssMb: after.agent.peakRssMb,
        cpuCores: cores(after.agent.cpuSeconds - before.agent.cpuSeconds),
        cpuSecondsPerMillionLines: perMillion(after.agent.cpuSeconds - before.agent.cpuSeconds),
      },
      collector: separate
        ? {
            cpuCores: cores(after.collector.cpuSeconds - before.collector.cpuSeconds),
            cpuSecondsPerMillionLines: perMillion(after.collector.cpuSeconds - before.collector.cpuSeconds),
            peakRssMb: after.collector.peakRssMb,
            rssMb: rssMb(pipeline.collectorPid),
          }
        : null,
      collectorInserts: {
        count: insertCount,
        meanRows: insertCount > 0 ? Math.round((insertsAfter.rows - insertsBefore.rows) / insertCount) : 0,
        meanSeconds:
          insertCount > 0 ? round((insertsAfter.seconds - insertsBefore.seconds) / insertCount, 3) : 0,
        busyShare: round((insertsAfter.seconds - insertsBefore.seconds) / stepSeconds),
      },
      brokerCpuCores: separate ? cores(after.broker - before.broker) : null,
      loadGeneratorCpuCores: round(report.cpuSeconds / report.seconds),
      stepSeconds: round(stepSeconds, 1),
      hostUdpRcvbufErrors: after.rcvbuf - before.rcvbuf,
      latencyMs: {
        markers: report.markers.length,
        seen: latencies.length,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: latencies.at(-1) ?? null,
        trend,
      },
      flushTimeline: flushTimeline(
        sampler.samples,
        Array.from({ length: intervals }, (_, i) => t0 + (i + 1) * flushMs),
        flushMs,
      ),
      sustained: zeroLoss && trend !== null && trend < flushMs / 2,
      settleSeconds: round(settleSeconds, 1),
      windowStart: new Date(t0).toISOString(),
    },
  };
}
