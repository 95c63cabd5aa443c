/**
 * The end-to-end benchmark (the last part of `npm run bench`; alone: `npm run build && node
 * dist/bench/e2e/run.js`). A load generator in its own process sends StatsD lines to the real
 * agent, which also scrapes a generated cgroup tree of 500 containers and the node's /proc;
 * the data goes agent -> Kafka (the test broker) -> collector -> embedded ClickHouse, and then
 * the same load goes through `corral start` (one process, the in-process log). For each, a
 * ramp of rates finds the highest with zero loss, checked exactly by SQL; markers give the
 * latency from send to queryable row. Progress on stderr, one JSON document on stdout.
 *
 *   --quick             short flush interval and steps, 20,000 series: tries the bench itself
 *   --modes kafka,start which pipelines (default both)
 *   --rates 100000,...  the ramp's rates, lines/s
 *   --statsd-json FILE  the StatsD benchmark's document, for the ratio against Etsy's server
 *   --out FILE          also write the document to FILE
 *   BENCH_E2E_PROFILE=DIR  V8 CPU profiles of the agent and the collector (or corral start)
 *   BENCH_E2E_AGENT_ARGS="--flag value ..."  extra agent flags, for experiments
 *   BENCH_E2E_AGENT_NODE_OPTIONS="--v8-flag ..."  the agent's node flags, for experiments
 *   BENCH_E2E_METRICS_PARTITIONS=N  the metrics topic's partitions (default 4)
 *   BENCH_E2E_PIN=1     through Kafka, the collector and the load on CPU 1: the agent has CPU 0
 */

import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { machineInfo } from '../shared/machine.js';
import { processUsage } from '../shared/process-usage.js';
import { containerId, makeCgroupTree } from './cgroup-tree.js';
import { type LoadGenerator, startLoadGenerator } from './load-client.js';
import type { GroupSpec } from './load-plan.js';
import { containerEndpoints, metric, type Pipeline, startAllInOne, startKafkaPipeline } from './pipeline.js';
import { rssMb, runStep, type StepResult, type StepSettings } from './step.js';

const argv = process.argv.slice(2);
const option = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const quick = argv.includes('--quick');
const modes = (option('--modes') ?? 'kafka,start').split(',') as ('kafka' | 'start')[];
const RATES = (
  option('--rates') ?? (quick ? '50000,100000' : '50000,100000,150000,200000,300000,400000,600000')
)
  .split(',')
  .map(Number);
const statsdJson = option('--statsd-json');
const outFile = option('--out');
const profileDir = process.env.BENCH_E2E_PROFILE;

const CONTAINERS = 500;
const SERIES = quick ? 20_000 : 100_000;
const FLUSH_MS = quick ? 2_000 : 10_000;
const STEP: StepSettings = {
  flushMs: FLUSH_MS,
  intervals: 3,
  markerEveryMs: quick ? 100 : 250,
  settleTimeoutMs: 120_000,
};
const TARGET_LINES_PER_SECOND = 200_000;
const TARGET_AGENT_RSS_MB = 150;
const TARGET_LATENCY_MS = FLUSH_MS + 2_000;

const progress = (message: string) => process.stderr.write(`[bench:e2e] ${message}\n`);

/**
 * BENCH_E2E_PIN=1: through Kafka, the collector (all its threads, the engine's included), this
 * runner and the load generator it starts next are kept on CPU 1, so the agent has CPU 0 to
 * itself (and CPU 1 when it is free), as on a node where the collector runs elsewhere.
 */
const PIN = process.env.BENCH_E2E_PIN === '1';

function pinOffAgent(collectorPid: number): void {
  for (const pid of [collectorPid, process.pid])
    execFileSync('taskset', ['-a', '-p', '-c', '1', String(pid)], { stdio: 'ignore' });
  progress('kafka: collector, runner and load generator pinned to CPU 1 (BENCH_E2E_PIN)');
}

/**
 * The series: 10 containers on their own ports (half the series), 10 naming themselves with the
 * DogStatsD `c:` field and 10 with a `container_id` tag on the shared port (a fifth each), and a
 * tenth of no container. Destination 0 is the shared port, 1..10 the containers' own ports.
 */
function groups(): GroupSpec[] {
  const out: GroupSpec[] = [];
  const scale = SERIES / 100_000;
  for (let i = 0; i < 10; i++)
    out.push({
      destination: 1 + i,
      container: { mode: 'port', id: containerId(i) },
      series: 5_000 * scale,
      app: `own${i}`,
    });
  for (let i = 10; i < 20; i++)
    out.push({
      destination: 0,
      container: { mode: 'field', id: containerId(i) },
      series: 2_000 * scale,
      app: `field${i}`,
    });
  for (let i = 20; i < 30; i++)
    out.push({
      destination: 0,
      container: { mode: 'tag', id: containerId(i) },
      series: 2_000 * scale,
      app: `tag${i}`,
    });
  out.push({ destination: 0, container: null, series: 10_000 * scale, app: 'node' });
  return out;
}

