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
 * One scrape of a v2 container: all its files read concurrently, one FileSet, so gone means
 * that every file of the container was absent and so was its directory.
 */
export async function readCgroupV2(dir: string): Promise<Reading<CgroupStats>> {
  const files = new FileSet();
  const [cpu, memory, io, pids, pressure] = await Promise.all([
    cpuV2(files, dir),
    memoryV2(files, dir),
    ioV2(files, dir),
    pidsIn(files, dir),
    pressureV2(files, dir),
  ]);
  return files.finish({ cpu, memory, io, pids, pressure });
}

/** One scrape of a v1 container, from its directory in each mounted hierarchy. */
export async function readCgroupV1(dirs: V1Dirs): Promise<Reading<CgroupStats>> {
  const files = new FileSet();
  const [cpu, memory, io, pids] = await Promise.all([
    cpuV1(files, dirs),
    memoryV1(files, dirs),
    ioV1(files, dirs),
    pidsIn(files, dirs.pids),
  ]);
  return files.finish({ cpu, memory, io, pids, pressure: {} });
}
