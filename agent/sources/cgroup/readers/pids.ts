import { FileSet, type Reading } from './files.js';
import { lineEnd, singleUint } from './scan.js';

/** Tasks of one cgroup. */
export interface PidsStats {
  /** Tasks (processes and threads) in the cgroup now (count). */
  current?: number;
  /** Most tasks allowed (count); undefined when there is no limit. */
  limit?: number;
}

export function pidsIn(files: FileSet, dir: string | undefined): PidsStats {
  const s: PidsStats = { current: undefined, limit: undefined };
  if (dir === undefined) return s;
  const current = files.read(dir, 'pids.current');
  const max = files.read(dir, 'pids.max');
  if (current !== undefined) {
    const n = singleUint(current);
    if (Number.isNaN(n)) files.malformed('pids.current');
    else s.current = n;
  }
  if (max !== undefined && !(lineEnd(max, 0) === 3 && max.startsWith('max'))) {
    const n = singleUint(max);
    if (Number.isNaN(n)) files.malformed('pids.max');
    else s.limit = n;
  }
  return s;
}

/** Tasks of a cgroup, v1 (its pids hierarchy directory) or v2: pids.current and pids.max, same format. */
export function readPids(dir: string): Reading<PidsStats> {
  const files = new FileSet();
  return files.finish(pidsIn(files, dir));
}
