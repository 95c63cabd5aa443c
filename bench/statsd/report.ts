/** Ratios and target checks over the scenario results, and the one JSON document printed. */
import type { LoadResult, MemoryResult, RampResult, ScenarioRun } from './scenarios.js';
import type { ServerKind } from './servers.js';

export interface Results {
  maxRatePlain: ScenarioRun[];
  maxRateTagged: ScenarioRun[];
  fixedRate: ScenarioRun[];
  fixedRatePps: number;
  ramps: RampResult[];
  memory: MemoryResult[];
}

export interface Target {
  name: string;
  target: string;
  reached: number | null;
  pass: boolean | null;
  note?: string;
}

function of<T extends { server: string }>(runs: T[], server: ServerKind): T | undefined {
  return runs.find((run) => run.server === server);
}

function ratio(a: number | undefined, b: number | undefined): number | null {
  if (a === undefined || b === undefined || b === 0) return null;
  return Math.round((a / b) * 100) / 100;
}

function linesPerSecond(run: LoadResult | undefined): number | undefined {
  return run?.window.linesPerSecond;
}

/** The two ways our agent runs: the native recvmmsg receiver, and node:dgram. */
export type Ours = 'corral' | 'corral-dgram';

/** Server a / server b on every measure both have; above 1 is better for a (but RSS). */
function compare(results: Results, a: ServerKind, b: ServerKind) {
  const pair = <T extends { server: string }>(runs: T[]) => [of(runs, a), of(runs, b)] as const;
  const [plainA, plainB] = pair(results.maxRatePlain);
  const [taggedA, taggedB] = pair(results.maxRateTagged);
  const [fixedA, fixedB] = pair(results.fixedRate);
  const [rampA, rampB] = pair(results.ramps);
  return {
    linesPerSecond20LinePlain: ratio(linesPerSecond(plainA), linesPerSecond(plainB)),
    linesPerSecond20LineTagged: ratio(linesPerSecond(taggedA), linesPerSecond(taggedB)),
    /** The same per second of each server's own CPU time: robust to other work on the machine. */
    linesPerCpuSecond20LinePlain: ratio(plainA?.window.linesPerCpuSecond, plainB?.window.linesPerCpuSecond),
    linesPerCpuSecond20LineTagged: ratio(
      taggedA?.window.linesPerCpuSecond,
      taggedB?.window.linesPerCpuSecond,
    ),
    maxLosslessSingleLinePps: ratio(rampA?.maxPps, rampB?.maxPps),
    packetsPerSecondTakenAtFixedRate: ratio(fixedA?.window.packetsPerSecond, fixedB?.window.packetsPerSecond),
    /**
     * Single-line packets per second of CPU time at the fixed rate (a server that keeps up
     * does not saturate its core there; this is its cost per packet, inverted).
     */
    packetsPerCpuSecondSingleLine: ratio(fixedA?.window.linesPerCpuSecond, fixedB?.window.linesPerCpuSecond),
    /** Peak RSS in the 20-line plain run; below 1 is better for a. */
    peakRss20LinePlain: ratio(plainA?.peakRssBytes, plainB?.peakRssBytes),
  };
}

/** One of our rows / etsy, and the share it reaches of a bare node:dgram socket (per CPU second). */
export function ratiosFor(results: Results, kind: Ours) {
  const floor = compare(results, kind, 'dgram-floor');
  return {
    ...compare(results, kind, 'etsy'),
    shareOfDgramFloor20LinePlain: floor.linesPerCpuSecond20LinePlain,
    shareOfDgramFloorSingleLine: floor.packetsPerCpuSecondSingleLine,
  };
}

/** Ratios for both of our rows, and the native receiver against node:dgram. */
export function ratios(results: Results) {
  return {
    corral: ratiosFor(results, 'corral'),
    'corral-dgram': ratiosFor(results, 'corral-dgram'),
    /** The native receiver against node:dgram, same agent otherwise. */
    nativeOverDgram: compare(results, 'corral', 'corral-dgram'),
  };
}

function atLeast(
  name: string,
  target: number,
  reached: number | null | undefined,
  label = `>= ${target}`,
): Target {
  const value = reached ?? null;
  return { name, target: label, reached: value, pass: value === null ? null : value >= target };
}

/** When the sender's core, not the server, ended a ramp: what the last step delivered and lost. */
function senderLimit(ramp: RampResult | undefined): string | undefined {
  if (ramp?.endedBy !== 'sender') return undefined;
  const last = ramp.steps.at(-1)!;
  return (
    `the server's limit is higher: at the ${last.offeredPps}/s step the sender delivered only ` +
    `${last.sentPps}/s, and the server lost ${last.lossPercent}% of it at ${last.cpuUtilization} of its core`
  );
}

