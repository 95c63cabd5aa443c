import { join } from 'node:path';
import { type NodeProblem, parseCount, type Reading, readText } from './problem.js';

/**
 * The kernel reports CPU time in USER_HZ ticks, fixed at 100 for user space on every
 * architecture Linux supports today (sysconf(_SC_CLK_TCK)), whatever the kernel's HZ.
 */
export const USER_HZ = 100;

export const CPU_TIME_FIELDS = [
  'user',
  'nice',
  'system',
  'idle',
  'iowait',
  'irq',
  'softirq',
  'steal',
  'guest',
  'guestNice',
] as const;

/**
 * Cumulative seconds since boot summed over all CPUs, by mode. guest and guestNice are
 * already included in user and nice (the kernel counts them twice).
 */
export type CpuTimes = Record<(typeof CPU_TIME_FIELDS)[number], number>;

export interface StatValues {
  cpu?: CpuTimes;
  /** Online CPUs: the number of cpuN lines. */
  cores?: number;
  /** Forks since boot. */
  processes?: number;
  procsRunning?: number;
  procsBlocked?: number;
  /** Boot time, seconds since the epoch. */
  bootTime?: number;
}

/** Parses /proc/stat; lines it does not need (intr, ctxt, softirq) are ignored. */
export function parseStat(text: string, file: string): Reading<StatValues> {
  let cpu: CpuTimes | undefined;
  let cores = 0;
  const counters = new Map<string, number | undefined>();
  for (const line of text.split('\n')) {
    const [key, ...rest] = line.trim().split(/\s+/);
    if (key === 'cpu') cpu = parseCpuLine(rest);
    else if (key !== undefined && /^cpu\d+$/.test(key)) cores++;
    else if (key !== undefined && rest.length === 1) counters.set(key, parseCount(rest[0]));
  }

  const values: StatValues = {};
  const absent: string[] = [];
  if (cpu === undefined) absent.push('cpu');
  else values.cpu = cpu;
  if (cores === 0) absent.push('cpuN');
  else values.cores = cores;
  for (const [name, key] of [
    ['processes', 'processes'],
    ['procsRunning', 'procs_running'],
    ['procsBlocked', 'procs_blocked'],
    ['bootTime', 'btime'],
  ] as const) {
    const value = counters.get(key);
    if (value === undefined) absent.push(key);
    else values[name] = value;
  }
  const problems: NodeProblem[] =
    absent.length > 0 ? [{ file, reason: 'malformed', detail: `missing or bad: ${absent.join(', ')}` }] : [];
  return { values, problems };
}

/**
 * Kernels before 2.6.33 print fewer columns (steal, guest, guest_nice came later); the
 * ones not printed count as 0. Fewer than the first four, or a non-number, is malformed.
 */
function parseCpuLine(columns: string[]): CpuTimes | undefined {
  if (columns.length < 4 || columns.length > CPU_TIME_FIELDS.length) return undefined;
  const times = {} as CpuTimes;
  for (const [i, field] of CPU_TIME_FIELDS.entries()) {
    const ticks = i < columns.length ? parseCount(columns[i]) : 0;
    if (ticks === undefined) return undefined;
    times[field] = ticks / USER_HZ;
  }
  return times;
}

export async function readStat(procRoot = '/proc'): Promise<Reading<StatValues>> {
  const file = join(procRoot, 'stat');
  const problems: NodeProblem[] = [];
  const text = await readText(file, problems);
  return text === undefined ? { values: {}, problems } : parseStat(text, file);
}
