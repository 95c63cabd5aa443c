/**
 * npm run build && node dist/bench/kafka/produce.js
 *
 * End-to-end produce throughput of one agent's Kafka sink to the test broker (librdkafka's
 * mock cluster, test/helpers/kafka-broker/, compiled on first use: needs cc and
 * librdkafka-dev). The sink is the real one, wired by startKafkaSink() from the default
 * configuration (spool in a temporary directory with fsync 'interval', AvroRecordEncoder,
 * the transactional AgentProducer with acks=-1); only the brokers, the spool directory and the
 * compression are set. Realistic flush batches (many containers of 50-500 datapoints each, with
 * dimensions and tags, plus the node's own datapoints) go through sink.write() as the agent
 * calls it, back to back for BENCH_SECONDS, holding back only while the spool has more than
 * MAX_PENDING_RECORDS unacknowledged records (so the spool stays in the page cache); then
 * sink.flushed() waits for Kafka's last acknowledgment.
 *
 * Prints one JSON document, per compression:
 *   datapointsPerSecond   datapoints acknowledged by Kafka / wall time from the first write to
 *                         the last acknowledgment (encoding and spooling included)
 *   cpuSeconds            this process (user + system, all threads: zlib's pool, GC) and the
 *                         mock broker, over the same span; the two share the machine's cores,
 *                         and otherCpuSeconds is what other processes took of them meanwhile
 *   wireBytesPerDatapoint bytes the producer's sockets wrote, requests and framing included
 *   verification          the partitions' end offsets add up to exactly the messages the sink
 *                         wrote (no loss, no duplicate), and a kafkajs consumer (fresh group,
 *                         read_uncommitted, from the beginning) reads every message the mock
 *                         still holds (it keeps a few MB per partition), each key's batches in
 *                         write order
 * Target: >= 200,000 datapoints/s produced from one agent (lz4, the default compression).
 *
 *   BENCH_SECONDS       measured seconds per compression (default 10), after a 2 s warm-up
 *   BENCH_COMPRESSION   comma-separated kafka.compression values (default lz4,gzip,none)
 *   BENCH_PARTITIONS    partitions of the metrics topic (default 12)
 *   BENCH_BROKERS       brokers in the mock cluster (default 1)
 *   BENCH_CPU_PROFILE   a directory: writes a V8 CPU profile of each measured run there
 *                       (produce-<compression>.cpuprofile, for Chrome DevTools or speedscope)
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import net from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Registry } from 'prom-client';
import { startKafkaSink } from '../../agent/sinks/kafka/start-kafka-sink.js';
import { defaultConfig } from '../../lib/config/schema.js';
import type { KafkaCompression } from '../../lib/kafka/compression.js';
import { createLogger } from '../../lib/log/logger.js';
import { RateLimitedLog } from '../../lib/log/rate-limited.js';
import type { Datapoint } from '../../lib/model/datapoint.js';
import type { Dimensions } from '../../lib/model/dimensions.js';
import { metricBatchFromRecord } from '../../lib/wire/datapoint-codec.js';
import { SINGLE_OBJECT_HEADER_LENGTH, singleObjectCodec } from '../../lib/wire/single-object.js';
import { type KafkaBroker, startKafkaBroker } from '../../test/helpers/kafka-broker/index.js';
import { mockBrokerCpuSeconds } from '../shared/process-usage.js';
import { realisticDatapoints } from '../shared/realistic-datapoints.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = 2;
const COMPRESSIONS = (process.env.BENCH_COMPRESSION ?? 'lz4,gzip,none').split(',') as KafkaCompression[];
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 12);
const BROKERS = Number(process.env.BENCH_BROKERS ?? 1);
const TARGET_DATAPOINTS_PER_SECOND = 200_000;

/** Containers on the node: each flush carries one batch per container, plus the node's. */
const CONTAINERS = 100;
const NODE_DATAPOINTS = 60;
/** Unacknowledged records beyond which the writer waits (~45 MB of Avro). */
const MAX_PENDING_RECORDS = 1000;
const TOPIC_PREFIX = 'corral.';
const HOSTNAME = 'node-017.eu-west-1.internal';
const TIME_MS = 1_732_300_000_000;

/** Deterministic, so every run writes the same batches. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` datapoints of one container (or of the node: no dimensions), built the agent's way. */
function datapoints(count: number, containerId: string | undefined, dimensions?: Readonly<Dimensions>) {
  return realisticDatapoints({ count, timeMs: TIME_MS, containerId, dimensions });
}

