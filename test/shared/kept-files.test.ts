import { spawn } from 'node:child_process';
import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DescriptorBudget,
  KeptFiles,
  openFileLimit,
  ReadFailure,
} from '../../agent/sources/shared/kept-files.js';

/** Descriptors of this process open on path (other tests' sockets come and go meanwhile). */
function openFds(path: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false; // closed while listing
    }
  }).length;
}

describe('KeptFiles', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'corral-kept-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps a file open and reads its current content from the start each time', () => {
    writeFileSync(join(dir, 'memory.current'), '100\n');
    const budget = new DescriptorBudget(10);
    const kept = new KeptFiles(budget);
    expect(kept.read(dir, 'memory.current')).toBe('100\n');
    writeFileSync(join(dir, 'memory.current'), '250000\n'); // same inode, new content
    expect(kept.read(dir, 'memory.current')).toBe('250000\n');
    expect(kept.size).toBe(1);
    expect(budget.used).toBe(1);
    expect(openFds(join(dir, 'memory.current'))).toBe(1);
    kept.close();
    expect(budget.used).toBe(0);
    expect(openFds(join(dir, 'memory.current'))).toBe(0);
  });

  it('past the budget opens and closes on each read, and frees budget on close', () => {
    writeFileSync(join(dir, 'a'), 'A');
    writeFileSync(join(dir, 'b'), 'B');
    const budget = new DescriptorBudget(1);
    const first = new KeptFiles(budget);
    const second = new KeptFiles(budget);
    expect(first.read(dir, 'a')).toBe('A');
    expect(second.read(dir, 'b')).toBe('B');
    expect([first.size, second.size, budget.used]).toEqual([1, 0, 1]);
    first.close();
    expect(second.read(dir, 'b')).toBe('B');
    expect([second.size, budget.used]).toEqual([1, 1]);
  });

  it('answers an absent file from memory for 5 reads, then looks again', () => {
    const kept = new KeptFiles(new DescriptorBudget(10));
    const failure = kept.read(dir, 'memory.memsw.usage_in_bytes');
    expect(failure).toBeInstanceOf(ReadFailure);
    expect((failure as ReadFailure).code).toBe('ENOENT');
    writeFileSync(join(dir, 'memory.memsw.usage_in_bytes'), '42\n');
    const reads = Array.from({ length: 6 }, () => kept.read(dir, 'memory.memsw.usage_in_bytes'));
    expect(reads.slice(0, 5).every((r) => r instanceof ReadFailure)).toBe(true);
    expect(reads[5]).toBe('42\n');
    expect(kept.size).toBe(1);
  });

  it('opens afresh when the file of that name is asked for in another directory', () => {
    mkdirSync(join(dir, '4242', 'net'), { recursive: true });
    mkdirSync(join(dir, '4243', 'net'), { recursive: true });
    writeFileSync(join(dir, '4242', 'net', 'dev'), 'first');
    writeFileSync(join(dir, '4243', 'net', 'dev'), 'second');
    const budget = new DescriptorBudget(10);
    const kept = new KeptFiles(budget);
    expect(kept.read(join(dir, '4242'), 'net/dev')).toBe('first');
    expect(kept.read(join(dir, '4243'), 'net/dev')).toBe('second');
    expect(budget.used).toBe(1);
  });

  it('reads files larger than its 64 KiB buffer whole, kept or not', () => {
    const big = 'x'.repeat(200_000);
    writeFileSync(join(dir, 'big'), big);
    expect(new KeptFiles(new DescriptorBudget(1)).read(dir, 'big')).toBe(big);
    expect(new KeptFiles(new DescriptorBudget(0)).read(dir, 'big')).toBe(big);
  });

  it('reports a file that cannot be read with its errno code, without throwing', () => {
    mkdirSync(join(dir, 'a-directory'));
    const kept = new KeptFiles(new DescriptorBudget(10));
    const failure = kept.read(dir, 'a-directory');
    expect((failure as ReadFailure).code).toBe('EISDIR');
    expect(kept.size).toBe(0);
  });

  const liveMemory = '/sys/fs/cgroup/memory';
  const canMakeCgroups = (() => {
    try {
      accessSync(join(liveMemory, 'tasks'), constants.W_OK);
      return process.getuid?.() === 0;
    } catch {
      return false;
    }
  })();

  it.skipIf(!canMakeCgroups)(
    'on a live cgroup: a kept descriptor shows a new limit, and a removed cgroup is a failure',
    async () => {
      const cgroup = join(liveMemory, `corral-kept-test-${process.pid}`);
      mkdirSync(cgroup);
      const child = spawn('sleep', ['30']);
      try {
        const budget = new DescriptorBudget(10);
        const kept = new KeptFiles(budget);
        expect(kept.read(cgroup, 'memory.limit_in_bytes')).toBe('9223372036854771712\n');
        writeFileSync(join(cgroup, 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
        expect(kept.read(cgroup, 'memory.limit_in_bytes')).toBe('67108864\n');
        // v1 serves a kept cgroup.procs from a pid list cached for a second after each read,
        // so a reader polling faster than that never sees a new member: it is read unkept.
        expect(kept.read(cgroup, 'cgroup.procs', false)).toBe('');
        writeFileSync(join(cgroup, 'cgroup.procs'), String(child.pid));
        expect(kept.read(cgroup, 'cgroup.procs', false)).toBe(`${child.pid}\n`);
        expect(budget.used).toBe(1);
        // Move it out again and remove the cgroup: the kept descriptor fails (ENODEV), the
        // file is opened afresh and is absent.
        writeFileSync(join(liveMemory, 'cgroup.procs'), String(child.pid));
        rmdirSync(cgroup);
        expect((kept.read(cgroup, 'memory.limit_in_bytes') as ReadFailure).code).toBe('ENOENT');
        expect(budget.used).toBe(0);
      } finally {
        child.kill('SIGKILL');
        try {
          rmdirSync(cgroup);
        } catch {
          // Removed by the test.
        }
      }
    },
  );
});

