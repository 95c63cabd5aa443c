import { existsSync } from 'node:fs';
import type { KeptFiles } from '../../shared/kept-files.js';
import { readSmallFile } from '../../shared/read-small-file.js';

/** Why a file gave no values: absent, refused by the kernel, or not in the expected format. */
export type ProblemReason = 'missing' | 'unreadable' | 'malformed';

export interface CgroupProblem {
  /** The file's name inside its cgroup directory ("cpu.stat"), or "net/dev". */
  file: string;
  reason: ProblemReason;
}

/** What every reader returns. */
export interface Reading<T> {
  /** Fields whose file was missing or malformed are undefined; the others are filled. */
  stats: T;
  /** Sorted by file; empty when everything read. */
  problems: CgroupProblem[];
  /** The directory vanished (the container stopped): skip it, it is no error. */
  gone: boolean;
}

/**
 * The files one scrape of a container reads, problems recorded, and enough bookkeeping to
 * tell a vanished directory from missing files. Reads go through the container's kept
 * descriptors when it has them, else open/read/close.
 */
export class FileSet {
  readonly problems: CgroupProblem[] = [];
  private tried = 0;
  private absent = 0;
  private readonly dirs: string[] = [];

  constructor(private readonly kept?: KeptFiles) {}

  /**
   * The file's text, or undefined (recorded as a problem). An optional file (PSI, swap
   * accounting, the blkio fallback) may be absent, or refused when the kernel has the feature
   * off, without a problem.
   */
  read(dir: string, name: string, optional = false): string | undefined {
    this.tried++;
    if (!this.dirs.includes(dir)) this.dirs.push(dir);
    let code: string;
    if (this.kept !== undefined) {
      const text = this.kept.read(dir, name);
      if (typeof text === 'string') return text;
      code = text.code;
    } else {
      try {
        return readSmallFile(`${dir}/${name}`);
      } catch (err) {
        code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      }
    }
    // ENODEV: a file opened in a cgroup that was removed since.
    if (code === 'ENOENT' || code === 'ENODEV') {
      this.absent++;
      if (!optional) this.problems.push({ file: name, reason: 'missing' });
    } else if (!(optional && code === 'EOPNOTSUPP')) {
      this.problems.push({ file: name, reason: 'unreadable' });
    }
    return undefined;
  }

  malformed(name: string): void {
    this.problems.push({ file: name, reason: 'malformed' });
  }

  /**
   * Wraps stats up. Only when every file was absent does it look at the directories (one
   * check each), so a live container whose controller lacks a file is not taken for gone.
   */
  finish<T>(stats: T): Reading<T> {
    if (this.tried > 0 && this.absent === this.tried && !this.dirs.some((dir) => existsSync(dir))) {
      return { stats, problems: [], gone: true };
    }
    if (this.problems.length > 1) this.problems.sort(byFile);
    return { stats, problems: this.problems, gone: false };
  }
}

function byFile(a: CgroupProblem, b: CgroupProblem): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : 0;
}

/** A container's directories in each v1 hierarchy; a controller that is not mounted is left out. */
export interface V1Dirs {
  cpu?: string;
  cpuacct?: string;
  memory?: string;
  blkio?: string;
  pids?: string;
}
