/**
 * A cgroup v2 tree of Docker containers in a temporary directory, from the cgroup fixture files
 * (as bench/cgroup generates them), for the agent's `cgroup.root`. Each container's single
 * member is `memberPid` (a live process), so its network is read from a real
 * /proc/<pid>/net/dev.
 */
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../test/helpers/agent-process.js';

const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'cgroup-files', 'v2', 'normal');

/** A container's id in the tree: 64 hex digits, as Docker's. */
export function containerId(i: number): string {
  return (0xc0ffee0000 + i).toString(16).padStart(64, '0');
}

/** Creates the tree; returns its root. */
export function makeCgroupTree(containers: number, memberPid: number): string {
  const root = mkdtempSync(join(tmpdir(), 'corral-bench-e2e-cgroup-'));
  writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
  for (let i = 0; i < containers; i++) {
    const dir = join(root, 'system.slice', `docker-${containerId(i)}.scope`);
    mkdirSync(dir, { recursive: true });
    cpSync(FIXTURE, dir, { recursive: true });
    writeFileSync(join(dir, 'cgroup.procs'), `${memberPid}\n`);
  }
  return root;
}