const unified = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find((dir) => {
  try {
    accessSync(join(dir, 'cgroup.procs'), constants.W_OK);
    accessSync(join(dir, 'cgroup.controllers'));
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
});

describe.skipIf(unified === undefined)('KeptFiles on a live v2 (unified) cgroup', () => {
  it('a kept cgroup.procs shows a member joining and leaving at once', () => {
    const cgroup = join(unified as string, `corral-kept-v2-test-${process.pid}`);
    mkdirSync(cgroup);
    const child = spawn('sleep', ['30']);
    try {
      const kept = new KeptFiles(new DescriptorBudget(10));
      expect(kept.read(cgroup, 'cgroup.procs')).toBe('');
      writeFileSync(join(cgroup, 'cgroup.procs'), String(child.pid));
      expect(kept.read(cgroup, 'cgroup.procs')).toBe(`${child.pid}\n`);
      writeFileSync(join(unified as string, 'cgroup.procs'), String(child.pid));
      expect(kept.read(cgroup, 'cgroup.procs')).toBe('');
      expect(kept.size).toBe(1);
      kept.close();
    } finally {
      child.kill('SIGKILL');
      rmdirSync(cgroup);
    }
  });
});

describe('openFileLimit', () => {
  it('reads the soft limit from a limits file, and copes with unlimited and garbage', () => {
    const dir = mkdtempSync(join(tmpdir(), 'corral-limits-'));
    try {
      const header = 'Limit                     Soft Limit           Hard Limit           Units     \n';
      writeFileSync(
        join(dir, 'a'),
        `${header}Max open files            20000                1048576              files     \n`,
      );
      writeFileSync(
        join(dir, 'b'),
        `${header}Max open files            unlimited            unlimited            files     \n`,
      );
      writeFileSync(join(dir, 'c'), 'nonsense\n');
      expect(openFileLimit(join(dir, 'a'))).toBe(20000);
      expect(openFileLimit(join(dir, 'b'))).toBe(Number.MAX_SAFE_INTEGER);
      expect(openFileLimit(join(dir, 'c'))).toBe(1024);
      expect(openFileLimit(join(dir, 'missing'))).toBe(1024);
      expect(openFileLimit()).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
