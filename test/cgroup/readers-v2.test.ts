import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCgroupV2 } from '../../agent/sources/cgroup/readers/container.js';
import { readCpuV2 } from '../../agent/sources/cgroup/readers/cpu.js';
import { readIoV2 } from '../../agent/sources/cgroup/readers/io.js';
import { readMemoryV2 } from '../../agent/sources/cgroup/readers/memory.js';
import { readPids } from '../../agent/sources/cgroup/readers/pids.js';
import { readPressureV2 } from '../../agent/sources/cgroup/readers/pressure.js';

// Expected values: test/fixtures/cgroup-files/README.md.
const V2 = fileURLToPath(new URL('../fixtures/cgroup-files/v2/', import.meta.url));
const normal = `${V2}normal`;
const unlimited = `${V2}unlimited`;
const broken = `${V2}broken`;

describe('cgroup v2 readers, normal container', () => {
  it('cpu: microseconds to seconds, cpu.max quota/period to cores', async () => {
    expect(await readCpuV2(normal)).toEqual({
      stats: {
        usage: 123.456789,
        user: 100,
        system: 23.456789,
        periods: 5000,
        throttledPeriods: 120,
        throttledTime: 3.456789,
        limit: 1.5,
      },
      problems: [],
      gone: false,
    });
  });

  it('memory: working set is usage minus inactive_file; the other keys of memory.stat are not mixed up', async () => {
    expect(await readMemoryV2(normal)).toEqual({
      stats: {
        usage: 268435456,
        workingSet: 184549376,
        anon: 104857600,
        file: 125829120,
        mappedFile: 20971520,
        swap: 1048576,
        limit: 536870912,
        oomEvents: 2,
        oomKills: 1,
      },
      problems: [],
      gone: false,
    });
  });

  it('io: per device and summed', async () => {
    expect(await readIoV2(normal)).toEqual({
      stats: {
        readBytes: 2101248,
        writeBytes: 4104192,
        readOps: 513,
        writeOps: 1002,
        devices: [
          { device: '8:0', readBytes: 1052672, writeBytes: 4096000, readOps: 257, writeOps: 1000 },
          { device: '259:0', readBytes: 1048576, writeBytes: 8192, readOps: 256, writeOps: 2 },
        ],
      },
      problems: [],
      gone: false,
    });
  });

  it('pids', async () => {
    expect(await readPids(normal)).toEqual({
      stats: { current: 12, limit: 1024 },
      problems: [],
      gone: false,
    });
  });

  it('pressure: percent averages, totals from microseconds to seconds', async () => {
    const { stats, problems } = await readPressureV2(normal);
    expect(problems).toEqual([]);
    expect(stats.cpu).toEqual({
      some: { avg10: 1.82, avg60: 3.79, avg300: 8.42, total: 955.332227 },
      full: { avg10: 0.5, avg60: 0.25, avg300: 0.1, total: 0.123456 },
    });
    expect(stats.memory).toEqual({
      some: { avg10: 0, avg60: 0, avg300: 0, total: 0 },
      full: { avg10: 0, avg60: 0, avg300: 0, total: 0 },
    });
    expect(stats.io).toEqual({
      some: { avg10: 0.12, avg60: 0.05, avg300: 0.01, total: 2.15077 },
      full: { avg10: 0.1, avg60: 0.04, avg300: 0, total: 1.301903 },
    });
  });

  it('readCgroupV2 gives the same values as the single readers, in one reading', async () => {
    const all = await readCgroupV2(normal);
    expect(all.gone).toBe(false);
    expect(all.problems).toEqual([]);
    expect(all.stats.cpu).toEqual((await readCpuV2(normal)).stats);
    expect(all.stats.memory).toEqual((await readMemoryV2(normal)).stats);
    expect(all.stats.io).toEqual((await readIoV2(normal)).stats);
    expect(all.stats.pids).toEqual({ current: 12, limit: 1024 });
    expect(all.stats.pressure).toEqual((await readPressureV2(normal)).stats);
  });
});