/** One flush of the node: CONTAINERS containers of 50-500 datapoints, then the node's own. */
function flushBatch(): Datapoint[] {
  const random = prng(17);
  const batch: Datapoint[] = [];
  for (let c = 0; c < CONTAINERS; c++) {
    const containerId = `${c.toString(16).padStart(4, '0')}c0ffee`.padEnd(64, '0');
    const app = `app-${c % 37}`;
    const dimensions: Readonly<Dimensions> = Object.freeze({
      cluster_id: 'prod-eu-1',
      agent_id: '6a1b4c6e-92d1-4b7f-a1cf-3f1f1d6c0e55-S12',
      hostname: HOSTNAME,
      framework_id: '6a1b4c6e-92d1-4b7f-a1cf-3f1f1d6c0e55-0001',
      framework_name: 'marathon',
      framework_role: 'services',
      executor_id: `${app}.instance-${c}3f1c9e2a`,
      task_id: `${app}.instance-${c}3f1c9e2a._app.1`,
      task_name: app,
      container_id: containerId,
      labels: Object.freeze({ team: `team-${c % 7}`, tier: 'backend', version: '2.14.1' }),
    });
    batch.push(...datapoints(50 + Math.floor(random() * 451), containerId, dimensions));
  }
  batch.push(...datapoints(NODE_DATAPOINTS, undefined));
  return batch;
}

const PROFILE_DIR = process.env.BENCH_CPU_PROFILE;

/** Profiles `run` with V8's sampling profiler into PROFILE_DIR/<name>.cpuprofile when asked. */
async function profiled<T>(name: string, run: () => Promise<T>): Promise<T> {
  if (PROFILE_DIR === undefined) return run();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await run();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(PROFILE_DIR, { recursive: true });
    writeFileSync(join(PROFILE_DIR, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

/** Sockets the producer opens (kafkajs connects with net.connect), to count bytes on the wire. */
const sockets: net.Socket[] = [];
let trackSockets = false;
const connect = net.connect;
(net as { connect: typeof net.connect }).connect = ((...args: Parameters<typeof net.connect>) => {
  const socket = connect.apply(net, args);
  if (trackSockets) sockets.push(socket);
  return socket;
}) as typeof net.connect;
const bytesWritten = () => sockets.reduce((sum, s) => sum + s.bytesWritten, 0);

/** CPU seconds the whole machine spent busy (all processes, steal included), from /proc/stat. */
function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: everything but idle and iowait.
  return fields.slice(0, 8).reduce((sum, ticks, i) => (i === 3 || i === 4 ? sum : sum + ticks), 0) / 100;
}

/** Reads a MetricBatch's batch_id: after the header, agent_id, hostname (strings), sent_ms (long). */
function batchIdOf(value: Buffer): string {
  let at = SINGLE_OBJECT_HEADER_LENGTH;
  const long = (): number => {
    let n = 0;
    let shift = 1;
    let byte: number;
    do {
      byte = value[at++]!;
      n += (byte & 0x7f) * shift;
      shift *= 128;
    } while (byte & 0x80);
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  };
  const string = (): string => {
    const length = long();
    at += length;
    return value.toString('utf8', at - length, at);
  };
  string();
  string();
  long();
  return string();
}

interface Verification {
  /** Sum of the partitions' end offsets: every message the broker appended, ever. */
  endOffsetsSum: number;
  /**
   * Messages still in the log: the mock keeps a few MB per partition and drops the oldest
   * message sets beyond it (rd_kafka_mock_msgset_new), so without compression only the tail stays.
   */
  retainedMessages: number;
  /** Read by the consumer: all retained ones. */
  consumedMessages: number;
  inKeyOrder: boolean;
  sampleDecoded: boolean;
}

/** End offsets, then the whole retained topic with a fresh group: count, per-key order, one decode. */
async function verify(broker: KafkaBroker, topic: string): Promise<Verification> {
  const kafka = new Kafka({
    clientId: 'corral-bench-verify',
    brokers: broker.bootstrap,
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const endOffsetsSum = offsets.reduce((sum, o) => sum + Number(o.high), 0);
  const retainedMessages = offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);

  const consumer = kafka.consumer({
    groupId: `bench-${process.pid}-${Date.now()}`,
    readUncommitted: true,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const lastSequence = new Map<string, number>();
  let consumed = 0;
  let inKeyOrder = true;
  let sampleDecoded = false;
  const decoder = singleObjectCodec('MetricBatch').decoder;
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const value = message.value!;
          if (!sampleDecoded) {
            sampleDecoded = metricBatchFromRecord(decoder.decode(value)).datapoints.length > 0;
          }
          const batchId = batchIdOf(value);
          const sequence = Number(batchId.slice(batchId.lastIndexOf('-') + 1));
          const key = message.key?.toString() ?? '';
          if ((lastSequence.get(key) ?? -1) >= sequence) inKeyOrder = false;
          lastSequence.set(key, sequence);
          consumed++;
        }
        if (consumed >= retainedMessages) resolve();
      },
    });
  });
  // Then a moment more: anything beyond the retained count would be a duplicate.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    done.then(() => sleep(500)),
    new Promise((resolve) => {
      timer = setTimeout(resolve, 60_000);
    }),
  ]);
  clearTimeout(timer);
  await consumer.disconnect();
  return { endOffsetsSum, retainedMessages, consumedMessages: consumed, inKeyOrder, sampleDecoded };
}

