import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { encodeFrame } from '../../lib/spool/frame.js';
import { Spool, type SpoolEntry, type SpoolOptions, type SpoolRecord } from '../../lib/spool/spool.js';

export function makeTempDir(): string {
  return mkdtempSync(join(tmpdir(), 'corral-spool-'));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Record number `id`: its id in the value's first 4 bytes, the rest a pattern derived from it. */
export function makeRecord(id: number, valueBytes = 200): SpoolRecord {
  const value = Buffer.alloc(Math.max(valueBytes, 4), id & 0xff);
  value.writeUInt32BE(id, 0);
  return {
    topic: `metrics-${id % 3}`,
    key: Buffer.from(`key-${String(id % 10).padStart(4, '0')}`),
    value,
    timeMs: 1_700_000_000_000 + id,
  };
}

/** Framed size of makeRecord(id, valueBytes): the unit maxBytes and segmentBytes count in. */
export function frameBytes(valueBytes = 200): number {
  return encodeFrame(makeRecord(0, valueBytes)).bytes;
}

export function idOf(entry: SpoolEntry | SpoolRecord): number {
  return entry.value.readUInt32BE(0);
}

export function ids(entries: readonly (SpoolEntry | SpoolRecord)[]): number[] {
  return entries.map(idOf);
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

export async function appendAll(spool: Spool, from: number, to: number, valueBytes = 200): Promise<void> {
  for (let id = from; id < to; id++) await spool.append(makeRecord(id, valueBytes));
}

/** Replays everything pending, `batch` records per peek, acknowledging each batch. */
export async function drain(spool: Spool, batch = 7): Promise<SpoolEntry[]> {
  const delivered: SpoolEntry[] = [];
  for (;;) {
    const entries = await spool.peek(batch);
    if (entries.length === 0) return delivered;
    delivered.push(...entries);
    await spool.ack(entries.at(-1)!);
  }
}

/** Everything pending, without acknowledging it. */
export async function peekAll(spool: Spool): Promise<SpoolEntry[]> {
  return spool.peek(Number.MAX_SAFE_INTEGER);
}

export function segmentFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.seg'))
    .sort();
}

export interface Drop {
  reason: 'full' | 'corrupt';
  records: number;
  bytes: number;
}

export interface Warning {
  fields: object;
  message: string;
}

/** Opens a spool that records its drops and warnings; fsync 'never' unless overridden. */
export async function openSpool(
  dir: string,
  options: Partial<SpoolOptions> = {},
): Promise<{ spool: Spool; drops: Drop[]; warnings: Warning[] }> {
  const drops: Drop[] = [];
  const warnings: Warning[] = [];
  const spool = await Spool.open({
    dir,
    maxBytes: 1 << 30,
    segmentBytes: 4096,
    fsync: 'never',
    onDrop: (reason, records, bytes) => drops.push({ reason, records, bytes }),
    logger: { warn: (fields, message) => warnings.push({ fields, message }) },
    ...options,
  });
  return { spool, drops, warnings };
}

/**
 * A temporary spool directory per test, and openSpool on it with every spool it opened closed
 * after the test (also those a test "crashed", so their handles don't leak into the next).
 * Call inside a describe: it registers the beforeEach/afterEach hooks.
 */
export function useSpoolDir(): {
  readonly dir: string;
  open(options?: Partial<SpoolOptions>): ReturnType<typeof openSpool>;
  /** Closes a spool opened otherwise after the test, in the order tracked. */
  track(spool: Spool): void;
} {
  let dir = '';
  const opened: Spool[] = [];
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(async () => {
    for (const spool of opened.splice(0)) await spool.close();
    removeDir(dir);
  });
  return {
    get dir() {
      return dir;
    },
    async open(options = {}) {
      const result = await openSpool(dir, options);
      opened.push(result.spool);
      return result;
    },
    track(spool) {
      opened.push(spool);
    },
  };
}
