import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StatsD } from 'hot-shots';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeFrame } from '../../lib/spool/frame.js';
import { singleObjectCodec } from '../../lib/wire/single-object.js';
import {
  type AgentProcess,
  httpBase,
  kafkaAgentFlags,
  selfMetrics,
  startAgent,
} from '../helpers/agent-process.js';
import { type KafkaBroker, startKafkaBroker } from '../helpers/kafka-broker/index.js';
import { consumeMetrics, type MetricsConsumer, type ReceivedBatch } from '../helpers/kafka-consumer.js';
import { statsdClient } from '../helpers/statsd-client.js';
import { segmentFiles } from '../spool/helpers.js';

const decoder = singleObjectCodec('MetricBatch').decoder;
const MiB = 1024 * 1024;

/** A MetricBatch frame of a spool segment on disk. */
interface SpooledFrame {
  offset: number;
  bytes: number;
  batchId: string;
}

/** Every frame of every segment, oldest first, decoded as the agent wrote them; throws on damage. */
function readSpool(dir: string): { path: string; frames: SpooledFrame[] }[] {
  return segmentFiles(dir).map((name) => {
    const path = join(dir, name);
    const data = readFileSync(path);
    const frames: SpooledFrame[] = [];
    for (let at = 0; at < data.length; ) {
      const frame = decodeFrame(data, at);
      if (frame.kind !== 'record') throw new Error(`${path}: ${frame.kind} frame at ${at}`);
      const batchId = decoder.decode(frame.record.value).batch_id;
      frames.push({ offset: at, bytes: frame.frameBytes, batchId });
      at += frame.frameBytes;
    }
    return { path, frames };
  });
}

/** Flips bits in the middle of a frame's value, as bit rot would: its checksum no longer matches. */
function damage(path: string, frame: SpooledFrame): void {
  const data = readFileSync(path);
  const at = frame.offset + Math.floor(frame.bytes / 2);
  data.writeUInt8(data.readUInt8(at) ^ 0x5a, at);
  writeFileSync(path, data);
}

/** `<run uuid>-<sequence>` */
function sequenceOf(batchId: string): number {
  return Number(batchId.slice(batchId.lastIndexOf('-') + 1));
}

/** Per key: one partition, offsets, batch sequences and send times all rising in arrival order. */
function expectInWriteOrder(received: readonly ReceivedBatch[]): void {
  const byKey = new Map<string, ReceivedBatch[]>();
  for (const r of received) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
  for (const batches of byKey.values()) {
    expect(new Set(batches.map((b) => b.partition)).size).toBe(1);
    for (let i = 1; i < batches.length; i++) {
      const [before, after] = [batches[i - 1]!, batches[i]!];
      expect(after.offset).toBeGreaterThan(before.offset);
      expect(sequenceOf(after.batchId)).toBeGreaterThan(sequenceOf(before.batchId));
      expect(after.sentMs).toBeGreaterThanOrEqual(before.sentMs);
      const flushedAt = (b: ReceivedBatch) => Math.max(...b.datapoints.map((p) => p.timeMs));
      expect(flushedAt(after)).toBeGreaterThanOrEqual(flushedAt(before));
    }
  }
}

