import { FileSet, type Reading, type V1Dirs } from './files.js';
import { Key, lineEnd, parseDecimal, readKeyed, singleUint } from './scan.js';

/** CPU of one cgroup, cumulative since the cgroup was created (the lead computes rates). */
export interface CpuStats {
  /** CPU time used, user plus system, in seconds. */
  usage?: number;
  /** CPU time in user mode, seconds. */
  user?: number;
  /** CPU time in kernel mode, seconds. */
  system?: number;
  /** CFS bandwidth periods that have elapsed with runnable tasks (count). */
  periods?: number;
  /** Of those, periods in which the cgroup hit its quota and was throttled (count). */
  throttledPeriods?: number;
  /** Time spent throttled, seconds. */
  throttledTime?: number;
  /** CPU limit in cores (quota / period); undefined when there is none. */
  limit?: number;
}

/** cpuacct.stat counts in USER_HZ ticks, which the kernel ABI fixes at 100 per second. */
const USER_HZ = 100;

const V2_STAT = [
  new Key('usage_usec'),
  new Key('user_usec'),
  new Key('system_usec'),
  // Absent while the cpu controller is not enabled for the cgroup: not an error.
  new Key('nr_periods'),
  new Key('nr_throttled'),
  new Key('throttled_usec'),
];
const V1_STAT = [new Key('nr_periods'), new Key('nr_throttled'), new Key('throttled_time')];
const V1_ACCT = [new Key('user'), new Key('system')];

const values: (number | undefined)[] = [];

function emptyCpu(): CpuStats {
  return {
    usage: undefined,
    user: undefined,
    system: undefined,
    periods: undefined,
    throttledPeriods: undefined,
    throttledTime: undefined,
    limit: undefined,
  };
}

export function cpuV2(files: FileSet, dir: string): CpuStats {
  const s = emptyCpu();
  const stat = files.read(dir, 'cpu.stat');
  const max = files.read(dir, 'cpu.max');
  if (stat !== undefined) {
    if (readKeyed(stat, V2_STAT, 3, values)) {
      s.usage = (values[0] as number) / 1e6;
      s.user = (values[1] as number) / 1e6;
      s.system = (values[2] as number) / 1e6;
      s.periods = values[3];
      s.throttledPeriods = values[4];
      s.throttledTime = values[5] === undefined ? undefined : values[5] / 1e6;
    } else {
      files.malformed('cpu.stat');
    }
  }
  // "max 100000" (no limit) or "150000 100000" (quota and period in microseconds).
  if (max !== undefined) {
    const end = lineEnd(max, 0);
    const sp = max.indexOf(' ');
    const period = sp < 0 || sp > end ? Number.NaN : parseDecimal(max, sp + 1, end);
    const unlimited = sp === 3 && max.startsWith('max');
    const quota = unlimited ? 0 : parseDecimal(max, 0, sp);
    if (!(period > 0) || !(quota > 0 || unlimited)) files.malformed('cpu.max');
    else if (!unlimited) s.limit = quota / period;
  }
  return s;
}

export function cpuV1(files: FileSet, dirs: V1Dirs): CpuStats {
  const s = emptyCpu();
  const { cpu, cpuacct } = dirs;
  const usage = cpuacct === undefined ? undefined : files.read(cpuacct, 'cpuacct.usage');
  const acct = cpuacct === undefined ? undefined : files.read(cpuacct, 'cpuacct.stat');
  const stat = cpu === undefined ? undefined : files.read(cpu, 'cpu.stat');
  const quota = cpu === undefined ? undefined : files.read(cpu, 'cpu.cfs_quota_us');
  const period = cpu === undefined ? undefined : files.read(cpu, 'cpu.cfs_period_us');
  if (usage !== undefined) {
    const ns = singleUint(usage);
    if (Number.isNaN(ns)) files.malformed('cpuacct.usage');
    else s.usage = ns / 1e9;
  }
  if (acct !== undefined) {
    if (readKeyed(acct, V1_ACCT, 2, values)) {
      s.user = (values[0] as number) / USER_HZ;
      s.system = (values[1] as number) / USER_HZ;
    } else {
      files.malformed('cpuacct.stat');
    }
  }
  if (stat !== undefined) {
    if (readKeyed(stat, V1_STAT, 3, values)) {
      s.periods = values[0];
      s.throttledPeriods = values[1];
      s.throttledTime = (values[2] as number) / 1e9;
    } else {
      files.malformed('cpu.stat');
    }
  }
  if (quota !== undefined && period !== undefined) {
    // Quota -1 means no limit.
    const q = parseDecimal(quota, 0, lineEnd(quota, 0));
    const p = singleUint(period);
    if (!(q > 0 || q === -1)) files.malformed('cpu.cfs_quota_us');
    else if (!(p > 0)) files.malformed('cpu.cfs_period_us');
    else if (q > 0) s.limit = q / p;
  }
  return s;
}

/** CPU of a v2 cgroup: cpu.stat and cpu.max in dir. */
export function readCpuV2(dir: string): Reading<CpuStats> {
  const files = new FileSet();
  return files.finish(cpuV2(files, dir));
}

/** CPU of a v1 cgroup: cpuacct.usage and cpuacct.stat from cpuacct, cpu.stat and CFS quota from cpu. */
export function readCpuV1(dirs: V1Dirs): Reading<CpuStats> {
  const files = new FileSet();
  return files.finish(cpuV1(files, dirs));
}
