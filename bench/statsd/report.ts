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

/** corral / etsy unless said otherwise; above 1 is better for corral. */
export function ratios(results: Results) {
  const ours = (runs: ScenarioRun[]) => of(runs, 'corral');
  const theirs = (runs: ScenarioRun[]) => of(runs, 'etsy');
  const floor = (runs: ScenarioRun[]) => of(runs, 'dgram-floor');
  const rampOurs = of(results.ramps, 'corral');
  const rampTheirs = of(results.ramps, 'etsy');
  return {
    linesPerSecond20LinePlain: ratio(
      linesPerSecond(ours(results.maxRatePlain)),
      linesPerSecond(theirs(results.maxRatePlain)),
    ),
    linesPerSecond20LineTagged: ratio(
      linesPerSecond(ours(results.maxRateTagged)),
      linesPerSecond(theirs(results.maxRateTagged)),
    ),
    /** The same per second of each server's own CPU time: robust to other work on the machine. */
    linesPerCpuSecond20LinePlain: ratio(
      ours(results.maxRatePlain)?.window.linesPerCpuSecond,
      theirs(results.maxRatePlain)?.window.linesPerCpuSecond,
    ),
    linesPerCpuSecond20LineTagged: ratio(
      ours(results.maxRateTagged)?.window.linesPerCpuSecond,
      theirs(results.maxRateTagged)?.window.linesPerCpuSecond,
    ),
    maxLosslessSingleLinePps: ratio(rampOurs?.maxPps, rampTheirs?.maxPps),
    /** Single-line packets per second of CPU time at the fixed rate (both saturate there). */
    packetsPerCpuSecondSingleLine: ratio(
      ours(results.fixedRate)?.window.linesPerCpuSecond,
      theirs(results.fixedRate)?.window.linesPerCpuSecond,
    ),
    /** corral / bare node:dgram socket, per CPU second: how much of Node's receive floor corral reaches. */
    shareOfDgramFloor20LinePlain: ratio(
      ours(results.maxRatePlain)?.window.linesPerCpuSecond,
      floor(results.maxRatePlain)?.window.linesPerCpuSecond,
    ),
    shareOfDgramFloorSingleLine: ratio(
      ours(results.fixedRate)?.window.linesPerCpuSecond,
      floor(results.fixedRate)?.window.linesPerCpuSecond,
    ),
    /** corral / etsy peak RSS in the 20-line plain run; below 1 is better for corral. */
    peakRss20LinePlain: ratio(
      ours(results.maxRatePlain)?.peakRssBytes,
      theirs(results.maxRatePlain)?.peakRssBytes,
    ),
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

export function targets(results: Results, r: ReturnType<typeof ratios>): Target[] {
  const fixed = of(results.fixedRate, 'corral');
  const memory = results.memory.find((m) => m.mix === 'plain');
  const rampOurs = of(results.ramps, 'corral');
  const plain = of(results.maxRatePlain, 'corral');
  const floorPlain = of(results.maxRatePlain, 'dgram-floor');
  const floorFixed = of(results.fixedRate, 'dgram-floor');
  const floorRamp = of(results.ramps, 'dgram-floor');
  const throughput = atLeast(
    'lines/s aggregated, 20-line packets, one core (plain mix)',
    3_000_000,
    linesPerSecond(plain),
  );
  const notes: string[] = [];
  if (plain !== undefined && plain.window.cpuUtilization < 0.95) {
    notes.push(
      `the server had ${plain.window.cpuUtilization} of its CPU (other processes on the machine); ` +
        `per second of its own CPU time it aggregated ${plain.window.linesPerCpuSecond} lines`,
    );
  }
  if (floorPlain !== undefined) {
    notes.push(`a bare node:dgram socket that only counts lines took ${linesPerSecond(floorPlain)} lines/s`);
  }
  if (notes.length > 0) throughput.note = notes.join('; ');
  const singleLineNote =
    floorFixed === undefined
      ? undefined
      : `a bare node:dgram socket took ${floorFixed.window.packetsPerSecond} packets/s at full CPU ` +
        `(loss ${floorFixed.lossPercent}% at ${results.fixedRatePps}/s)` +
        (floorRamp === undefined ? '' : `, ramp max ${floorRamp.maxPps}/s`);
  return [
    throughput,
    atLeast(
      'lines/s vs reference server, 20-line packets (plain mix)',
      3,
      r.linesPerSecond20LinePlain,
      '>= 3x',
    ),
    {
      name: `loss at ${results.fixedRatePps} single-line packets/s, percent`,
      target: '< 0.1',
      reached: fixed?.lossPercent ?? null,
      pass: fixed === undefined ? null : fixed.lossPercent < 0.1,
      ...(singleLineNote ? { note: singleLineNote } : {}),
    },
    atLeast('max single-line packets/s with < 0.1% loss (ramp)', 200_000, rampOurs?.maxPps),
    atLeast(
      'max single-line packets/s with < 0.1% loss vs reference',
      2,
      r.maxLosslessSingleLinePps,
      '>= 2x',
    ),
    {
      name: 'bytes per idle series at 1,000,000 series (plain counters)',
      target: '<= 300',
      reached: memory?.bytesPerIdleSeries ?? null,
      pass: memory === undefined ? null : memory.bytesPerIdleSeries <= 300,
    },
  ];
}
