/**
 * npm run bench:statsd [-- --quick] [-- --profile]
 *
 * Our StatsD agent against Etsy's reference server, same load over loopback from a native
 * sender: throughput with 20-line packets, loss with single-line packets at a fixed rate and
 * on a ramp, memory per idle series. Our agent runs twice: `corral` with the native recvmmsg
 * receiver (the default when the addon is built; skipped, and said so, when it is not) and
 * `corral-dgram` on node:dgram. Progress goes to stderr; one JSON document to stdout.
 *   --quick    short runs and 100,000 series, to try the bench itself
 *   --profile  an extra, separately reported run of our server under node --cpu-prof
 *   --out FILE also write the JSON document to FILE (npm prints its banner on stdout too;
 *              npm run -s bench:statsd keeps stdout to the document alone)
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeUdp } from '../../agent/sources/statsd/native-udp-listener.js';
import {
  cpuModel,
  killChildren,
  loadAverage,
  PRIORITY_NICE,
  pinSelf,
  type RmemSettings,
  readRmem,
  writeRmem,
} from './proc.js';
import { type HotFunction, summarizeProfile } from './profile.js';
import { type Ours, ratios, targets } from './report.js';
import {
  type Bench,
  loadFor,
  type MemoryResult,
  memory,
  type RampResult,
  ramp,
  runOnFreshServer,
  type ScenarioRun,
} from './scenarios.js';
import { buildSender, type Load } from './sender.js';
import type { ServerKind } from './servers.js';

const argv = process.argv.slice(2);
const args = new Set(argv);
const outIndex = argv.indexOf('--out');
const outFile = outIndex >= 0 ? argv[outIndex + 1] : undefined;
const quick = args.has('--quick');
const profile = args.has('--profile');

const root = fileURLToPath(new URL('../../../', import.meta.url));
const paths = { root, dist: join(root, 'dist'), tmp: join(root, '.bench-tmp') };
const MiB = 1024 * 1024;
/** Socket receive buffer for both servers: ours asks for half (the kernel doubles SO_RCVBUF). */
const RECEIVE_BUFFER = 32 * MiB;
const FIXED_RATE_PPS = 200_000;
const RAMP_STEPS = [
  50_000, 75_000, 100_000, 125_000, 150_000, 175_000, 200_000, 250_000, 300_000, 350_000, 400_000, 450_000,
  500_000, 600_000,
];
const MAX_LOSS_PERCENT = 0.1;
/**
 * Where each ramp starts: the native receiver and the bare socket are known to be well above
 * the first steps (the warm-up load at the first step is not measured).
 */
const RAMP_FROM: Partial<Record<ServerKind, number>> = { corral: 100_000, 'dgram-floor': 150_000 };

/** Whether the native receiver's addon loads here; why not when it does not. */
function nativeReceiver(): { available: boolean; reason?: string } {
  try {
    return nativeUdp() === null
      ? { available: false, reason: 'not built (npm run build:native)' }
      : { available: true };
  } catch (error) {
    return { available: false, reason: `does not load: ${(error as Error).message}` };
  }
}

const native = nativeReceiver();
/** Our agent's rows: with the native receiver when it loads, always with node:dgram. */
const OURS: Ours[] = native.available ? ['corral', 'corral-dgram'] : ['corral-dgram'];
/** The row the targets and headline ratios use: what `udpReceiver: auto` gives on this machine. */
const PRIMARY: Ours = OURS[0]!;
const SERVERS: ServerKind[] = [...OURS, 'etsy'];
/** The StatsD servers, then a bare node:dgram socket as the floor of Node's receive cost. */
const WITH_FLOOR: ServerKind[] = [...SERVERS, 'dgram-floor'];

function progress(message: string): void {
  process.stderr.write(`[bench:statsd] ${message}\n`);
}

const cpus = availableParallelism();
const twoCpus = cpus >= 2;
const serverCpu = twoCpus ? 1 : null;
const senderCpu = twoCpus ? 0 : null;

/** Raise rmem_max and rmem_default for the run when permitted, so Etsy (no option) gets the same buffer. */
function setUpReceiveBuffers(): { original: RmemSettings; used: RmemSettings; raised: boolean } {
  const original = readRmem();
  const wanted = { rmemMax: Math.max(original.rmemMax, RECEIVE_BUFFER), rmemDefault: RECEIVE_BUFFER };
  const raised = writeRmem(wanted);
  return { original, used: raised ? wanted : original, raised };
}