async function scenario(compression: KafkaCompression, batch: readonly Datapoint[]) {
  const broker = await startKafkaBroker({ brokers: BROKERS });
  const spoolDir = mkdtempSync(join(tmpdir(), 'corral-bench-produce-'));
  try {
    const topic = `${TOPIC_PREFIX}metrics`;
    await broker.createTopic(topic, PARTITIONS, 1);
    await broker.createTopic(`${TOPIC_PREFIX}events`, 1, 1);
    const config = defaultConfig();
    config.kafka.brokers = broker.bootstrap;
    config.kafka.topicPrefix = TOPIC_PREFIX;
    config.kafka.spoolDir = spoolDir;
    config.kafka.compression = compression;
    const logger = createLogger({ level: 'warn', format: 'json' });
    trackSockets = true;
    const sink = await startKafkaSink(config, new Registry(), logger, new RateLimitedLog(logger));
    const recordsPerWrite = CONTAINERS + 1;
    let records = 0;

    /** Writes flushes back to back for `seconds`, then waits for Kafka to acknowledge all. */
    const run = async (seconds: number) => {
      let writes = 0;
      const start = performance.now();
      const end = start + seconds * 1000;
      while (performance.now() < end) {
        if (records - sink.stats.sent > MAX_PENDING_RECORDS) {
          await sleep(2);
          continue;
        }
        await sink.write(batch);
        records += recordsPerWrite;
        writes++;
      }
      const writeSeconds = (performance.now() - start) / 1000;
      if (!(await sink.flushed(120_000))) throw new Error('Kafka did not acknowledge everything in 120 s');
      return { writes, writeSeconds, seconds: (performance.now() - start) / 1000 };
    };

    await run(WARMUP_SECONDS);
    const sentBefore = sink.stats.sent;
    const failuresBefore = sink.stats.sendFailures;
    const wireBefore = bytesWritten();
    const brokerCpuBefore = mockBrokerCpuSeconds();
    const machineBefore = machineBusySeconds();
    const cpuBefore = process.cpuUsage();
    const measured = await profiled(`produce-${compression}`, () => run(SECONDS));
    const cpu = process.cpuUsage(cpuBefore);
    const brokerCpu = mockBrokerCpuSeconds() - brokerCpuBefore;
    const machineBusy = machineBusySeconds() - machineBefore;
    const wire = bytesWritten() - wireBefore;
    const acknowledged = sink.stats.sent - sentBefore;
    const datapoints = measured.writes * batch.length;
    if (acknowledged !== measured.writes * recordsPerWrite) {
      throw new Error(`acknowledged ${acknowledged} records, wrote ${measured.writes * recordsPerWrite}`);
    }
    await sink.close();
    trackSockets = false;
    sockets.length = 0;

    const verification = await verify(broker, topic);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return {
      compression,
      seconds: round(measured.seconds),
      writeSeconds: round(measured.writeSeconds),
      datapoints,
      messages: acknowledged,
      datapointsPerSecond: Math.round(datapoints / measured.seconds),
      cpuSeconds: round(cpuSeconds),
      datapointsPerCpuSecond: Math.round(datapoints / cpuSeconds),
      brokerCpuSeconds: round(brokerCpu),
      /** Everything else the machine ran meanwhile (other processes): the bench shares its cores. */
      otherCpuSeconds: round(Math.max(0, machineBusy - cpuSeconds - brokerCpu)),
      wireBytesPerDatapoint: round(wire / datapoints, 1),
      sendFailures: sink.stats.sendFailures - failuresBefore,
      verification: {
        ...verification,
        expectedMessages: records,
        ok:
          verification.endOffsetsSum === records &&
          verification.consumedMessages === verification.retainedMessages &&
          verification.inKeyOrder &&
          verification.sampleDecoded,
      },
      met: datapoints / measured.seconds >= TARGET_DATAPOINTS_PER_SECOND,
    };
  } finally {
    await broker.stop();
    rmSync(spoolDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const batch = flushBatch();
  const results = [];
  for (const compression of COMPRESSIONS) results.push(await scenario(compression, batch));
  const gzip = results.find((r) => r.compression === 'gzip') ?? results[0]!;
  process.stdout.write(
    `${JSON.stringify(
      {
        node: process.version,
        cpu: cpus()[0]?.model,
        cores: cpus().length,
        broker: `librdkafka mock cluster, ${BROKERS} broker(s), same machine`,
        partitions: PARTITIONS,
        containersPerFlush: CONTAINERS,
        datapointsPerFlush: batch.length,
        measuredSeconds: SECONDS,
        targetDatapointsPerSecond: TARGET_DATAPOINTS_PER_SECOND,
        met: gzip.met && results.every((r) => r.verification.ok),
        results,
      },
      null,
      2,
    )}\n`,
  );
}

await main();
