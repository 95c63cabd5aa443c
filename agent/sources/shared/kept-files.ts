import { closeSync, openSync, readFileSync } from 'node:fs';
import { readOpenFile } from './read-small-file.js';

/**
 * The cap on descriptors kept open across all containers. Each kept cgroup file holds about
 * 4.7 KiB of kernel memory (measured: a kernfs open file and its seq_file buffer), so the
 * cap bounds that as well as the descriptor count.
 */
export class DescriptorBudget {
  used = 0;
  constructor(readonly limit: number) {}
}

interface Kept {
  dir: string;
  /** -1 when the file was found absent. */
  fd: number;
  /** Absent files: reads answered from memory since the last open attempt. */
  absentReads: number;
}

/**
 * How many reads an absent file is taken as absent before it is tried again: a controller
 * enabled later (systemd enabling memory for a slice) shows within this many scrapes.
 */
const ABSENT_RECHECK = 6;

/** Why a file could not be read: the errno code of open or read ("ENOENT", "EACCES"). */
export class ReadFailure {
  constructor(readonly code: string) {}
}

const ABSENT = new ReadFailure('ENOENT');

/**
 * One container's kernel files, kept open between scrapes and re-read from offset 0. Opening
 * a cgroup file is the expensive part of reading it (the kernel allocates an open file and a
 * seq_file each time): open/read/close of 6 memory files costs ~38 µs here, re-reading
 * them ~12 µs. Past the budget, files are opened and closed on each read as before.
 *
 * Files are known by name ("memory.stat"), which is unique within a container and a constant
 * string, so the lookup needs no path built; the directory is checked, so a file whose
 * directory changed (another member process for net/dev) is opened afresh. A file found
 * absent is taken as absent for a few reads: a cgroup's files change only when a controller
 * is enabled for it, and a failed open costs more than a read (Node builds an error with a
 * stack each time), which made optional files (swap accounting, blkio fallbacks) a third of
 * a live v1 scrape.
 */
export class KeptFiles {
  private readonly files = new Map<string, Kept>();

  constructor(private readonly budget: DescriptorBudget) {}

  /**
   * The text of dir/name, or why it could not be read. keep false: open and close it this time
   * (a file whose kept descriptor would not show fresh content).
   */
  read(dir: string, name: string, keep = true): string | ReadFailure {
    const kept = this.files.get(name);
    if (kept !== undefined) {
      if (kept.dir === dir) {
        if (kept.fd < 0 && ++kept.absentReads < ABSENT_RECHECK) return ABSENT;
        if (kept.fd < 0) {
          this.files.delete(name);
          return this.open(dir, name, keep);
        }
        try {
          return readOpenFile(kept.fd, true);
        } catch {
          // ENODEV: the cgroup was removed, and maybe created again under the same path
          // (a restarted systemd service); ESRCH: the process exited. Open it afresh.
        }
      }
      this.forget(name);
    }
    return this.open(dir, name, keep);
  }

  private open(dir: string, name: string, wanted: boolean): string | ReadFailure {
    let fd: number;
    try {
      fd = openSync(`${dir}/${name}`, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      if (code === 'ENOENT') this.files.set(name, { dir, fd: -1, absentReads: 0 });
      return new ReadFailure(code);
    }
    const keep = wanted && this.budget.used < this.budget.limit;
    if (keep) {
      this.files.set(name, { dir, fd, absentReads: 0 });
      this.budget.used++;
    }
    try {
      return readOpenFile(fd, keep);
    } catch (err) {
      if (keep) this.forget(name);
      return new ReadFailure((err as NodeJS.ErrnoException).code ?? 'EIO');
    } finally {
      if (!keep) closeSync(fd);
    }
  }

  private forget(name: string): void {
    const kept = this.files.get(name);
    if (kept === undefined) return;
    this.files.delete(name);
    if (kept.fd < 0) return;
    this.budget.used--;
    closeSync(kept.fd);
  }

  /** Closes every kept file: the container is gone. */
  close(): void {
    for (const name of [...this.files.keys()]) this.forget(name);
  }

  /** Descriptors kept open. */
  get size(): number {
    let n = 0;
    for (const kept of this.files.values()) if (kept.fd >= 0) n++;
    return n;
  }
}

/**
 * The soft limit on open files (Node raises it to the hard limit at start), from
 * /proc/self/limits; 1024, the common default, when it cannot be read.
 */
export function openFileLimit(limitsPath = '/proc/self/limits'): number {
  try {
    const line = readFileSync(limitsPath, 'latin1')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft === 'unlimited') return Number.MAX_SAFE_INTEGER;
    const n = Number(soft);
    return Number.isInteger(n) && n > 0 ? n : 1024;
  } catch {
    return 1024;
  }
}
