import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCgroupV1 } from '../../agent/sources/cgroup/readers/container.js';
import { readCpuV1 } from '../../agent/sources/cgroup/readers/cpu.js';
import type { V1Dirs } from '../../agent/sources/cgroup/readers/files.js';
import { readIoV1 } from '../../agent/sources/cgroup/readers/io.js';
import { readMemoryV1 } from '../../agent/sources/cgroup/readers/memory.js';
import { readPids } from '../../agent/sources/cgroup/readers/pids.js';

// Expected values: test/fixtures/cgroup-files/README.md.
const V1 = fileURLToPath(new URL('../fixtures/cgroup-files/v1/', import.meta.url));

function dirs(container: string): V1Dirs {
  return {
    cpu: `${V1}cpu/${container}`,
    cpuacct: `${V1}cpuacct/${container}`,
    memory: `${V1}memory/${container}`,
    blkio: `${V1}blkio/${container}`,
    pids: `${V1}pids/${container}`,
  };
}

describe('cgroup v1 readers, normal container', () => {
  it('cpu: cpuacct nanoseconds and USER_HZ ticks to seconds, CFS quota/period to cores', async () => {
    expect(await readCpuV1(dirs('normal'))).toEqual({
      stats: {
        usage: 98.7654321,
        user: 70,
        system: 25,
        periods: 3000,
        throttledPeriods: 45,
        throttledTime: 2.345678901,
        limit: 2,
      },
      problems: [],
      gone: false,
    });
  });

  it('memory: the hierarchical total_* keys, swap from memsw, OOM from failcnt and oom_control', async () => {
    expect(await readMemoryV1(dirs('normal'))).toEqual({
      stats: {
        usage: 209715200,
        workingSet: 155189248,
        anon: 127926272,
        file: 75497472,
        mappedFile: 11534336,
        swap: 2097152,
        limit: 268435456,
        oomEvents: 14,
        oomKills: 3,
      },
      problems: [],
      gone: false,
    });
  });

  it('io: Read and Write lines of the throttle files, per device and summed', async () => {
    expect(await readIoV1(dirs('normal'))).toEqual({
      stats: {
        readBytes: 4097024,
        writeBytes: 8192000,
        readOps: 1001,
        writeOps: 2000,
        devices: [
          { device: '8:0', readBytes: 4096000, writeBytes: 8192000, readOps: 1000, writeOps: 2000 },
          { device: '8:16', readBytes: 1024, writeBytes: 0, readOps: 1, writeOps: 0 },
        ],
        source: 'throttle',
      },
      problems: [],
      gone: false,
    });
  });

  it('pids', async () => {
    expect(await readPids(`${V1}pids/normal`)).toEqual({
      stats: { current: 7, limit: 4096 },
      problems: [],
      gone: false,
    });
  });

  it('readCgroupV1 joins the hierarchies; pressure is empty on v1', async () => {
    const all = await readCgroupV1(dirs('normal'));
    expect(all.problems).toEqual([]);
    expect(all.gone).toBe(false);
    expect(all.stats.cpu).toEqual((await readCpuV1(dirs('normal'))).stats);
    expect(all.stats.memory).toEqual((await readMemoryV1(dirs('normal'))).stats);
    expect(all.stats.io).toEqual((await readIoV1(dirs('normal'))).stats);
    expect(all.stats.pids).toEqual({ current: 7, limit: 4096 });
    expect(all.stats.pressure).toEqual({});
  });
});

describe('cgroup v1 readers, container without limits', () => {
  it('quota -1 and a 2^63 limit are no limit; no memsw or oom_kill on this kernel is no problem', async () => {
    const { stats, problems, gone } = await readCgroupV1(dirs('unlimited'));
    expect(gone).toBe(false);
    expect(problems).toEqual([]);
    expect(stats.cpu).toEqual({
      usage: 1.5,
      user: 1.2,
      system: 0.3,
      periods: 0,
      throttledPeriods: 0,
      throttledTime: 0,
    });
    expect(stats.memory).toEqual({
      usage: 8388608,
      workingSet: 0,
      anon: 2097152,
      file: 4194304,
      mappedFile: 0,
      oomEvents: 0,
    });
    expect([stats.cpu.limit, stats.memory.limit, stats.memory.swap, stats.memory.oomKills]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    // Throttle files with only "Total 0" and no recursive files to fall back to.
    expect(stats.io).toEqual({
      readBytes: 0,
      writeBytes: 0,
      readOps: 0,
      writeOps: 0,
      devices: [],
      source: 'throttle',
    });
    expect(stats.pids).toEqual({ current: 3 });
  });

  it('empty throttle files fall back to the CFQ recursive files', async () => {
    expect(await readIoV1({ blkio: `${V1}blkio/cfq` })).toEqual({
      stats: {
        readBytes: 65536,
        writeBytes: 131072,
        readOps: 16,
        writeOps: 32,
        devices: [{ device: '8:0', readBytes: 65536, writeBytes: 131072, readOps: 16, writeOps: 32 }],
        source: 'recursive',
      },
      problems: [],
      gone: false,
    });
  });
});

describe('cgroup v1 readers, faults', () => {
  it('garbage cpu.stat and a missing memory.stat omit only their fields', async () => {
    const { stats, problems, gone } = await readCgroupV1({
      cpu: `${V1}cpu/broken`,
      cpuacct: `${V1}cpuacct/broken`,
      memory: `${V1}memory/broken`,
    });
    expect(gone).toBe(false);
    expect(problems).toEqual([
      { file: 'cpu.stat', reason: 'malformed' },
      { file: 'memory.stat', reason: 'missing' },
    ]);
    expect(stats.cpu).toEqual({ usage: 0.25, user: 0.2, system: 0.05, limit: 0.5 });
    expect(stats.memory).toEqual({ usage: 4096000, limit: 8192000, oomEvents: 0, oomKills: 0 });
    // Hierarchies left out of the dirs are not read, so not reported.
    expect(stats.io).toEqual({ devices: [] });
    expect(stats.pids).toEqual({});
  });

  it('a container gone from every hierarchy is gone, with no problems', async () => {
    const result = await readCgroupV1(dirs('no-such-container'));
    expect(result).toMatchObject({ gone: true, problems: [] });
    expect(result.stats.memory.usage).toBeUndefined();
  });

  it('is not gone while one hierarchy still has the directory', async () => {
    const result = await readCgroupV1({ ...dirs('no-such-container'), pids: `${V1}pids/normal` });
    expect(result.gone).toBe(false);
    expect(result.stats.pids).toEqual({ current: 7, limit: 4096 });
    expect(result.problems.map((p) => p.file)).toEqual([
      'blkio.throttle.io_service_bytes',
      'blkio.throttle.io_serviced',
      'cpu.cfs_period_us',
      'cpu.cfs_quota_us',
      'cpu.stat',
      'cpuacct.stat',
      'cpuacct.usage',
      'memory.failcnt',
      'memory.limit_in_bytes',
      'memory.oom_control',
      'memory.stat',
      'memory.usage_in_bytes',
    ]);
  });
});
