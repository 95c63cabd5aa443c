/**
 * Where embedded inserts put a payload for the engine to read with file(): in memory
 * (/dev/shm) when the machine has it. The engine parses a file several times faster than
 * the same bytes inlined after an INSERT statement, and reading it back costs nothing next to
 * parsing. Each storage has a directory of its own, removed on close; directories left by a
 * process that died are removed by the next one.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'corral-insert-';

export class InsertFiles {
  private next = 0;
  readonly dir: string;

  constructor(parent: string = defaultParent()) {
    removeAbandoned(parent);
    this.dir = mkdtempSync(join(parent, `${PREFIX}${process.pid}-`));
  }

  /** Runs `use` with the payload in a file, removed afterwards whatever happened. */
  async with<T>(data: Buffer, use: (path: string) => Promise<T>): Promise<T> {
    const path = join(this.dir, `${++this.next}.tsv`);
    await writeFile(path, data);
    try {
      return await use(path);
    } finally {
      await unlink(path).catch(() => {});
    }
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function defaultParent(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

/** Directories of processes that no longer run (the pid is in the name). */
function removeAbandoned(parent: string): void {
  let entries: string[];
  try {
    entries = readdirSync(parent);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.startsWith(PREFIX)) continue;
    const pid = Number(entry.slice(PREFIX.length).split('-')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !running(pid))
      rmSync(join(parent, entry), { recursive: true, force: true });
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
