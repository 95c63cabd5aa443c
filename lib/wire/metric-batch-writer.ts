/**
 * Writes MetricBatch datums straight from the model (Datapoint[]), without building records.
 *
 * avsc's generic writer manages about 0.5-0.7 million datapoints/s, most of it spent sizing
 * strings (Buffer.byteLength per string) and walking maps; agents flush far more than that
 * at peak. This writer copies ASCII strings byte by byte (non-ASCII falls back to Buffer),
 * writes doubles through a DataView, and skips the record objects.
 *
 * It is written for one schema: the constructor refuses any other fingerprint, and
 * test/wire/metric-batch-writer.test.ts checks that its bytes equal avsc's for random batches.
 * A new MetricBatch version means updating `write*` below and WRITTEN_FOR.
 */
import type { Datapoint, MetricKind, SketchSnapshot, TimerSummary } from '../model/datapoint.js';
import type { Dimensions } from '../model/dimensions.js';
import { assertSameDimensions, type MetricBatch } from './datapoint-codec.js';
import type { WireSchema } from './schemas.js';

/** CRC-64-AVRO of the MetricBatch canonical form this writer encodes (schemas/avro/v1). */
export const WRITTEN_FOR = 0xc4c9c43b3a99ff81n;

const KIND_INDEX: Readonly<Record<MetricKind, number>> = { counter: 0, gauge: 1, timer: 2, set: 3 };

/** The longest zig-zag varint of a 64-bit long. Writes of known size `reserve` their bytes first. */
const MAX_VARINT = 10;

export class MetricBatchWriter {
  private bytes: Buffer;
  private view: DataView;
  private pos = 0;
  /**
   * What the previous datapoint wrote for its container id and tags, [start, end) of the
   * current message. A batch is one container's: its id repeats in every datapoint, and
   * datapoints may share one tags object, so copying those bytes beats re-encoding them.
   */
  private lastContainerId: string | undefined;
  private lastContainerStart = 0;
  private lastContainerEnd = 0;
  private lastTags: Readonly<Record<string, string>> | undefined;
  private lastTagsStart = 0;
  private lastTagsEnd = 0;

