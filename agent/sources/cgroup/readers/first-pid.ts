import { readSmallFile } from '../../shared/read-small-file.js';
import { singleUint } from './scan.js';

/**
 * The first pid in dir's cgroup.procs: a member process whose /proc/<pid>/net/dev shows the
 * container's network namespace (read with the node source's readNetDev). Undefined when the
 * cgroup is empty, gone or the file garbled.
 */
export function firstPid(dir: string): number | undefined {
  let text: string;
  try {
    text = readSmallFile(`${dir}/cgroup.procs`);
  } catch {
    return undefined;
  }
  const pid = singleUint(text);
  return pid > 0 ? pid : undefined;
}
