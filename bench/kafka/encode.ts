/**
 * npm run build && node dist/bench/kafka/encode.js
 *
 * Avro single-object encoding of metric batches on one core: realistic batches of 500
 * datapoints of one container (counters with rates, gauges, sets, 20 timers with 4
 * percentiles, 3 tags each, shared dimensions with labels), then the same with approximate
 * timers carrying sketches. Prints JSON with datapoints/s (wall clock and per CPU-second)
 * and bytes per datapoint:
 *   encode   model → owned message Buffer, by MetricBatchWriter (what the agent runs)
 *   decode   message → records (avsc, with resolution) → model (what the collector runs for
 *            older versions and the Confluent format)
 *   decode_handwritten  message → model by readMetricBatch (what the collector runs for
 *            single-object messages of the current version)
 *   avsc     for comparison: avsc encoding from the model and from ready records, decoding to records
 * Target: >= 1,000,000 datapoints/s encoding.
 *   BENCH_SECONDS  seconds per measurement (default 2); each is repeated 5 times, median kept
 */
import { cpus } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import type { Dimensions } from '../../lib/model/dimensions.js';
import {
  type MetricBatch,
  metricBatchFromRecord,
  metricBatchToRecord,
} from '../../lib/wire/datapoint-codec.js';
import { readMetricBatch } from '../../lib/wire/metric-batch-reader.js';
import {
  SINGLE_OBJECT_HEADER_LENGTH,
  singleObjectCodec,
  singleObjectMetricBatchWriter,
} from '../../lib/wire/single-object.js';
import { realisticDatapoints } from '../shared/realistic-datapoints.js';

const DATAPOINTS_PER_BATCH = 500;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = 5;
const TARGET_ENCODE_PER_SECOND = 1_000_000;

const CONTAINER_ID = 'c0ffee'.padEnd(64, '0');

/** One container's datapoints for one interval; `withSketches` makes its timers approximate. */
function realisticBatch(withSketches: boolean): MetricBatch {
  const dimensions: Readonly<Dimensions> = Object.freeze({
    cluster_id: 'prod-eu-1',
    agent_id: '6a1b4c6e-92d1-4b7f-a1cf-3f1f1d6c0e55-S12',
    hostname: 'node-017.eu-west-1.internal',
    framework_id: '6a1b4c6e-92d1-4b7f-a1cf-3f1f1d6c0e55-0001',
    framework_name: 'marathon',
    framework_role: 'services',
    executor_id: 'checkout.instance-3f1c9e2a',
    task_id: 'checkout.instance-3f1c9e2a._app.1',
    task_name: 'checkout',
    container_id: CONTAINER_ID,
    labels: Object.freeze({ team: 'payments', tier: 'backend', version: '2.14.1' }),
  });
  const timeMs = 1_732_300_000_000;
  const datapoints = realisticDatapoints({
    count: DATAPOINTS_PER_BATCH,
    timeMs,
    containerId: CONTAINER_ID,
    dimensions,
    withSketches,
  });
  return {
    agentId: dimensions.agent_id!,
    hostname: dimensions.hostname!,
    sentMs: timeMs + 12,
    batchId: 'b-000001',
    dimensions,
    datapoints,
  };
}

interface Rate {
  /** Datapoints per second of wall-clock time: what a dedicated core gives. */
  per_s: number;
  /** Datapoints per CPU-second of this process (GC threads included): robust to a busy machine. */
  per_cpu_s: number;
}

/** Rates of `run` (which handles one batch): the median round of ROUNDS. */
function measure(run: () => void): Rate {
  const deadline = performance.now() + 300;
  while (performance.now() < deadline) run();
  const rounds: Rate[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let batches = 0;
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const end = start + SECONDS * 1000;
    let now = start;
    while (now < end) {
      for (let i = 0; i < 10; i++) run();
      batches += 10;
      now = performance.now();
    }
    const cpu = process.cpuUsage(cpuStart);
    const datapoints = batches * DATAPOINTS_PER_BATCH;
    rounds.push({
      per_s: Math.round(datapoints / ((now - start) / 1000)),
      per_cpu_s: Math.round(datapoints / ((cpu.user + cpu.system) / 1e6)),
    });
  }
  rounds.sort((a, b) => a.per_s - b.per_s);
  return rounds[Math.floor(ROUNDS / 2)]!;
}

/** Keeps results alive so the JIT cannot drop the work. */
let sink = 0;

function scenario(withSketches: boolean) {
  const { encoder, decoder } = singleObjectCodec('MetricBatch');
  const writer = singleObjectMetricBatchWriter();
  const batch = realisticBatch(withSketches);
  const record = metricBatchToRecord(batch);
  const bytes = writer.encode(batch);
  if (!bytes.equals(encoder.encode(record))) throw new Error('the writer and avsc disagree');
  const decoded = metricBatchFromRecord(decoder.decode(bytes));
  if (decoded.datapoints.length !== DATAPOINTS_PER_BATCH) throw new Error('round trip lost datapoints');
  if (!isDeepStrictEqual(readMetricBatch(bytes, SINGLE_OBJECT_HEADER_LENGTH), decoded))
    throw new Error('the hand-written reader and avsc disagree');
  return {
    timers: withSketches ? 'approximate, with a 120-bin sketch each' : 'exact',
    batch_bytes: bytes.length,
    bytes_per_datapoint: Number((bytes.length / DATAPOINTS_PER_BATCH).toFixed(1)),
    /** MetricBatchWriter: model → bytes. */
    encode: measure(() => {
      sink += writer.encode(batch).length;
    }),
    /** avsc → records → model. */
    decode: measure(() => {
      sink += metricBatchFromRecord(decoder.decode(bytes)).datapoints.length;
    }),
    /** readMetricBatch: bytes → model. */
    decode_handwritten: measure(() => {
      sink += readMetricBatch(bytes, SINGLE_OBJECT_HEADER_LENGTH).datapoints.length;
    }),
    avsc: {
      encode_from_model: measure(() => {
        sink += encoder.encode(metricBatchToRecord(batch)).length;
      }),
      encode_records: measure(() => {
        sink += encoder.encode(record).length;
      }),
      decode_records: measure(() => {
        sink += decoder.decode(bytes).datapoints.length;
      }),
    },
  };
}

const realistic = scenario(false);
const sketches = scenario(true);
process.stdout.write(
  `${JSON.stringify(
    {
      node: process.version,
      cpu: cpus()[0]?.model,
      encoding: 'Avro single-object (C3 01 + CRC-64-AVRO fingerprint + datum)',
      datapoints_per_batch: DATAPOINTS_PER_BATCH,
      target_encode_datapoints_per_s: TARGET_ENCODE_PER_SECOND,
      meets_target: realistic.encode.per_s >= TARGET_ENCODE_PER_SECOND,
      realistic,
      sketches,
      sink: sink > 0,
    },
    null,
    2,
  )}\n`,
);
