/**
 * Every field the cgroup readers return, for docs/metrics.md and for naming datapoints. A name
 * is the path into CgroupStats ("memory.workingSet"); io fields are also given per device
 * (IoStats.devices), and net fields per interface (readNetDev). Counters are cumulative: rates
 * are the consumer's job.
 */
export interface CgroupField {
  name: string;
  unit: 'seconds' | 'bytes' | 'cores' | 'count' | 'percent';
  /** True for cumulative counters (take deltas), false for gauges. */
  cumulative: boolean;
  /** Source on cgroup v1 (file: key), or "" when v1 has none. */
  v1: string;
  /** Source on cgroup v2 (file: key). */
  v2: string;
  description: string;
}

function psi(resource: 'cpu' | 'memory' | 'io'): CgroupField[] {
  const out: CgroupField[] = [];
  for (const kind of ['some', 'full'] as const) {
    const who = kind === 'some' ? 'at least one task' : 'all non-idle tasks';
    for (const avg of ['avg10', 'avg60', 'avg300'] as const) {
      out.push({
        name: `pressure.${resource}.${kind}.${avg}`,
        unit: 'percent',
        cumulative: false,
        v1: '',
        v2: `${resource}.pressure: ${kind} ${avg}`,
        description: `Share of time ${who} stalled on ${resource}, ${avg.slice(3)} s average.`,
      });
    }
    out.push({
      name: `pressure.${resource}.${kind}.total`,
      unit: 'seconds',
      cumulative: true,
      v1: '',
      v2: `${resource}.pressure: ${kind} total (µs)`,
      description: `Time ${who} stalled on ${resource}.`,
    });
  }
  return out;
}

export const CGROUP_FIELDS: readonly CgroupField[] = [
  f('cpu.usage', 'seconds', true, 'cpuacct.usage (ns)', 'cpu.stat: usage_usec', 'CPU time used.'),
  f(
    'cpu.user',
    'seconds',
    true,
    'cpuacct.stat: user (1/100 s)',
    'cpu.stat: user_usec',
    'CPU time in user mode.',
  ),
  f(
    'cpu.system',
    'seconds',
    true,
    'cpuacct.stat: system (1/100 s)',
    'cpu.stat: system_usec',
    'CPU time in kernel mode.',
  ),
  f(
    'cpu.periods',
    'count',
    true,
    'cpu.stat: nr_periods',
    'cpu.stat: nr_periods',
    'CFS bandwidth periods elapsed.',
  ),
  f(
    'cpu.throttledPeriods',
    'count',
    true,
    'cpu.stat: nr_throttled',
    'cpu.stat: nr_throttled',
    'Periods in which the cgroup was throttled.',
  ),
  f(
    'cpu.throttledTime',
    'seconds',
    true,
    'cpu.stat: throttled_time (ns)',
    'cpu.stat: throttled_usec',
    'Time spent throttled.',
  ),
  f(
    'cpu.limit',
    'cores',
    false,
    'cpu.cfs_quota_us / cpu.cfs_period_us (-1 = none)',
    'cpu.max: quota / period ("max" = none)',
    'CPU limit; absent when unlimited.',
  ),
  f(
    'memory.usage',
    'bytes',
    false,
    'memory.usage_in_bytes',
    'memory.current',
    'Memory charged, page cache included.',
  ),
  f(
    'memory.workingSet',
    'bytes',
    false,
    'memory.usage_in_bytes - memory.stat: total_inactive_file',
    'memory.current - memory.stat: inactive_file',
    'Usage less inactive file pages, floored at 0.',
  ),
  f('memory.anon', 'bytes', false, 'memory.stat: total_rss', 'memory.stat: anon', 'Anonymous memory.'),
  f('memory.file', 'bytes', false, 'memory.stat: total_cache', 'memory.stat: file', 'Page cache.'),
  f(
    'memory.mappedFile',
    'bytes',
    false,
    'memory.stat: total_mapped_file',
    'memory.stat: file_mapped',
    'Page cache mapped into processes.',
  ),
  f(
    'memory.swap',
    'bytes',
    false,
    'memory.memsw.usage_in_bytes - memory.usage_in_bytes',
    'memory.swap.current',
    'Swap used; absent without swap accounting.',
  ),
  f(
    'memory.limit',
    'bytes',
    false,
    'memory.limit_in_bytes (>= 2^62 = none)',
    'memory.max ("max" = none)',
    'Memory limit; absent when unlimited.',
  ),
  f(
    'memory.oomEvents',
    'count',
    true,
    'memory.failcnt',
    'memory.events: oom',
    'Times the limit was hit (v1: every failed charge).',
  ),
  f(
    'memory.oomKills',
    'count',
    true,
    'memory.oom_control: oom_kill (Linux 4.13+)',
    'memory.events: oom_kill',
    'Processes killed by the OOM killer.',
  ),
  f(
    'io.readBytes',
    'bytes',
    true,
    'blkio.throttle.io_service_bytes: Read',
    'io.stat: rbytes',
    'Bytes read, all devices.',
  ),
  f(
    'io.writeBytes',
    'bytes',
    true,
    'blkio.throttle.io_service_bytes: Write',
    'io.stat: wbytes',
    'Bytes written, all devices.',
  ),
  f(
    'io.readOps',
    'count',
    true,
    'blkio.throttle.io_serviced: Read',
    'io.stat: rios',
    'Read operations, all devices.',
  ),
  f(
    'io.writeOps',
    'count',
    true,
    'blkio.throttle.io_serviced: Write',
    'io.stat: wios',
    'Write operations, all devices.',
  ),
  f('pids.current', 'count', false, 'pids.current', 'pids.current', 'Tasks in the cgroup.'),
  f('pids.limit', 'count', false, 'pids.max ("max" = none)', 'pids.max ("max" = none)', 'Task limit.'),
  ...psi('cpu'),
  ...psi('memory'),
  ...psi('io'),
  f('net.rxBytes', 'bytes', true, '/proc/<pid>/net/dev: 1st', '/proc/<pid>/net/dev: 1st', 'Bytes received.'),
  f(
    'net.rxPackets',
    'count',
    true,
    '/proc/<pid>/net/dev: 2nd',
    '/proc/<pid>/net/dev: 2nd',
    'Packets received.',
  ),
  f('net.rxErrors', 'count', true, '/proc/<pid>/net/dev: 3rd', '/proc/<pid>/net/dev: 3rd', 'Receive errors.'),
  f('net.rxDrops', 'count', true, '/proc/<pid>/net/dev: 4th', '/proc/<pid>/net/dev: 4th', 'Receive drops.'),
  f('net.txBytes', 'bytes', true, '/proc/<pid>/net/dev: 9th', '/proc/<pid>/net/dev: 9th', 'Bytes sent.'),
  f(
    'net.txPackets',
    'count',
    true,
    '/proc/<pid>/net/dev: 10th',
    '/proc/<pid>/net/dev: 10th',
    'Packets sent.',
  ),
  f(
    'net.txErrors',
    'count',
    true,
    '/proc/<pid>/net/dev: 11th',
    '/proc/<pid>/net/dev: 11th',
    'Transmit errors.',
  ),
  f(
    'net.txDrops',
    'count',
    true,
    '/proc/<pid>/net/dev: 12th',
    '/proc/<pid>/net/dev: 12th',
    'Transmit drops.',
  ),
];

function f(
  name: string,
  unit: CgroupField['unit'],
  cumulative: boolean,
  v1: string,
  v2: string,
  description: string,
): CgroupField {
  return { name, unit, cumulative, v1, v2, description };
}
