import type { KeptFiles } from '../../shared/kept-files.js';
import { readSmallFile } from '../../shared/read-small-file.js';
import { singleUint } from './scan.js';

/**
 * The first pid in dir's cgroup.procs: a member process whose /proc/<pid>/net/dev shows the
 * container's network namespace (read with the node source's readNetDev). Undefined when the
 * cgroup is empty, gone or the file garbled.
 */
export function firstPid(dir: string, kept?: KeptFiles, unified = false): number | undefined {
  let text: string;
  if (kept !== undefined) {
    // Kept only in the unified hierarchy: v1 serves a kept cgroup.procs from a pid list it
    // caches for a second after each read, so reading more often than that never sees a
    // new member; v2 walks the cgroup's tasks afresh on every read from offset 0.
    const read = kept.read(dir, 'cgroup.procs', unified);
    if (typeof read !== 'string') return undefined;
    text = read;
  } else {
    try {
      text = readSmallFile(`${dir}/cgroup.procs`);
    } catch {
      return undefined;
    }
  }
  const pid = singleUint(text);
  return pid > 0 ? pid : undefined;
}
