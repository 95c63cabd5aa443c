/** Linux process and kernel readings the benchmark takes the same way for both servers. */
import { type ChildProcess, execFileSync, type StdioOptions, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on every mainstream kernel). */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User and system (kernel) CPU seconds of a process, all its threads. */
export function cpuTimes(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; fields after it start past the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
  return { user: Number(fields[11]) / CLOCK_TICKS, system: Number(fields[12]) / CLOCK_TICKS };
}

/** Peak resident set size (VmHWM) in bytes. */
export function peakRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** The kernel's UDP counters (system-wide): datagrams dropped for a full receive buffer. */
export function udpRcvbufErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('Udp:'));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  return Number(values[names.indexOf('RcvbufErrors')]);
}

/** The receive buffer the kernel gave the UDP socket bound to 127.0.0.1:port (ss "rb"), in bytes. */
export function udpReceiveBuffer(port: number): number | null {
  try {
    const out = execFileSync('ss', ['-uamnH', 'sport', '=', `:${port}`], { encoding: 'utf8' });
    const match = /\brb(\d+)/.exec(out);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

const RMEM_MAX = '/proc/sys/net/core/rmem_max';
const RMEM_DEFAULT = '/proc/sys/net/core/rmem_default';

export interface RmemSettings {
  rmemMax: number;
  rmemDefault: number;
}

export function readRmem(): RmemSettings {
  return {
    rmemMax: Number(readFileSync(RMEM_MAX, 'utf8').trim()),
    rmemDefault: Number(readFileSync(RMEM_DEFAULT, 'utf8').trim()),
  };
}

/** Sets net.core.rmem_max/rmem_default; false when not permitted (not root, read-only /proc/sys). */
export function writeRmem(settings: RmemSettings): boolean {
  try {
    writeFileSync(RMEM_MAX, String(settings.rmemMax));
    writeFileSync(RMEM_DEFAULT, String(settings.rmemDefault));
    return true;
  } catch {
    return false;
  }
}

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/**
 * Priority for the servers and senders when running as root, so other work on a shared machine
 * (builds, tests) takes as little as possible of their CPUs; the same for both servers. With
 * scheduler autogroups (kernel.sched_autogroup_enabled) a process's nice only ranks it inside
 * its session, so each child also gets a session (autogroup) of its own at this nice.
 */
export const PRIORITY_NICE = process.getuid?.() === 0 ? -20 : 0;

const children = new Set<ChildProcess>();

/**
 * Spawns command pinned to one CPU with taskset (when it exists and cpu is not null) and at
 * PRIORITY_NICE. taskset and nice exec the command, so the child's pid is the command's.
 */
export function spawnPinned(
  cpu: number | null,
  command: string,
  args: string[],
  options: { cwd?: string; stdio: StdioOptions },
): ChildProcess {
  let argv = [command, ...args];
  if (cpu !== null && hasTaskset) argv = ['taskset', '-c', String(cpu), ...argv];
  if (PRIORITY_NICE !== 0) argv = ['nice', '-n', String(PRIORITY_NICE), ...argv];
  const child = spawn(argv[0]!, argv.slice(1), { ...options, detached: PRIORITY_NICE !== 0 });
  if (PRIORITY_NICE !== 0 && child.pid !== undefined) {
    try {
      writeFileSync(`/proc/${child.pid}/autogroup`, String(PRIORITY_NICE));
    } catch {
      // No autogroups in this kernel: the process nice is all there is.
    }
  }
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Kills every child still running (they are in sessions of their own, so ^C does not reach them). */
export function killChildren(): void {
  for (const child of children) child.kill('SIGKILL');
}

export function cpuModel(): string {
  if (!existsSync('/proc/cpuinfo')) return 'unknown';
  const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
  return match?.[1]?.trim() ?? 'unknown';
}

export function loadAverage(): number[] {
  return readFileSync('/proc/loadavg', 'utf8').trim().split(' ').slice(0, 3).map(Number);
}

/** Moves every thread of this process to one CPU (taskset -a -p), so the runner stays off the servers' CPU. */
export function pinSelf(cpu: number | null): void {
  if (cpu === null || !hasTaskset) return;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
  } catch {
    // Not fatal: the runner is idle while measuring.
  }
}

/**
 * Seconds the hypervisor gave one CPU's time to something else (steal, /proc/stat); the
 * whole machine when cpu is null. A server whose CPU is stolen drops packets without being
 * busy: its own CPU time does not show it.
 */
export function stealSeconds(cpu: number | null): number {
  const name = cpu === null ? 'cpu' : `cpu${cpu}`;
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name} `));
  // cpuN user nice system idle iowait irq softirq steal ...
  return Number(line?.trim().split(/\s+/)[8] ?? Number.NaN) / CLOCK_TICKS;
}