async function main() {
  mkdirSync(paths.tmp, { recursive: true });
  if (!native.available) {
    progress(
      `the native UDP receiver ${native.reason}: skipping the corral (native) rows; ` +
        'targets use corral-dgram',
    );
  }
  pinSelf(senderCpu);
  const loadAtStart = loadAverage();
  const senderBinary = buildSender(join(root, 'bench/statsd'), paths.tmp);
  const rmem = setUpReceiveBuffers();
  const restore = () => {
    if (rmem.raised) writeRmem(rmem.original);
  };
  process.once('SIGINT', () => {
    killChildren();
    restore();
    process.exit(130);
  });

  const bench: Bench = {
    paths,
    server: {
      flushIntervalMs: 1000,
      percentiles: [50, 90, 95, 99],
      recvBufferSize: RECEIVE_BUFFER / 2,
      cpu: serverCpu,
    },
    senderBinary,
    senderCpu,
    warmupSeconds: quick ? 1 : 2,
    measureSeconds: quick ? 3 : 10,
  };
  const maxRate = (tagged: boolean): Omit<Load, 'seconds'> => ({
    linesPerPacket: 20,
    pps: 0,
    tagged,
    series: 1000,
    senders: 1,
  });

  try {
    const each = async (label: string, load: Load, servers = SERVERS) => {
      const runs: ScenarioRun[] = [];
      for (const kind of servers) {
        const run = await runOnFreshServer(bench, kind, load);
        const lost = run.sent.packets - run.received.packets;
        progress(
          `${label}: ${kind} ${run.window.linesPerSecond} lines/s (${run.window.linesPerCpuSecond} per cpu-s), ` +
            `${run.window.packetsPerSecond} packets/s, ` +
            `loss ${run.lossPercent}% (${lost} packets; RcvbufErrors ${run.kernelRcvbufDrops}` +
            `${run.socketDrops === null ? '' : `, socket drops ${run.socketDrops}`}; ` +
            `RcvbufErrors in the measured window ${run.window.kernelRcvbufDrops}), ` +
            `cpu ${run.window.cpuUtilization} (${run.window.cpuSystemPercent}% sys), ` +
            `steal ${run.stealPercent.serverCpu}% server cpu / ${run.stealPercent.senderCpu}% sender cpu, ` +
            `rejected ${run.received.rejectedLines}`,
        );
        runs.push(run);
      }
      return runs;
    };
    const maxRatePlain = await each('20-line plain, max rate', loadFor(bench, maxRate(false)), WITH_FLOOR);
    const maxRateTagged = await each('20-line tagged, max rate', loadFor(bench, maxRate(true)));
    const fixedRate = await each(
      `1-line at ${FIXED_RATE_PPS}/s`,
      loadFor(bench, { ...maxRate(false), linesPerPacket: 1, pps: FIXED_RATE_PPS }),
      WITH_FLOOR,
    );

    const ramps: RampResult[] = [];
    for (const kind of WITH_FLOOR) {
      const steps = RAMP_STEPS.filter((pps) => pps >= (RAMP_FROM[kind] ?? 0));
      const result = await ramp(bench, kind, steps, quick ? 2 : 5, MAX_LOSS_PERCENT);
      progress(
        `ramp: ${kind} max ${result.maxPps} packets/s (ended by ${result.endedBy}); ` +
          result.steps
            .map(
              (s) =>
                `${s.offeredPps}: sent ${s.sentPps}, ${s.lossPercent}% ` +
                `(cpu ${s.cpuUtilization}, steal ${s.stealPercent.serverCpu}/${s.stealPercent.senderCpu}%)`,
            )
            .join(', '),
      );
      ramps.push(result);
    }

    const memoryResults: MemoryResult[] = [];
    for (const mix of ['plain', 'tagged'] as const) {
      const result = await memory(bench, mix, quick ? 100_000 : 1_000_000);
      progress(
        `memory ${mix}: ${result.bytesPerIdleSeries} bytes/idle series (rss ${result.rssBytesPerIdleSeries})`,
      );
      memoryResults.push(result);
    }

    let profiles: Record<string, HotFunction[]> | undefined;
    if (profile) profiles = await profileRuns(bench, maxRate(false));

    const results = {
      maxRatePlain,
      maxRateTagged,
      fixedRate,
      fixedRatePps: FIXED_RATE_PPS,
      ramps,
      memory: memoryResults,
    };
    const r = ratios(results);
    const t = targets(results, r, PRIMARY);
    progress(`ratios: ${JSON.stringify(r)}`);
    for (const target of t) {
      progress(`target ${target.name}: ${target.target}, reached ${target.reached}, pass ${target.pass}`);
    }
    const document = {
      benchmark: 'statsd: corral agent vs Etsy statsd 0.9 (reference)',
      date: new Date().toISOString(),
      quick,
      machine: {
        cpus,
        cpuModel: cpuModel(),
        node: process.version,
        loadAverageAtStart: loadAtStart,
        pinning: twoCpus ? { servers: `cpu ${serverCpu}`, sendersAndRunner: `cpu ${senderCpu}` } : null,
        niceness: PRIORITY_NICE,
        rmem: { original: rmem.original, used: rmem.used, raisedForRun: rmem.raised },
      },
      nativeReceiver: native,
      targetsUse: PRIMARY,
      servers: {
        corral: native.available
          ? 'bench/statsd/agent-server.ts: StatsdSource (UDP, udpReceiver native: recvmmsg addon) + ' +
            'StatsdEngine, flushed to nowhere'
          : `skipped: the native UDP receiver ${native.reason}`,
        'corral-dgram': 'the same with udpReceiver dgram (node:dgram)',
        etsy: 'node_modules/statsd/stats.js 0.9 with bench/statsd/etsy-count-backend.cjs (no output)',
        'dgram-floor':
          'bench/statsd/dgram-floor.ts: a bare node:dgram socket counting lines (not a StatsD server)',
      },
      settings: {
        flushIntervalMs: bench.server.flushIntervalMs,
        percentiles: bench.server.percentiles,
        warmupSeconds: bench.warmupSeconds,
        measureSeconds: bench.measureSeconds,
        corralRecvBufferSizeRequested: bench.server.recvBufferSize,
        seriesPerSender: 1000,
        maxLossPercent: MAX_LOSS_PERCENT,
      },
      scenarios: [
        { name: '20-line packets, plain StatsD mix, senders at full speed', runs: maxRatePlain },
        {
          name: '20-line packets, DogStatsD tags on half the series, senders at full speed',
          runs: maxRateTagged,
        },
        { name: `single-line packets at ${FIXED_RATE_PPS}/s (plain mix)`, runs: fixedRate },
        { name: `single-line packets, rising rates, max with < ${MAX_LOSS_PERCENT}% loss`, runs: ramps },
        { name: 'memory per idle series (corral, in-process StatsdEngine)', runs: memoryResults },
      ],
      ratios: r,
      targets: t,
      ...(profiles ? { profile: { note: PROFILE_NOTE, runs: profiles } } : {}),
    };
    const json = `${JSON.stringify(document, null, 2)}\n`;
    process.stdout.write(json);
    if (outFile !== undefined) writeFileSync(outFile, json);
  } finally {
    restore();
  }
}