describe('cgroup v2 readers, container without limits', () => {
  it('"max" is no limit, a file of swap or PSI the kernel lacks is no problem, empty io.stat is zero', async () => {
    const { stats, problems, gone } = await readCgroupV2(unlimited);
    expect(gone).toBe(false);
    expect(problems).toEqual([]);
    expect(stats.cpu).toEqual({
      usage: 5.000001,
      user: 4,
      system: 1.000001,
      periods: 0,
      throttledPeriods: 0,
      throttledTime: 0,
    });
    expect(stats.cpu.limit).toBeUndefined();
    expect(stats.memory).toEqual({
      usage: 10485760,
      workingSet: 0,
      anon: 4194304,
      file: 6291456,
      mappedFile: 0,
      oomEvents: 0,
      oomKills: 0,
    });
    expect([stats.memory.swap, stats.memory.limit]).toEqual([undefined, undefined]);
    expect(stats.io).toEqual({ readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0, devices: [] });
    expect(stats.pids).toEqual({ current: 1 });
    expect(stats.pressure).toEqual({ cpu: undefined, memory: undefined, io: undefined });
  });
});

describe('cgroup v2 readers, faults', () => {
  it('garbage and missing files omit only their own fields, each named once in problems', async () => {
    const { stats, problems, gone } = await readCgroupV2(broken);
    expect(gone).toBe(false);
    expect(problems).toEqual([
      { file: 'cpu.pressure', reason: 'malformed' },
      { file: 'cpu.stat', reason: 'malformed' },
      { file: 'io.stat', reason: 'malformed' },
      { file: 'memory.stat', reason: 'missing' },
      { file: 'pids.current', reason: 'missing' },
    ]);
    expect(stats.cpu).toEqual({ limit: 0.5 });
    expect(stats.memory).toEqual({ usage: 1000000, swap: 0, limit: 2000000, oomEvents: 0, oomKills: 0 });
    expect(stats.memory.workingSet).toBeUndefined();
    expect(stats.io).toEqual({ devices: [] });
    expect(stats.io.readBytes).toBeUndefined();
    expect(stats.pids).toEqual({ limit: 100 });
    expect(stats.pressure).toEqual({
      memory: { some: { avg10: 0, avg60: 0, avg300: 0, total: 0.000007 } },
    });
  });

  it('a vanished directory is gone, with no problems', async () => {
    const result = await readCgroupV2(`${V2}no-such-container`);
    expect(result.gone).toBe(true);
    expect(result.problems).toEqual([]);
    expect(result.stats.cpu.usage).toBeUndefined();
    expect(await readPressureV2(`${V2}no-such-container`)).toMatchObject({ gone: true, problems: [] });
  });

  it('a live directory lacking every file of one reader is not gone: the files are missing', async () => {
    // v2/unlimited has no PSI files: optional, so neither gone nor a problem.
    expect(await readPressureV2(unlimited)).toEqual({
      stats: { cpu: undefined, memory: undefined, io: undefined },
      problems: [],
      gone: false,
    });
    // The v1 blkio directory has no pids files at all.
    const v1Blkio = fileURLToPath(new URL('../fixtures/cgroup-files/v1/blkio/normal', import.meta.url));
    expect(await readPids(v1Blkio)).toEqual({
      stats: {},
      problems: [
        { file: 'pids.current', reason: 'missing' },
        { file: 'pids.max', reason: 'missing' },
      ],
      gone: false,
    });
  });

  it('a file that cannot be read (EISDIR here) is unreadable, and the directory is not gone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'corral-readers-'));
    try {
      await mkdir(join(dir, 'cpu.stat'));
      await writeFile(join(dir, 'cpu.max'), 'max 100000\n');
      expect(await readCpuV2(dir)).toEqual({
        stats: {},
        problems: [{ file: 'cpu.stat', reason: 'unreadable' }],
        gone: false,
      });
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});
