import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCpuV1 } from '../../agent/sources/cgroup/readers/cpu.js';
import { readMemoryV1 } from '../../agent/sources/cgroup/readers/memory.js';
import { readPressureV2 } from '../../agent/sources/cgroup/readers/pressure.js';

// The readers against the kernel's own files, on a machine with v1 hierarchies mounted under
// /sys/fs/cgroup/<controller> (hybrid, like the reference VM). Skipped elsewhere.

/** This process's path in the hierarchy whose /proc/self/cgroup line names controller ("" = v2). */
function ownCgroup(controller: string): string | undefined {
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    if (
      line
        .slice(first + 1, second)
        .split(',')
        .includes(controller)
    )
      return line.slice(second + 1);
  }
  return undefined;
}

function v1Dir(controller: string): string | undefined {
  const path = ownCgroup(controller);
  if (path === undefined) return undefined;
  const dir = `/sys/fs/cgroup/${controller}${path === '/' ? '' : path}`;
  return existsSync(dir) ? dir : undefined;
}

const memoryDir = v1Dir('memory');
const cpuacctDir = v1Dir('cpuacct');
const unifiedPath = ownCgroup('');
const unifiedDir =
  unifiedPath !== undefined && existsSync('/sys/fs/cgroup/unified/cgroup.procs')
    ? `/sys/fs/cgroup/unified${unifiedPath === '/' ? '' : unifiedPath}`
    : undefined;

describe('cgroup readers on this machine', () => {
  it.skipIf(memoryDir === undefined)(
    'v1 memory usage of this process grows with 64 MiB of touched Buffers',
    async () => {
      const before = await readMemoryV1({ memory: memoryDir });
      expect(before.problems).toEqual([]);
      expect(before.stats.usage).toBeGreaterThan(0);
      const held: Buffer[] = [];
      // allocUnsafe then fill: every page written, so charged to the cgroup now, not lazily.
      for (let i = 0; i < 8; i++) held.push(Buffer.allocUnsafe(8 << 20).fill(i + 1));
      const after = await readMemoryV1({ memory: memoryDir });
      expect(held.reduce((n, b) => n + (b[b.length - 1] as number), 0)).toBe(36);
      expect(after.stats.usage).toBeGreaterThan(before.stats.usage as number);
      expect(after.stats.workingSet).toBeGreaterThan(0);
    },
  );

  it.skipIf(cpuacctDir === undefined)(
    'v1 cpuacct usage rises by at least half the CPU a 200 ms busy loop takes',
    async () => {
      const before = await readCpuV1({ cpuacct: cpuacctDir });
      expect(before.problems).toEqual([]);
      const own = process.cpuUsage();
      const until = performance.now() + 200;
      let spins = 0;
      while (performance.now() < until) spins++;
      const used = process.cpuUsage(own);
      const after = await readCpuV1({ cpuacct: cpuacctDir });
      expect(spins).toBeGreaterThan(0);
      const delta = (after.stats.usage as number) - (before.stats.usage as number);
      expect(delta).toBeGreaterThanOrEqual((used.user + used.system) / 1e6 / 2);
      expect(after.stats.user).toBeGreaterThanOrEqual(before.stats.user as number);
    },
  );

  it.skipIf(unifiedDir === undefined || !existsSync(`${unifiedDir}/cpu.pressure`))(
    'v2 pressure files of this process parse',
    async () => {
      const { stats, problems } = await readPressureV2(unifiedDir as string);
      expect(problems).toEqual([]);
      expect(stats.cpu?.some?.total).toBeGreaterThanOrEqual(0);
      expect(stats.cpu?.some?.avg300).toBeLessThanOrEqual(100);
    },
  );
});
