import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type AgentProcess, startAgent } from '../helpers/agent-process.js';

/**
 * This process's cgroup in the hierarchy the agent walks: the v1 memory controller's on a
 * v1 or hybrid host, the unified one on a v2 host.
 */
function ownCgroup(): { path: string; cpuDir: string | null } {
  const lines = readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  const memory = lines.find((l) => l.split(':')[1]?.split(',').includes('memory'));
  const unified = lines.find((l) => l.startsWith('0::'));
  const path = (memory ?? unified ?? '::/').split(':').slice(2).join(':');
  const cpuacct = lines.find((l) => l.split(':')[1]?.split(',').includes('cpuacct'));
  const cpuPath = cpuacct?.split(':').slice(2).join(':');
  const cpuDir =
    memory === undefined
      ? `/sys/fs/cgroup${path}`
      : cpuPath === path
        ? `/sys/fs/cgroup/cpuacct${path}`
        : null;
  return { path, cpuDir: cpuDir !== null && existsSync(cpuDir) ? cpuDir : null };
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const own = ownCgroup();
const lastSlash = own.path.lastIndexOf('/');
const id = own.path.slice(lastSlash + 1);
const pattern = `self:^${escapeRegex(own.path.slice(0, lastSlash))}/(?<id>${escapeRegex(id)})$`;

describe('cgroup source on this machine (real CLI)', () => {
  let agent: AgentProcess | undefined;
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
  });

  // In the root cgroup a process has no container of its own to find.
  it.skipIf(own.path === '/')(
    `finds the cgroup of this test (${own.path}) and sees its memory rise after an allocation`,
    async () => {
      agent = await startAgent(
        ['--cgroup-interval', '1s', '--cgroup-systemd-services', 'never', '--cgroup-patterns', pattern],
        'cgroup',
      );
      const usage = () =>
        agent!.lines.filter((l) => l.name === 'container.memory.usage' && l.container_id === id);
      await agent.waitFor(() => usage().length > 0, 'a memory reading of this cgroup');
      const before = usage().at(-1)!;
      expect(before.tags).toMatchObject({ runtime: 'self', cgroup_path: own.path });
      // 128 MiB, every page touched, held until the agent has seen it.
      const held = Array.from({ length: 8 }, () => Buffer.alloc(16 << 20, 1));
      await agent.waitFor(
        () => usage().some((l) => l.time_ms > before.time_ms && l.value >= before.value + (64 << 20)),
        'memory usage 64 MiB above the first reading',
      );
      expect(held.length).toBe(8);
      if (own.cpuDir !== null) {
        const until = Date.now() + 300;
        while (Date.now() < until);
        await agent.waitFor(
          (lines) =>
            lines.some((l) => l.name === 'container.cpu.usage' && l.container_id === id && l.value > 0),
          'cpu usage of this cgroup',
        );
      }
    },
  );
});
