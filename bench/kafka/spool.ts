/**
 * The Kafka spool's throughput: appends of 64 KiB records per fsync policy, each awaited in
 * turn as the sink does, and replay (peek + ack) of what was spooled. Also the event-loop time
 * each append costs (the spool must not stall the agent's loop), for 64 KiB and 1 MiB values.
 * Prints one JSON document. Files go to a temporary directory on the same disk as /tmp;
 * replay reads them back from the page cache, as a spool drained soon after an outage does.
 *
 *   npm run build && node dist/bench/kafka/spool.js
 *   BENCH_SPOOL_MIB=64 ... for a shorter run (MiB appended per policy; default 256)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type FsyncPolicy, Spool, type SpoolRecord } from '../../lib/spool/spool.js';

const MIB = 1 << 20;
const VOLUME_MIB = Number(process.env.BENCH_SPOOL_MIB ?? 256);
// Each append waits for a disk flush with 'always': a smaller volume keeps the run short.
const ALWAYS_VOLUME_MIB = Math.min(VOLUME_MIB, 64);
const SEGMENT_BYTES = 64 * MIB;
const REPLAY_BATCH = 64;

interface AppendResult {
  fsync: FsyncPolicy;
  valueBytes: number;
  records: number;
  seconds: number;
  mbPerSecond: number;
  recordsPerSecond: number;
  /** Event-loop busy time over the run divided by appends: what each append costs the agent's loop. */
  loopMsPerAppend: number;
  /** The synchronous part of append() (validation and framing; the checksum runs in slices after it). */
  syncMsP99: number;
  syncMsMax: number;
  /** Call to resolution, disk time included. */
  latencyMsP50: number;
  latencyMsP99: number;
}

interface ReplayResult {
  records: number;
  batch: number;
  seconds: number;
  mbPerSecond: number;
  recordsPerSecond: number;
  loopMsPerRecord: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

function records(count: number, valueBytes: number): SpoolRecord[] {
  // A few distinct values, so the run measures the spool rather than random-number generation.
  const values = Array.from({ length: 8 }, () => randomBytes(valueBytes));
  return Array.from({ length: count }, (_, i) => ({
    topic: 'corral.metrics',
    key: Buffer.from(`container-${i % 100}`),
    value: values[i % values.length]!,
    timeMs: Date.now(),
  }));
}

async function openSpool(dir: string, fsync: FsyncPolicy): Promise<Spool> {
  return Spool.open({ dir, maxBytes: 4 * 1024 * MIB, segmentBytes: SEGMENT_BYTES, fsync });
}

async function benchAppend(spool: Spool, fsync: FsyncPolicy, batch: SpoolRecord[]): Promise<AppendResult> {
  const syncMs: number[] = [];
  const latencyMs: number[] = [];
  const loopBefore = performance.eventLoopUtilization();
  const start = performance.now();
  for (const record of batch) {
    const called = performance.now();
    const appended = spool.append(record);
    syncMs.push(performance.now() - called);
    await appended;
    latencyMs.push(performance.now() - called);
  }
  const seconds = (performance.now() - start) / 1000;
  const loop = performance.eventLoopUtilization(loopBefore);
  syncMs.sort((a, b) => a - b);
  latencyMs.sort((a, b) => a - b);
  const valueBytes = batch[0]!.value.length;
  return {
    fsync,
    valueBytes,
    records: batch.length,
    seconds: round(seconds),
    mbPerSecond: round((batch.length * valueBytes) / MIB / seconds, 1),
    recordsPerSecond: Math.round(batch.length / seconds),
    loopMsPerAppend: round(loop.active / batch.length, 4),
    syncMsP99: round(percentile(syncMs, 99), 4),
    syncMsMax: round(syncMs.at(-1)!, 4),
    latencyMsP50: round(percentile(latencyMs, 50)),
    latencyMsP99: round(percentile(latencyMs, 99)),
  };
}

async function benchReplay(spool: Spool): Promise<ReplayResult> {
  let count = 0;
  let bytes = 0;
  const loopBefore = performance.eventLoopUtilization();
  const start = performance.now();
  for (;;) {
    const entries = await spool.peek(REPLAY_BATCH);
    if (entries.length === 0) break;
    count += entries.length;
    for (const entry of entries) bytes += entry.value.length;
    await spool.ack(entries.at(-1)!);
  }
  const seconds = (performance.now() - start) / 1000;
  const loop = performance.eventLoopUtilization(loopBefore);
  return {
    records: count,
    batch: REPLAY_BATCH,
    seconds: round(seconds),
    mbPerSecond: round(bytes / MIB / seconds, 1),
    recordsPerSecond: Math.round(count / seconds),
    loopMsPerRecord: round(loop.active / count, 4),
  };
}

async function withDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'corral-bench-spool-'));
  try {
    return await run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  // Compiles the hot paths first, so the first policy measured doesn't pay for it.
  await withDir(async (dir) => {
    const spool = await openSpool(dir, 'never');
    await benchAppend(spool, 'never', records(256, 64 * 1024));
    await benchReplay(spool);
    await spool.close();
  });
  const append64k: AppendResult[] = [];
  let replay: ReplayResult | undefined;
  for (const fsync of ['never', 'interval', 'always'] as const) {
    const volume = fsync === 'always' ? ALWAYS_VOLUME_MIB : VOLUME_MIB;
    const batch = records((volume * MIB) / (64 * 1024), 64 * 1024);
    await withDir(async (dir) => {
      const spool = await openSpool(dir, fsync);
      append64k.push(await benchAppend(spool, fsync, batch));
      if (fsync === 'never') replay = await benchReplay(spool);
      await spool.close();
    });
  }
  const append1m = await withDir(async (dir) => {
    const spool = await openSpool(dir, 'never');
    const result = await benchAppend(spool, 'never', records(VOLUME_MIB / 2, MIB));
    await spool.close();
    return result;
  });
  process.stdout.write(
    `${JSON.stringify(
      {
        node: process.version,
        segmentBytes: SEGMENT_BYTES,
        append64k,
        append1m,
        replay,
      },
      null,
      2,
    )}\n`,
  );
}

await main();