async function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 60_000,
) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(value)})`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** TCP bytes `pid` sent on its established connections (ss -tinp), e.g. to the Kafka broker. */
function tcpBytesSent(pid: number): number | null {
  try {
    const out = execFileSync('ss', ['-tinpH', 'state', 'established'], { encoding: 'utf8' });
    const lines = out.split('\n');
    let sum = 0;
    for (let i = 0; i < lines.length - 1; i++) {
      if (!lines[i]!.includes(`pid=${pid},`)) continue;
      const sent = /bytes_sent:(\d+)/.exec(lines[i + 1]!);
      if (sent) sum += Number(sent[1]);
    }
    return sum;
  } catch {
    return null;
  }
}

interface ModeResult {
  mode: 'kafka' | 'start';
  pipeline: string;
  /** The agent before any StatsD load: 500 containers scraped, their ports open. */
  agentIdle: { rssMb: number; peakRssMb: number };
  warmup: StepResult;
  steps: StepResult[];
  /** The highest rate of the ramp with zero loss, lines/s (as achieved), or null. */
  maxZeroLossLinesPerSecond: number | null;
  atMax: StepResult | null;
  endedBy: 'loss' | 'falling-behind' | 'sender' | 'steps';
  wire: {
    datapointsStored: number;
    recordBytesPerDatapoint: number | null;
    tcpBytesPerDatapoint: number | null;
  } | null;
  seconds: number;
}

async function runMode(mode: 'kafka' | 'start', cgroupRoot: string): Promise<ModeResult> {
  const started = performance.now();
  const options = { cgroupRoot, flushInterval: `${FLUSH_MS}ms`, profileDir };
  progress(`${mode}: starting the pipeline`);
  const pipeline: Pipeline =
    mode === 'kafka' ? await startKafkaPipeline(options) : await startAllInOne(options);
  let load: LoadGenerator | undefined;
  try {
    const endpoints = await waitFor(
      'a StatsD port for every container',
      () => containerEndpoints(pipeline.agentUrl),
      (e) => e.length >= CONTAINERS,
    );
    const portOf = new Map(endpoints.map((e) => [e.container_id, e.port]));
    const ports = [pipeline.statsdPort];
    for (let i = 0; i < 10; i++) {
      const port = portOf.get(containerId(i));
      if (port === undefined) throw new Error(`no StatsD port for container ${containerId(i)}`);
      ports.push(port);
    }
    // Two cgroup scrapes in, before any StatsD line.
    await new Promise((resolve) => setTimeout(resolve, 2 * 10_000));
    const agentIdle = {
      rssMb: rssMb(pipeline.agentPid),
      peakRssMb: processUsage(pipeline.agentPid).peakRssMb,
    };
    progress(`${mode}: agent before the load: rss ${agentIdle.rssMb} MB (peak ${agentIdle.peakRssMb})`);
    if (PIN && mode === 'kafka') pinOffAgent(pipeline.collectorPid);
    load = await startLoadGenerator(groups(), ports);
    progress(
      `${mode}: ${endpoints.length} container ports; load pool ${load.pool.packets} packets, ` +
        `${load.pool.lines} lines (${load.pool.series} series), ${Math.round(load.pool.bytes / load.pool.packets)} bytes/packet`,
    );
    let seq = 0;
    const describe = (s: StepResult) =>
      `${s.linesPerSecond} lines/s (offered ${s.linesPerSecondOffered}), ${s.datapointsPerSecond} datapoints/s, ` +
      `zero loss ${s.zeroLoss} (counters ${s.counters.stored}/${s.counters.sent}, timer samples ` +
      `${s.timerSamples.stored}/${s.timerSamples.sent}, markers ${s.latencyMs.seen}/${s.latencyMs.markers}), ` +
      `agent received ${s.agent.linesReceived}/${s.linesSent} lines, kernel drops ${s.agent.kernelDrops}, ` +
      `latency p50 ${s.latencyMs.p50} p99 ${s.latencyMs.p99} ms (trend ${s.latencyMs.trend}; after a flush: ` +
      `spooled +${s.flushTimeline.spooledMs} ms, in Kafka +${s.flushTimeline.inKafkaMs} ms, stored +${s.flushTimeline.storedMs} ms), agent cpu ${s.agent.cpuCores} ` +
      `rss ${s.agent.rssMb} MB (peak ${s.agent.peakRssMb}), live series ${s.agent.liveSeries}, ` +
      `collector cpu ${s.collector?.cpuCores ?? '-'} peak rss ${s.collector?.peakRssMb ?? '-'} MB, ` +
      `inserts ${s.collectorInserts.count} (mean ${s.collectorInserts.meanRows} rows, ${s.collectorInserts.meanSeconds} s, ` +
      `busy ${s.collectorInserts.busyShare}), broker cpu ${s.brokerCpuCores ?? '-'}, load cpu ${s.loadGeneratorCpuCores}, ` +
      `settled ${s.settleSeconds} s after the window (${s.stepSeconds} s step)`;

    // Warm-up: every series created, the JIT warm; measured like a step but not part of the ramp.
    const warm = await runStep(pipeline, load, RATES[0]!, STEP, seq);
    seq = warm.nextMarkerSeq;
    progress(`${mode}: warm-up ${describe(warm.result)}`);
    const wireBefore = {
      record: mode === 'kafka' ? await metric(pipeline.agentUrl, 'corral_kafka_bytes_sent_total') : 0,
      tcp: mode === 'kafka' ? tcpBytesSent(pipeline.agentPid) : null,
      stored: await metric(pipeline.collectorUrl, 'corral_collector_datapoints_stored_total'),
    };

    const steps: StepResult[] = [];
    let endedBy: ModeResult['endedBy'] = 'steps';
    for (const rate of RATES) {
      const step = await runStep(pipeline, load, rate, STEP, seq);
      seq = step.nextMarkerSeq;
      steps.push(step.result);
      progress(`${mode}: ${describe(step.result)}`);
      if (!step.result.zeroLoss) {
        // The agent had every line: the rest was still on its way when the bench stopped waiting.
        const late =
          step.result.agent.kernelDrops === 0 && step.result.agent.linesReceived >= step.result.linesSent;
        endedBy = late ? 'falling-behind' : 'loss';
        break;
      }
      if (!step.result.sustained) {
        endedBy = 'falling-behind';
        break;
      }
      if (step.result.senderShort) {
        endedBy = 'sender';
        break;
      }
    }
    const storedAfter = await metric(pipeline.collectorUrl, 'corral_collector_datapoints_stored_total');
    const datapoints = storedAfter - wireBefore.stored;
    let wire: ModeResult['wire'] = null;
    if (mode === 'kafka') {
      const record = (await metric(pipeline.agentUrl, 'corral_kafka_bytes_sent_total')) - wireBefore.record;
      const tcpAfter = tcpBytesSent(pipeline.agentPid);
      wire = {
        datapointsStored: datapoints,
        recordBytesPerDatapoint: datapoints > 0 ? Number((record / datapoints).toFixed(1)) : null,
        tcpBytesPerDatapoint:
          datapoints > 0 && tcpAfter !== null && wireBefore.tcp !== null
            ? Number(((tcpAfter - wireBefore.tcp) / datapoints).toFixed(1))
            : null,
      };
    }
    const passed = steps.filter((s) => s.sustained && !s.senderShort);
    const atMax = passed.reduce<StepResult | null>(
      (best, s) => (best === null || s.linesPerSecond > best.linesPerSecond ? s : best),
      null,
    );
    return {
      mode,
      pipeline:
        mode === 'kafka'
          ? 'corral agent --sink kafka -> mock Kafka broker (librdkafka 2.0.2) -> corral collector -> embedded ClickHouse'
          : 'corral start: agent -> in-process log -> collector -> embedded ClickHouse, one process',
      agentIdle,
      warmup: warm.result,
      steps,
      maxZeroLossLinesPerSecond: atMax?.linesPerSecond ?? null,
      atMax,
      endedBy,
      wire,
      seconds: Math.round((performance.now() - started) / 1000),
    };
  } finally {
    await load?.stop();
    await pipeline.stop();
  }
}

/** Etsy's numbers from the StatsD benchmark's document (bench/statsd/run.ts), when given. */
function etsyReference(): {
  linesPerSecond20LinePackets: number | null;
  maxLosslessSingleLinePps: number | null;
} | null {
  if (statsdJson === undefined) return null;
  try {
    const doc = JSON.parse(readFileSync(statsdJson, 'utf8')) as {
      scenarios: {
        name: string;
        runs: { server: string; window?: { linesPerSecond: number }; maxPps?: number }[];
      }[];
    };
    const scenario = (start: string) => doc.scenarios.find((s) => s.name.startsWith(start));
    const etsy = (start: string) => scenario(start)?.runs.find((r) => r.server === 'etsy');
    return {
      linesPerSecond20LinePackets: etsy('20-line packets, plain')?.window?.linesPerSecond ?? null,
      maxLosslessSingleLinePps: etsy('single-line packets, rising')?.maxPps ?? null,
    };
  } catch (error) {
    progress(`could not read ${statsdJson}: ${(error as Error).message}`);
    return null;
  }
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a == null || b == null || b === 0 ? null : Number((a / b).toFixed(2));
}

async function main() {
  const loadAtStart = loadavg().map((n) => Number(n.toFixed(2)));
  const cgroupRoot = makeCgroupTree(CONTAINERS, process.pid);
  const results: ModeResult[] = [];
  try {
    for (const mode of modes) results.push(await runMode(mode, cgroupRoot));
  } finally {
    rmSync(cgroupRoot, { recursive: true, force: true });
  }
  const kafka = results.find((r) => r.mode === 'kafka');
  const start = results.find((r) => r.mode === 'start');
  const etsy = etsyReference();
  // The agent at the rate closest to the target among the zero-loss steps (or the highest).
  const kafkaPassed = kafka?.steps.filter((s) => s.zeroLoss) ?? [];
  const peakAgentRss = Math.max(0, ...[kafka?.warmup, ...kafkaPassed].map((s) => s?.agent.peakRssMb ?? 0));
  const latencyStep = kafka?.atMax ?? null;
  const liveSeries = kafka?.atMax?.agent.liveSeries ?? kafka?.warmup.agent.liveSeries ?? null;
  const containers = kafka?.atMax?.agent.containers ?? kafka?.warmup.agent.containers ?? null;
  const targets = kafka
    ? [
        {
          name: 'StatsD lines/s end to end with zero loss (agent -> Kafka -> collector -> ClickHouse)',
          target: `>= ${TARGET_LINES_PER_SECOND}`,
          reached: kafka.maxZeroLossLinesPerSecond,
          met: (kafka.maxZeroLossLinesPerSecond ?? 0) >= TARGET_LINES_PER_SECOND,
          note: `ramp ended by ${kafka.endedBy}`,
        },
        {
          name: 'p99 latency from send to queryable row, at the highest zero-loss rate',
          target: `<= ${TARGET_LATENCY_MS} ms (flush interval + 2 s)`,
          reached: latencyStep?.latencyMs.p99 ?? null,
          met: latencyStep?.latencyMs.p99 != null && latencyStep.latencyMs.p99 <= TARGET_LATENCY_MS,
        },
        {
          name: `agent peak RSS at ${containers} containers and ${liveSeries} live series (zero-loss steps)`,
          target: `<= ${TARGET_AGENT_RSS_MB} MB at 500 containers and 100,000 live series`,
          reached: peakAgentRss,
          met: peakAgentRss <= TARGET_AGENT_RSS_MB,
        },
      ]
    : [];
  const document = {
    benchmark:
      'end to end: StatsD load -> corral agent -> Kafka -> corral collector -> ClickHouse; corral start',
    date: new Date().toISOString(),
    quick,
    machine: machineInfo(loadAtStart),
    settings: {
      containers: CONTAINERS,
      series: SERIES,
      flushIntervalMs: FLUSH_MS,
      intervalsPerStep: STEP.intervals,
      markerEveryMs: STEP.markerEveryMs,
      rates: RATES,
      sources: 'statsd,cgroup,node,self',
      statsdContainerPorts: 'ephemeral',
      collectorBatchInterval: '1s',
      kafka: 'gzip (the default), 12 metrics partitions, one mock broker',
      extraAgentArgs: process.env.BENCH_E2E_AGENT_ARGS ?? '',
    },
    results,
    etsy,
    ratios: {
      kafkaVsEtsy20LinePackets: ratio(kafka?.maxZeroLossLinesPerSecond, etsy?.linesPerSecond20LinePackets),
      kafkaVsEtsyLosslessSingleLine: ratio(kafka?.maxZeroLossLinesPerSecond, etsy?.maxLosslessSingleLinePps),
      startVsEtsy20LinePackets: ratio(start?.maxZeroLossLinesPerSecond, etsy?.linesPerSecond20LinePackets),
      startVsKafka: ratio(start?.maxZeroLossLinesPerSecond, kafka?.maxZeroLossLinesPerSecond),
    },
    targets,
    runnerPeakRssMb: processUsage(process.pid).peakRssMb,
  };
  for (const t of targets) progress(`target ${t.name}: ${t.target}, reached ${t.reached}, met ${t.met}`);
  const json = `${JSON.stringify(document, null, 2)}\n`;
  process.stdout.write(json);
  if (outFile !== undefined) writeFileSync(outFile, json);
}

await main();
