import { availableParallelism, cpus } from 'node:os';

/** The machine a benchmark ran on, for its JSON document. */
export function machineInfo(loadAverageAtStart: readonly number[]) {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadAverageAtStart,
  };
}