function withNote(target: Target, notes: (string | undefined)[]): Target {
  const kept = notes.filter((note): note is string => note !== undefined && note !== '');
  return kept.length === 0 ? target : { ...target, note: kept.join('; ') };
}

/**
 * The targets, met by `primary`: corral (the native receiver, the default a user
 * gets), or corral-dgram when the addon is not built (then auto falls back to it too).
 */
export function targets(results: Results, r: ReturnType<typeof ratios>, primary: Ours): Target[] {
  const other: Ours = primary === 'corral' ? 'corral-dgram' : 'corral';
  const fixed = of(results.fixedRate, primary);
  const memory = results.memory.find((m) => m.mix === 'plain');
  const rampOurs = of(results.ramps, primary);
  const plain = of(results.maxRatePlain, primary);
  const otherPlain = of(results.maxRatePlain, other);
  const otherFixed = of(results.fixedRate, other);
  const otherRamp = of(results.ramps, other);
  const floorPlain = of(results.maxRatePlain, 'dgram-floor');
  const floorFixed = of(results.fixedRate, 'dgram-floor');
  const floorRamp = of(results.ramps, 'dgram-floor');
  const missing = primary === 'corral' ? undefined : 'the native receiver is not built: corral-dgram numbers';
  const throughput = withNote(
    atLeast('lines/s aggregated, 20-line packets, one core (plain mix)', 3_000_000, linesPerSecond(plain)),
    [
      missing,
      plain !== undefined && plain.window.cpuUtilization < 0.95
        ? `the server had ${plain.window.cpuUtilization} of its CPU (other processes on the machine); ` +
          `per second of its own CPU time it aggregated ${plain.window.linesPerCpuSecond} lines`
        : undefined,
      otherPlain === undefined ? undefined : `${other}: ${linesPerSecond(otherPlain)} lines/s`,
      floorPlain === undefined
        ? undefined
        : `a bare node:dgram socket that only counts lines took ${linesPerSecond(floorPlain)} lines/s`,
    ],
  );
  const ours = r[primary];
  return [
    throughput,
    withNote(
      atLeast(
        'lines/s vs reference server, 20-line packets (plain mix)',
        3,
        ours.linesPerSecond20LinePlain,
        '>= 3x',
      ),
      [missing, otherPlain === undefined ? undefined : `${other}: ${r[other].linesPerSecond20LinePlain}x`],
    ),
    withNote(
      {
        name: `loss at ${results.fixedRatePps} single-line packets/s, percent`,
        target: '< 0.1',
        reached: fixed?.lossPercent ?? null,
        pass: fixed === undefined ? null : fixed.lossPercent < 0.1,
      },
      [
        missing,
        fixed === undefined || fixed.lossPercent === 0
          ? undefined
          : `over the whole load, warm-up of the fresh server included; ` +
            `${fixed.window.kernelRcvbufDrops} packets dropped in the measured ${fixed.window.seconds} s window`,
        otherFixed === undefined
          ? undefined
          : `${other}: ${otherFixed.lossPercent}% (${otherFixed.window.packetsPerSecond} packets/s taken)`,
        floorFixed === undefined
          ? undefined
          : `a bare node:dgram socket took ${floorFixed.window.packetsPerSecond} packets/s ` +
            `(loss ${floorFixed.lossPercent}% at ${results.fixedRatePps}/s)` +
            (floorRamp === undefined ? '' : `, ramp max ${floorRamp.maxPps}/s`),
      ],
    ),
    withNote(atLeast('max single-line packets/s with < 0.1% loss (ramp)', 200_000, rampOurs?.maxPps), [
      missing,
      senderLimit(rampOurs),
      otherRamp === undefined ? undefined : `${other}: ${otherRamp.maxPps}/s`,
    ]),
    withNote(
      atLeast(
        'max single-line packets/s with < 0.1% loss vs reference',
        2,
        ours.maxLosslessSingleLinePps,
        '>= 2x',
      ),
      [
        missing,
        rampOurs?.endedBy === 'sender'
          ? 'a lower bound: the sender, not the server, ended the ramp'
          : undefined,
        otherRamp === undefined ? undefined : `${other}: ${r[other].maxLosslessSingleLinePps}x`,
      ],
    ),
    {
      name: 'bytes per idle series at 1,000,000 series (plain counters)',
      target: '<= 300',
      reached: memory?.bytesPerIdleSeries ?? null,
      pass: memory === undefined ? null : memory.bytesPerIdleSeries <= 300,
    },
  ];
}
