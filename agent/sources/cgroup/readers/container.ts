import type { KeptFiles } from '../../shared/kept-files.js';
import { type CpuStats, cpuV1, cpuV2 } from './cpu.js';
import { FileSet, type Reading, type V1Dirs } from './files.js';
import { type IoStats, ioV1, ioV2 } from './io.js';
import { type MemoryStats, memoryV1, memoryV2 } from './memory.js';
import { type PidsStats, pidsIn } from './pids.js';
import { type PressureStats, pressureV2 } from './pressure.js';

/** Everything one scrape reads from a container's cgroup; CGROUP_FIELDS describes each field. */
export interface CgroupStats {
  cpu: CpuStats;
  memory: MemoryStats;
  io: IoStats;
  pids: PidsStats;
  /** Empty on v1. */
  pressure: PressureStats;
}

/**
 * One scrape of a v2 container, one FileSet, so gone means that every file of the container
 * was absent and so was its directory. kept: the container's descriptors kept between scrapes.
 */
export function readCgroupV2(dir: string, kept?: KeptFiles): Reading<CgroupStats> {
  const files = new FileSet(kept);
  return files.finish({
    cpu: cpuV2(files, dir),
    memory: memoryV2(files, dir),
    io: ioV2(files, dir),
    pids: pidsIn(files, dir),
    pressure: pressureV2(files, dir),
  });
}

/** One scrape of a v1 container, from its directory in each mounted hierarchy. */
export function readCgroupV1(dirs: V1Dirs, kept?: KeptFiles): Reading<CgroupStats> {
  const files = new FileSet(kept);
  return files.finish({
    cpu: cpuV1(files, dirs),
    memory: memoryV1(files, dirs),
    io: ioV1(files, dirs),
    pids: pidsIn(files, dirs.pids),
    pressure: {},
  });
}
