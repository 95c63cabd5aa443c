import { type CpuTimes, USER_HZ } from './stat.js';

/** The modes that partition CPU time; guest and guestNice are left out, being part of user and nice. */
export const CPU_MODES = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal'] as const;
export type CpuMode = (typeof CPU_MODES)[number];

/**
 * Percent of all CPU time (every core together, so the modes sum to 100) spent in each
 * mode between two readings of /proc/stat. Undefined when no time passed or a counter went
 * backwards: the kernel does not reset them, but proc(5) warns that iowait can decrease on
 * tickless kernels, and a negative percentage would be worse than a gap.
 */
export function cpuPercentByMode(previous: CpuTimes, current: CpuTimes): Record<CpuMode, number> | undefined {
  const deltas = {} as Record<CpuMode, number>;
  let total = 0;
  for (const mode of CPU_MODES) {
    // Back to whole ticks so the subtraction is exact.
    const delta = Math.round(current[mode] * USER_HZ) - Math.round(previous[mode] * USER_HZ);
    if (delta < 0) return undefined;
    deltas[mode] = delta;
    total += delta;
  }
  if (total === 0) return undefined;
  const percent = {} as Record<CpuMode, number>;
  for (const mode of CPU_MODES) percent[mode] = (deltas[mode] * 100) / total;
  return percent;
}