  /** `header` is written before each datum: the single-object or Confluent framing. */
  constructor(
    readonly schema: WireSchema,
    private readonly header: Uint8Array,
    initialSize = 256 * 1024,
  ) {
    if (schema.name !== 'MetricBatch' || schema.fingerprint !== WRITTEN_FOR) {
      throw new Error(
        `MetricBatchWriter encodes the MetricBatch schema with fingerprint ${WRITTEN_FOR.toString(16)}, ` +
          `not ${schema.name} ${schema.version} (${schema.fingerprint.toString(16)}): update lib/wire/metric-batch-writer.ts`,
      );
    }
    this.bytes = Buffer.allocUnsafe(initialSize);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  /**
   * The framed message. Throws, writing nothing, when a datapoint's dimensions differ from the
   * batch's, or a timestamp or kind is not representable.
   */
  encode(batch: MetricBatch): Buffer {
    this.pos = 0;
    this.lastContainerId = undefined;
    this.lastTags = undefined;
    this.reserve(this.header.length);
    this.bytes.set(this.header, 0);
    this.pos = this.header.length;
    this.string(batch.agentId);
    this.string(batch.hostname);
    this.reserve(MAX_VARINT);
    this.long(batch.sentMs, 'sentMs');
    this.string(batch.batchId);
    const dimensions = batch.dimensions;
    this.reserve(1);
    if (dimensions === undefined) this.bytes[this.pos++] = 0;
    else {
      this.bytes[this.pos++] = 2;
      this.dimensions(dimensions);
    }
    const points = batch.datapoints;
    this.reserve(MAX_VARINT + 1);
    if (points.length > 0) {
      this.long(points.length, 'datapoints');
      const batchContainer = dimensions?.container_id;
      for (let i = 0; i < points.length; i++) {
        const point = points[i]!;
        if (point.dimensions !== dimensions) assertSameDimensions(point, i, dimensions);
        this.datapoint(point, batchContainer);
      }
      this.reserve(1);
    }
    this.bytes[this.pos++] = 0;
    return Buffer.from(this.bytes.subarray(0, this.pos));
  }

  /** `batchContainer`: the batch's dimensions' container_id, which its datapoints need not repeat. */
  private datapoint(point: Datapoint, batchContainer: string | undefined): void {
    this.string(point.name);
    this.reserve(1 + 8);
    const kind = KIND_INDEX[point.kind];
    if (kind === undefined)
      throw new TypeError(`datapoint ${point.name}: unknown kind ${String(point.kind)}`);
    this.bytes[this.pos++] = kind << 1;
    this.double(point.value);
    this.string(point.unit);
    this.reserve(MAX_VARINT);
    this.long(point.timeMs, 'timeMs');
    const tags = point.tags;
    if (tags === this.lastTags) this.copyBack(this.lastTagsStart, this.lastTagsEnd);
    else {
      this.lastTagsStart = this.pos;
      this.stringMap(tags);
      this.lastTags = tags;
      this.lastTagsEnd = this.pos;
    }
    // Union branches of container_id, rate and timer, and rate's double.
    this.reserve(3 + 8);
    const containerId = point.containerId;
    if (containerId === undefined || containerId === batchContainer) this.bytes[this.pos++] = 0;
    else {
      this.bytes[this.pos++] = 2;
      if (containerId === this.lastContainerId) this.copyBack(this.lastContainerStart, this.lastContainerEnd);
      else {
        this.lastContainerStart = this.pos;
        this.string(containerId);
        this.lastContainerId = containerId;
        this.lastContainerEnd = this.pos;
      }
      this.reserve(2 + 8);
    }
    const rate = point.rate;
    if (rate === undefined) this.bytes[this.pos++] = 0;
    else {
      this.bytes[this.pos++] = 2;
      this.double(rate);
    }
    const timer = point.timer;
    if (timer === undefined) this.bytes[this.pos++] = 0;
    else {
      this.bytes[this.pos++] = 2;
      this.timer(timer);
    }
  }

  private timer(timer: TimerSummary): void {
    this.reserve(6 * 8);
    this.double(timer.count);
    this.double(timer.sum);
    this.double(timer.min);
    this.double(timer.max);
    this.double(timer.mean);
    this.double(timer.stddev);
    this.doubleMap(timer.percentiles);
    this.reserve(2);
    this.bytes[this.pos++] = timer.approximate ? 1 : 0;
    const sketch = timer.sketch;
    if (sketch === undefined) this.bytes[this.pos++] = 0;
    else {
      this.bytes[this.pos++] = 2;
      this.sketch(sketch);
    }
  }

  private sketch(sketch: SketchSnapshot): void {
    this.reserve(8 + MAX_VARINT);
    this.double(sketch.relativeAccuracy);
    this.int(sketch.positiveOffset, 'positiveOffset');
    this.doubleArray(sketch.positiveBins);
    this.reserve(MAX_VARINT);
    this.int(sketch.negativeOffset, 'negativeOffset');
    this.doubleArray(sketch.negativeBins);
    this.reserve(8);
    this.double(sketch.zeroCount);
  }

  private dimensions(dimensions: Readonly<Dimensions>): void {
    this.optionalString(dimensions.cluster_id);
    this.optionalString(dimensions.agent_id);
    this.optionalString(dimensions.hostname);
    this.optionalString(dimensions.framework_id);
    this.optionalString(dimensions.framework_name);
    this.optionalString(dimensions.framework_role);
    this.optionalString(dimensions.executor_id);
    this.optionalString(dimensions.task_id);
    this.optionalString(dimensions.task_name);
    this.optionalString(dimensions.container_id);
    this.reserve(1);
    const labels = dimensions.labels;
    if (labels === undefined) this.bytes[this.pos++] = 0;
    else {
      this.bytes[this.pos++] = 2;
      this.stringMap(labels);
    }
  }

  private optionalString(value: string | undefined): void {
    this.reserve(1);
    if (value === undefined) this.bytes[this.pos++] = 0;
    else {
      this.bytes[this.pos++] = 2;
      this.string(value);
    }
  }

  /** One block of all entries, then the end marker (what avsc writes). */
  private stringMap(map: Readonly<Record<string, string>>): void {
    const keys = Object.keys(map);
    this.reserve(MAX_VARINT + 1);
    if (keys.length > 0) {
      this.long(keys.length, 'map size');
      for (const key of keys) {
        this.string(key);
        this.string(map[key]!);
      }
      this.reserve(1);
    }
    this.bytes[this.pos++] = 0;
  }

  private doubleMap(map: Readonly<Record<string, number>>): void {
    const keys = Object.keys(map);
    this.reserve(MAX_VARINT + 1);
    if (keys.length > 0) {
      this.long(keys.length, 'map size');
      for (const key of keys) {
        this.string(key);
        this.reserve(8);
        this.double(map[key]!);
      }
      this.reserve(1);
    }
    this.bytes[this.pos++] = 0;
  }

  private doubleArray(values: readonly number[]): void {
    this.reserve(MAX_VARINT + 1 + values.length * 8);
    if (values.length > 0) {
      this.long(values.length, 'array size');
      for (const value of values) this.double(value);
    }
    this.bytes[this.pos++] = 0;
  }

  /** Needs `reserve(8)` first. */
  private double(value: number): void {
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  /** Zig-zag varint; needs `reserve(MAX_VARINT)` first. */
  private long(value: number, what: string): void {
    if (!Number.isSafeInteger(value)) throw new TypeError(`${what}: ${value} is not a safe integer`);
    const bytes = this.bytes;
    if (value >= -0x40000000 && value < 0x40000000) {
      let zigzag = ((value << 1) ^ (value >> 31)) >>> 0;
      while (zigzag > 0x7f) {
        bytes[this.pos++] = (zigzag & 0x7f) | 0x80;
        zigzag >>>= 7;
      }
      bytes[this.pos++] = zigzag;
      return;
    }
    if (value < -(2 ** 52)) {
      // -2v-1 is odd and above 2^53 here, which a double cannot hold.
      let zigzag = BigInt(value) * -2n - 1n;
      while (zigzag > 0x7fn) {
        bytes[this.pos++] = Number(zigzag & 0x7fn) | 0x80;
        zigzag >>= 7n;
      }
      bytes[this.pos++] = Number(zigzag);
      return;
    }
    // Timestamps land here. zigzag >= 2^31, so its low 28 bits take four continued groups;
    // splitting there keeps the rest in integer arithmetic (the split is exact below 2^54).
    const zigzag = value >= 0 ? value * 2 : -value * 2 - 1;
    let high = Math.floor(zigzag / 0x10000000);
    const low = zigzag - high * 0x10000000;
    bytes[this.pos++] = (low & 0x7f) | 0x80;
    bytes[this.pos++] = ((low >>> 7) & 0x7f) | 0x80;
    bytes[this.pos++] = ((low >>> 14) & 0x7f) | 0x80;
    bytes[this.pos++] = ((low >>> 21) & 0x7f) | 0x80;
    while (high > 0x7f) {
      bytes[this.pos++] = (high & 0x7f) | 0x80;
      high >>>= 7;
    }
    bytes[this.pos++] = high;
  }

  private int(value: number, what: string): void {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
      throw new TypeError(`${what}: ${value} is not a 32-bit integer`);
    }
    this.long(value, what);
  }

  private string(value: string): void {
    const length = value.length;
    // ASCII: byte length = string length, known before copying, so no Buffer.byteLength.
    if (length < 8192) {
      const lengthBytes = length < 64 ? 1 : 2;
      this.reserve(lengthBytes + length);
      const bytes = this.bytes;
      let at = this.pos + lengthBytes;
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code > 0x7f) break;
        bytes[at++] = code;
      }
      if (i === length) {
        if (lengthBytes === 1) bytes[this.pos] = length << 1;
        else {
          bytes[this.pos] = ((length << 1) & 0x7f) | 0x80;
          bytes[this.pos + 1] = length >>> 6;
        }
        this.pos = at;
        return;
      }
    }
    const byteLength = Buffer.byteLength(value, 'utf8');
    this.reserve(MAX_VARINT + byteLength);
    this.long(byteLength, 'string length');
    this.pos += this.bytes.write(value, this.pos, byteLength, 'utf8');
  }

  /** Appends a copy of bytes already written to this message. */
  private copyBack(start: number, end: number): void {
    this.reserve(end - start);
    this.bytes.copyWithin(this.pos, start, end);
    this.pos += end - start;
  }

  /** Makes room for `more` bytes past the cursor, keeping what was written. */
  private reserve(more: number): void {
    const needed = this.pos + more;
    if (needed <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.bytes.length * 2));
    this.bytes.copy(grown, 0, 0, this.pos);
    this.bytes = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }
}
