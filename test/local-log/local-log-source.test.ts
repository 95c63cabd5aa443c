/**
 * The in-process log as the collector reads it: spool positions as offsets that survive a
 * restart, commit as acknowledgment, a partition number per log directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BatchControl, ConsumedBatch } from '../../collector/pipeline/pipeline.js';
import type { BatchHandler } from '../../collector/sources/kafka/consumer.js';
import { LocalLogSource } from '../../collector/sources/local-log/local-log-source.js';
import { LocalLog } from '../../lib/local-log/local-log.js';
import { RateLimitedLog } from '../../lib/log/rate-limited.js';

const logger = pino({ level: 'silent' });
const TOPIC = 'corral.metrics';
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function openLog(dir: string): Promise<LocalLog> {
  return LocalLog.open(
    { dir, maxBytes: 8 * 1024 * 1024, fsync: 'never', logger, log: new RateLimitedLog(logger) },
    [TOPIC],
  );
}

/** Hands out what it is given, and commits after the message whose value is `commitAfter`. */
class RecordingHandler implements BatchHandler {
  readonly seen: { offset: string; value: string; partition: number }[] = [];
  resets = 0;

  constructor(private readonly commitAfter?: string) {}

  async handle(batch: ConsumedBatch, control: BatchControl): Promise<void> {
    for (const message of batch.messages) {
      this.seen.push({ offset: message.offset, value: String(message.value), partition: batch.partition });
      if (String(message.value) === this.commitAfter)
        await control.commit(batch.topic, batch.partition, BigInt(message.offset) + 1n);
    }
  }

  reset(): void {
    this.resets++;
  }
}

async function append(log: LocalLog, values: string[]): Promise<void> {
  for (const value of values)
    await log.append({ topic: TOPIC, key: null, value: Buffer.from(value), timeMs: 1 });
}

async function readAll(log: LocalLog, handler: RecordingHandler, expected: number): Promise<void> {
  const source = new LocalLogSource({ log, handler, logger, drainTimeoutMs: 100 });
  await source.start();
  await vi.waitFor(() => expect(handler.seen).toHaveLength(expected), { timeout: 5000, interval: 10 });
  await source.stop();
}

describe('LocalLogSource', () => {
  it('replays from the last commit after a restart, with the offsets the records had', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'corral-local-log-'));
    dirs.push(dir);
    let log = await openLog(dir);
    await append(log, ['a', 'b', 'c', 'd', 'e']);
    const first = new RecordingHandler('c');
    await readAll(log, first, 5);
    expect(first.seen.map((m) => m.value)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(first.resets).toBe(1);
    // Offsets only grow.
    const offsets = first.seen.map((m) => BigInt(m.offset));
    expect(offsets).toEqual([...offsets].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
    expect(new Set(offsets).size).toBe(5);
    await log.close();

    log = await openLog(dir);
    await append(log, ['f']);
    const second = new RecordingHandler();
    await readAll(log, second, 3);
    await log.close();
    // d and e were not committed: read again, at the same offsets and partition as before.
    expect(second.seen.slice(0, 2)).toEqual(first.seen.slice(3));
    expect(second.seen[2]?.value).toBe('f');
    expect(BigInt(second.seen[2]!.offset)).toBeGreaterThan(BigInt(first.seen[4]!.offset));
  });

  it('stops reading every topic when the pipeline throws, and keeps the records for the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'corral-local-log-'));
    dirs.push(dir);
    const log = await openLog(dir);
    await append(log, ['a', 'b']);
    const fatal: Error[] = [];
    const failing: BatchHandler = {
      handle: async () => {
        throw new Error('a bug');
      },
      reset: () => {},
    };
    const source = new LocalLogSource({
      log,
      handler: failing,
      logger,
      onFatal: (error) => fatal.push(error),
    });
    await source.start();
    await vi.waitFor(() => expect(fatal.map((e) => e.message)).toEqual(['a bug']), {
      timeout: 5000,
      interval: 10,
    });
    expect(source.connected).toBe(false);
    await source.stop();
    const next = new RecordingHandler();
    await readAll(log, next, 2);
    expect(next.seen.map((m) => m.value)).toEqual(['a', 'b']);
    await log.close();
  });

  it('gives a log recreated from nothing another partition number (insert intents are per partition)', async () => {
    const partitions = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'corral-local-log-'));
      dirs.push(dir);
      const log = await openLog(dir);
      partitions.add(log.partitionOf(TOPIC).partition);
      await log.close();
      const reopened = await openLog(dir);
      expect(reopened.partitionOf(TOPIC).partition).toBe(log.partitionOf(TOPIC).partition);
      await reopened.close();
    }
    expect(partitions.size).toBe(3);
  });
  it("tells a waiting handler 'more' at the next append and 'quiet' when none comes", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'corral-local-log-'));
    dirs.push(dir);
    const log = await openLog(dir);
    await append(log, ['a']);
    const answers: string[] = [];
    const handler: BatchHandler = {
      reset: () => {},
      async handle(batch, control) {
        const value = String(batch.messages.at(-1)!.value);
        if (value === 'a') {
          // Appended while the handler waits: 'more', well before the wait's end.
          const waiting = control.awaitMore!(batch.topic, batch.partition, batch.fetchedUpTo, 60_000);
          await append(log, ['b']);
          answers.push(await waiting);
        } else {
          answers.push(await control.awaitMore!(batch.topic, batch.partition, batch.fetchedUpTo, 200));
        }
        await control.commit(batch.topic, batch.partition, batch.fetchedUpTo);
      },
    };
    const source = new LocalLogSource({ log, handler, logger, drainTimeoutMs: 100 });
    await source.start();
    await vi.waitFor(() => expect(answers).toEqual(['more', 'quiet']), { timeout: 10_000, interval: 10 });
    await source.stop();
    await log.close();
  });
});
