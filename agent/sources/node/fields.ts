/**
 * Every node metric, for docs/metrics.md and for whoever turns a snapshot into datapoints.
 * gauge: the value now; cumulative: a counter since boot (or since the interface appeared),
 * to be sent as the difference between two readings.
 */
export interface NodeField {
  name: string;
  unit: 'percent' | 'bytes' | 'seconds' | 'count';
  kind: 'gauge' | 'cumulative';
  tags: readonly string[];
  /** The file under procRoot, or statfs(2). */
  source: string;
  description: string;
}

const FS_TAGS = ['mountpoint', 'device', 'fstype'] as const;

function network(direction: 'rx' | 'tx'): NodeField[] {
  const verb = direction === 'rx' ? 'received' : 'transmitted';
  return [
    ['bytes', 'bytes', `Bytes ${verb}.`],
    ['packets', 'count', `Packets ${verb}.`],
    ['errors', 'count', `Errors while the packets were ${verb}.`],
    ['drops', 'count', `Packets dropped while ${verb}.`],
  ].map(([suffix, unit, description]) => ({
    name: `node.network.${direction}.${suffix}`,
    unit: unit as NodeField['unit'],
    kind: 'cumulative',
    tags: ['interface'],
    source: 'net/dev',
    description: `${description} Loopback is not reported.`,
  }));
}

export const NODE_FIELDS: readonly NodeField[] = [
  {
    name: 'node.cpu.percent',
    unit: 'percent',
    kind: 'gauge',
    tags: ['mode'],
    source: 'stat',
    description:
      'Share of all CPU time (every core together; the modes sum to 100) spent in mode user, nice, system, idle, iowait, irq, softirq or steal since the previous reading. Guest time is part of user and nice.',
  },
  {
    name: 'node.cpu.cores',
    unit: 'count',
    kind: 'gauge',
    tags: [],
    source: 'stat',
    description: 'Online CPUs.',
  },
  {
    name: 'node.processes.forks',
    unit: 'count',
    kind: 'cumulative',
    tags: [],
    source: 'stat',
    description: 'Processes and threads created.',
  },
  {
    name: 'node.processes.running',
    unit: 'count',
    kind: 'gauge',
    tags: [],
    source: 'stat',
    description: 'Threads runnable now (procs_running).',
  },
  {
    name: 'node.processes.blocked',
    unit: 'count',
    kind: 'gauge',
    tags: [],
    source: 'stat',
    description: 'Threads blocked on I/O now (procs_blocked).',
  },
  ...(['1', '5', '15'] as const).map(
    (minutes): NodeField => ({
      name: `node.load.${minutes}`,
      unit: 'count',
      kind: 'gauge',
      tags: [],
      source: 'loadavg',
      description: `Load average over ${minutes} minute${minutes === '1' ? '' : 's'}: runnable plus uninterruptible threads.`,
    }),
  ),
  ...(
    [
      ['total', 'MemTotal', 'Usable RAM.'],
      ['free', 'MemFree', 'RAM not used for anything.'],
      ['available', 'MemAvailable', 'RAM available to new work without swapping, page cache included.'],
      ['buffers', 'Buffers', 'RAM used for block device buffers.'],
      ['cached', 'Cached', 'RAM used for the page cache.'],
    ] as const
  ).map(
    ([suffix, key, description]): NodeField => ({
      name: `node.memory.${suffix}`,
      unit: 'bytes',
      kind: 'gauge',
      tags: [],
      source: 'meminfo',
      description: `${description} (${key})`,
    }),
  ),
  ...(
    [
      ['total', 'Swap space (SwapTotal).'],
      ['free', 'Unused swap (SwapFree).'],
      ['used', 'Used swap (SwapTotal - SwapFree).'],
    ] as const
  ).map(
    ([suffix, description]): NodeField => ({
      name: `node.swap.${suffix}`,
      unit: 'bytes',
      kind: 'gauge',
      tags: [],
      source: 'meminfo',
      description,
    }),
  ),
  ...(
    [
      ['capacity', 'bytes', 'Size of the filesystem.'],
      ['used', 'bytes', 'Space in use (capacity minus all free blocks, reserved ones included).'],
      ['free', 'bytes', 'Space available to unprivileged users (f_bavail), as df shows it.'],
      ['inodes.total', 'count', 'Inodes.'],
      ['inodes.used', 'count', 'Inodes in use.'],
      ['inodes.free', 'count', 'Free inodes.'],
    ] as const
  ).map(
    ([suffix, unit, description]): NodeField => ({
      name: `node.filesystem.${suffix}`,
      unit,
      kind: 'gauge',
      tags: FS_TAGS,
      source: 'mounts, statfs(2)',
      description,
    }),
  ),
  ...network('rx'),
  ...network('tx'),
  {
    name: 'node.uptime',
    unit: 'seconds',
    kind: 'gauge',
    tags: [],
    source: 'uptime',
    description: 'Time since boot.',
  },
  {
    name: 'node.processes',
    unit: 'count',
    kind: 'gauge',
    tags: [],
    source: '<procRoot>/<pid>/',
    description: 'Processes alive now (numeric directories of procRoot; threads not counted).',
  },
];