describe('Kafka sink faults end to end (real CLI, librdkafka mock broker, kafkajs consumer)', () => {
  let broker: KafkaBroker;
  let spoolDir = '';
  let agent: AgentProcess | undefined;
  let consumer: MetricsConsumer | undefined;
  let statsd: StatsD | undefined;
  const prefix = `f${process.pid}-${Date.now()}.`;

  beforeEach(async () => {
    broker = await startKafkaBroker();
    await broker.createTopic(`${prefix}metrics`, 2, 1);
    await broker.createTopic(`${prefix}events`, 1, 1);
    spoolDir = mkdtempSync(join(tmpdir(), 'corral-spool-faults-'));
  });

  afterEach(async () => {
    statsd?.close(() => {});
    statsd = undefined;
    await agent?.stop();
    agent = undefined;
    await consumer?.disconnect();
    consumer = undefined;
    await broker.stop();
    rmSync(spoolDir, { recursive: true, force: true });
  });

  /** The agent on the test's broker and spool directory, StatsD only, flushing every flushMs. */
  const startKafkaAgent = (flushMs: number, extraArgs: string[] = []) =>
    startAgent([
      ...kafkaAgentFlags({
        brokers: broker.bootstrap,
        prefix,
        spoolDir,
        requestTimeout: '2s',
        flushInterval: `${flushMs}ms`,
      }),
      ...extraArgs,
    ]);

  /** A fresh consumer group reading the metrics topic from the beginning. */
  const consume = async (group: string) => {
    consumer = await consumeMetrics(broker.bootstrap, `${prefix}metrics`, `${prefix}${group}`);
    return consumer;
  };

  it('the broker goes down for 20 seconds under steady load', { timeout: 90_000 }, async () => {
    const flushMs = 500;
    agent = await startKafkaAgent(flushMs);
    const base = await httpBase(agent);
    const metric = async (sample: string) => (await selfMetrics(base)).get(sample) ?? Number.NaN;
    const client = statsdClient(agent.udpPort);
    statsd = client;

    // Every 10 ms one increment of one of ten counters, by 1 to 5: totals per name to reconcile.
    const sent = new Map<string, number>();
    let lines = 0;
    const sender = setInterval(() => {
      const name = `faults.load.c${lines % 10}`;
      const value = (Math.floor(lines / 10) % 5) + 1;
      client.increment(name, value);
      sent.set(name, (sent.get(name) ?? 0) + value);
      lines++;
    }, 10);
    try {
      await expect
        .poll(() => metric('corral_kafka_records_sent_total'), { timeout: 15_000 })
        .toBeGreaterThan(0);

      // Down halfway between two flushes, when no send is in flight: the mock broker keeps the
      // messages of a transaction cut short visible to our read-uncommitted consumer, which
      // would look like a duplicate that a real broker's read-committed consumer never sees.
      await sleep(flushMs - ((Date.now() + flushMs / 2) % flushMs));
      await broker.down(-1);
      const downAt = Date.now();
      const sentBeforeOutage = await metric('corral_kafka_records_sent_total');

      await expect
        .poll(() => metric('corral_kafka_send_failures_total'), { timeout: 10_000 })
        .toBeGreaterThan(0);
      // The spool holds every batch of the outage: nothing leaves, nothing is dropped.
      const spooled: number[] = [];
      while (Date.now() < downAt + 20_000) {
        spooled.push(await metric('corral_spool_records'));
        await sleep(Math.min(1000, downAt + 20_000 - Date.now()));
      }
      expect(spooled[0]).toBeGreaterThan(0);
      expect(spooled).toEqual(spooled.toSorted((a, b) => a - b));
      // A batch a flush (two a second) for 20 s, give or take a slow machine's merged flushes.
      expect(spooled.at(-1)).toBeGreaterThanOrEqual(20);
      expect(await metric('corral_kafka_records_sent_total')).toBe(sentBeforeOutage);
      expect(await metric('corral_spool_dropped_records_total{reason="full"}')).toBe(0);

      await broker.up(-1);
      // A consumer that sat through the outage would back off for up to ~30 s: a fresh one
      // (its group join takes ~3 s, while the agent waits out its retry backoff).
      await consume('after-outage');
      // The spooled batches go out, then the ones flushed since.
      await expect
        .poll(() => metric('corral_kafka_records_sent_total'), { timeout: 30_000 })
        .toBeGreaterThan(sentBeforeOutage + spooled.at(-1)!);
    } finally {
      clearInterval(sender);
    }

    // Every line reached the agent (a shortfall here is UDP loss, not the sink's doing); then
    // everything sent arrives once the last flush is out, and the spool is empty again.
    await expect.poll(() => metric('corral_statsd_lines_received_total'), { timeout: 5000 }).toBe(lines);
    await expect
      .poll(
        async () => ({
          totals: Object.fromEntries([...sent.keys()].map((name) => [name, consumer!.total(name)])),
          spoolRecords: await metric('corral_spool_records'),
          unreceived: (await metric('corral_kafka_records_sent_total')) - consumer!.received.length,
        }),
        { timeout: 20_000 },
      )
      .toEqual({ totals: Object.fromEntries(sent), spoolRecords: 0, unreceived: 0 });
    const received = consumer!.received;
    expect(await metric('corral_kafka_records_sent_total')).toBe(received.length);
    expect(await metric('corral_kafka_send_failures_total')).toBeGreaterThan(0);

    // Exactly once: every batch the agent wrote (one run, sequences 0..n-1), none twice.
    const batchIds = received.map((r) => r.batchId);
    expect(new Set(batchIds).size).toBe(batchIds.length);
    expect(new Set(batchIds.map((id) => id.slice(0, id.lastIndexOf('-')))).size).toBe(1);
    expect(batchIds.map(sequenceOf).toSorted((a, b) => a - b)).toEqual(batchIds.map((_, i) => i));
    expectInWriteOrder(received);
  });

  it('damaged spool frames are skipped and counted, and every other record replayed', {
    timeout: 90_000,
  }, async () => {
    // 2 MiB of spool: 512 KiB segments (a quarter of it).
    const spoolArgs = ['--kafka-spool-max-bytes', '2MiB'];
    await broker.down(-1);
    agent = await startKafkaAgent(200, spoolArgs);
    let base = await httpBase(agent);
    const metric = async (sample: string) => (await selfMetrics(base)).get(sample) ?? Number.NaN;
    statsd = statsdClient(agent.udpPort);
    // 400 gauges with long names: every flush sends them all again (a gauge repeats until idle),
    // some 60 KB of Avro a batch, so the spool soon spans several segments.
    for (let i = 0; i < 400; i++) statsd.gauge(`faults.spooled.${'x'.repeat(100)}.${i}`, i);
    // Past two segments and into a third, well short of full (which would drop the oldest).
    await expect.poll(() => metric('corral_spool_bytes'), { timeout: 20_000 }).toBeGreaterThan(1.1 * MiB);
    expect(await metric('corral_kafka_send_failures_total')).toBeGreaterThan(0);
    // SIGTERM: a clean stop closes the spool and keeps what Kafka has not acknowledged.
    expect(await agent.stop()).toBe(0);
    agent = undefined;

    const segments = readSpool(spoolDir);
    expect(segments.length).toBeGreaterThanOrEqual(3);
    const first = segments[0]!;
    const second = segments[1]!;
    expect(second.frames.length).toBeGreaterThanOrEqual(3);
    // The last frame of the first segment and a frame in the middle of the second: exactly those
    // two records are lost. The frames after the damaged one in the second segment are salvaged.
    const lastOfFirst = first.frames.at(-1)!;
    const middleOfSecond = second.frames[Math.floor(second.frames.length / 2)]!;
    damage(first.path, lastOfFirst);
    damage(second.path, middleOfSecond);
    const lost = new Set([lastOfFirst.batchId, middleOfSecond.batchId]);
    const expected = segments.flatMap((s) => s.frames.map((f) => f.batchId)).filter((id) => !lost.has(id));
    expect(expected).toHaveLength(segments.reduce((sum, s) => sum + s.frames.length, 0) - 2);

    await broker.up(-1);
    await consume('after-corruption');
    agent = await startKafkaAgent(200, spoolArgs);
    base = await httpBase(agent);
    const opened = agent.logs.find((l) => l.msg === 'Kafka sink');
    expect(opened?.spooled).toBe(expected.length);
    // Found at open, each damaged frame (its header intact) counts one record, and its bytes exactly.
    expect(await metric('corral_spool_dropped_records_total{reason="corrupt"}')).toBe(2);
    expect(await metric('corral_spool_dropped_bytes_total{reason="corrupt"}')).toBe(
      lastOfFirst.bytes + middleOfSecond.bytes,
    );
    expect(await metric('corral_spool_dropped_records_total{reason="full"}')).toBe(0);
    expect(await metric('corral_spool_dropped_bytes_total{reason="full"}')).toBe(0);

    await expect
      .poll(
        async () => ({
          messages: consumer!.received.length,
          spoolRecords: await metric('corral_spool_records'),
          sent: await metric('corral_kafka_records_sent_total'),
        }),
        { timeout: 30_000 },
      )
      .toEqual({ messages: expected.length, spoolRecords: 0, sent: expected.length });
    // Every other spooled batch exactly once, in the order written; none of the lost ones.
    expect(consumer!.received.map((r) => r.batchId)).toEqual(expected);
    expectInWriteOrder(consumer!.received);
  });
});