const PROFILE_NOTE =
  'Self time as a percent of all samples over the server process life (start-up and the drain ' +
  "after the load included). Node's profiler counts everything in libuv's poll phase outside JS " +
  'as (idle): epoll_wait, but under load mostly the receive system calls (the native ' +
  "receiver's recvmmsg, or node:dgram's recvmsg and its C++ receive path); (program) is other " +
  'native work outside JS.';

/** Our server (PRIMARY) under --cpu-prof: 20-line packets and single-line packets at full speed. */
async function profileRuns(
  bench: Bench,
  base: Omit<Load, 'seconds'>,
): Promise<Record<string, HotFunction[]>> {
  const out: Record<string, HotFunction[]> = {};
  const loads: [string, Omit<Load, 'seconds'>][] = [
    ['20-line packets, plain mix, full speed', base],
    ['single-line packets, plain mix, full speed', { ...base, linesPerPacket: 1 }],
  ];
  for (const [index, [label, load]] of loads.entries()) {
    const dir = join(paths.tmp, `cpu-profile-${index + 1}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const profiled = { ...bench, server: { ...bench.server, cpuProfileDir: dir } };
    await runOnFreshServer(profiled, PRIMARY, loadFor(bench, load));
    out[label] = summarizeProfile(dir, paths.root);
    progress(`profile ${label}: written to ${dir}`);
  }
  return out;
}

await main();
