/** CPU and memory of processes, from /proc, for the benchmarks that run more than one. */
import { readdirSync, readFileSync } from 'node:fs';

/** Ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat after the command name: [1] parent pid, [11] user, [12] system ticks. */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User + system CPU seconds of the mock brokers this process started (test/helpers/kafka-broker/). */
export function mockBrokerCpuSeconds(): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = statFields(stat);
    if (comm.startsWith('mock_broker') && Number(fields[1]) === process.pid)
      ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / TICKS_PER_SECOND;
}

/** User + system CPU seconds of a process, and its peak resident memory in MB. */
export function processUsage(pid: number): { cpuSeconds: number; peakRssMb: number } {
  const fields = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return {
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND,
    peakRssMb: Math.round(Number(hwm?.[1] ?? 0) / 1024),
  };
}
