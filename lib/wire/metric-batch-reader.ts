/**
 * Reads MetricBatch datums straight into the model (Datapoint[]), without building records:
 * the mirror of metric-batch-writer.ts.
 *
 * avsc's generic reader followed by metricBatchFromRecord manages about 0.4 million
 * datapoints/s, and the collector decodes every metrics message. This reader walks the schema
 * field by field and builds the model objects directly.
 *
 * It returns what `metricBatchFromRecord` returns for avsc's record, and fails where the avsc
 * path (decodeDatum with bounded-types.ts) fails, with the same WireError reason:
 * - a bad union or enum index, or a long beyond avsc's safe range: invalid_datum;
 * - bytes after the datum: invalid_datum;
 * - the datum ending past the message, or a block count above the bytes left: truncated.
 * avsc reads past the end as zeros and only then reports it; zeros never make an invalid
 * index, so stopping at the first read past the end gives the same reason. The exception is
 * a varint cut short whose partial value is already invalid: avsc refuses that value first,
 * and so does this reader. test/wire/metric-batch-reader.test.ts holds it to the avsc path for
 * random batches, every truncation and corrupted bytes.
 *
 * It is written for one schema: the collector uses it only when READ_FOR is the current
 * MetricBatch schema and the message was written with it. A new MetricBatch version means
 * updating the reads below and READ_FOR (the test fails until then).
 */
import type { Datapoint, MetricKind, SketchSnapshot, TimerSummary } from '../model/datapoint.js';
import { DIMENSION_KEYS, type Dimensions } from '../model/dimensions.js';
import { PercentileRecords } from '../model/percentile-record.js';
import { setEntry } from '../model/set-entry.js';
import type { MetricBatch } from './datapoint-codec.js';
import { WireError } from './errors.js';

/** CRC-64-AVRO of the MetricBatch canonical form this reader decodes (schemas/avro/v1). */
export const READ_FOR = 0xc4c9c43b3a99ff81n;

/** MetricKind's symbols in schema order: the enum index is the position. */
const KINDS: readonly MetricKind[] = ['counter', 'gauge', 'timer', 'set'];

/** avsc refuses a long beyond this magnitude ("potential precision loss", its isSafeLong). */
const MAX_LONG = 9_007_199_254_740_990;

/**
 * Short ASCII strings decoded lately, each beside its bytes, in slots picked by a hash of the
 * length and a few bytes. Names, units, tag keys and values and container ids repeat within a
 * batch and from one interval to the next, and comparing bytes with a slot's costs less than
 * decoding a new string: 1.4 to 2 times the datapoints/s of decoding every string, depending
 * on how many repeat. Only ASCII is kept, so bytes equal to a slot's decode to its string; a
 * slot's bytes and string change together.
 */
const CACHED_LENGTH = 64; // a container id
const CACHE_SLOTS = 4096;
const cachedStrings: string[] = new Array<string>(CACHE_SLOTS).fill('');
const cachedBytes = new Uint8Array(CACHE_SLOTS * CACHED_LENGTH);
const cachedView = new DataView(cachedBytes.buffer);

/** Timer percentiles: the makers of their records, and one map's entries as they are read. */
const percentileRecords = new PercentileRecords();
const percentileKeys: string[] = [];
const percentileValues: number[] = [];

/**
 * Decodes the MetricBatch datum that fills `bytes` from `offset` to the end. Throws WireError
 * for anything that is not one.
 */
export function readMetricBatch(
  bytes: Uint8Array,
  offset: number,
): MetricBatch & { datapoints: Datapoint[] } {
  return new DatumReader(bytes, offset).metricBatch();
}

class DatumReader {
  private readonly bytes: Buffer;
  private readonly view: DataView;
  private readonly end: number;

  constructor(
    bytes: Uint8Array,
    private pos: number,
  ) {
    this.bytes = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.end = bytes.length;
  }

  metricBatch(): MetricBatch & { datapoints: Datapoint[] } {
    const agentId = this.string();
    const hostname = this.string();
    const sentMs = this.long('sent_ms');
    const batchId = this.string();
    const dimensions = this.branch('dimensions') ? this.dimensions() : undefined;
    const datapoints: Datapoint[] = [];
    for (let count = this.blockCount(); count !== 0; count = this.blockCount()) {
      for (let i = 0; i < count; i++) datapoints.push(this.datapoint(dimensions));
    }
    if (this.pos !== this.end) {
      throw new WireError('invalid_datum', `MetricBatch: ${this.end - this.pos} bytes after the datum`);
    }
    // Key order and absent optionals as metricBatchFromRecord builds them.
    const batch: MetricBatch & { datapoints: Datapoint[] } = {
      agentId,
      hostname,
      sentMs,
      batchId,
      datapoints,
    };
    if (dimensions !== undefined) batch.dimensions = dimensions;
    return batch;
  }

  /** Frozen, with frozen labels, and shared by every datapoint: as dimensionsFromRecord. */
  private dimensions(): Readonly<Dimensions> {
    const dimensions: Dimensions = {};
    // DIMENSION_KEYS is the schema's field order.
    for (const key of DIMENSION_KEYS) if (this.branch(key)) dimensions[key] = this.string();
    if (this.branch('labels')) dimensions.labels = Object.freeze(this.stringMap());
    return Object.freeze(dimensions);
  }

  /** Object literals evaluate in source order, which is the schema's field order. */
  private datapoint(dimensions: Readonly<Dimensions> | undefined): Datapoint {
    const point: Datapoint = {
      name: this.string(),
      kind: this.kind(),
      value: this.double(),
      unit: this.string(),
      timeMs: this.long('time_ms'),
      tags: this.stringMap(),
    };
    if (this.branch('container_id')) point.containerId = this.string();
    else if (dimensions?.container_id !== undefined) point.containerId = dimensions.container_id;
    if (this.branch('rate')) point.rate = this.double();
    if (this.branch('timer')) point.timer = this.timer();
    if (dimensions !== undefined) point.dimensions = dimensions;
    return point;
  }

  private timer(): TimerSummary {
    const timer: TimerSummary = {
      count: this.double(),
      sum: this.double(),
      min: this.double(),
      max: this.double(),
      mean: this.double(),
      stddev: this.double(),
      percentiles: this.percentiles(),
      approximate: this.boolean(),
    };
    if (this.branch('sketch')) timer.sketch = this.sketch();
    return timer;
  }

  private sketch(): SketchSnapshot {
    return {
      relativeAccuracy: this.double(),
      positiveOffset: this.int(),
      positiveBins: this.doubleArray(),
      negativeOffset: this.int(),
      negativeBins: this.doubleArray(),
      zeroCount: this.double(),
    };
  }

  private stringMap(): Record<string, string> {
    const map: Record<string, string> = {};
    for (let count = this.blockCount(); count !== 0; count = this.blockCount()) {
      for (let i = 0; i < count; i++) {
        const key = this.string();
        setEntry(map, key, this.string());
      }
    }
    return map;
  }

  /** A double map, built as percentile-record.ts builds it (compactly, for index-like keys). */
  private percentiles(): Record<string, number> {
    const keys = percentileKeys;
    const values = percentileValues;
    keys.length = 0;
    values.length = 0;
    for (let count = this.blockCount(); count !== 0; count = this.blockCount()) {
      for (let i = 0; i < count; i++) {
        keys.push(this.string());
        values.push(this.double());
      }
    }
    return percentileRecords.make(keys, values);
  }

  private doubleArray(): number[] {
    const values: number[] = [];
    for (let count = this.blockCount(); count !== 0; count = this.blockCount()) {
      for (let i = 0; i < count; i++) values.push(this.double());
    }
    return values;
  }

  /**
   * The next block's item count, refused above the bytes left as bounded-types.ts does: every
   * item takes at least one byte, so a larger count is garbage, and refusing it keeps the work
   * linear in the message size. A negative count is followed by the block's byte size.
   */
  private blockCount(): number {
    let count = this.varint();
    if (count < 0) {
      count = -count;
      const bytes = this.bytes;
      while (bytes[this.pos++]! & 0x80) {}
    }
    // Also catches a count read past the end: bytes left is negative then.
    if (count > this.end - this.pos) {
      throw new WireError(
        'truncated',
        `MetricBatch: a block of ${count} items with ${this.end - this.pos} bytes left`,
      );
    }
    return count;
  }

  /** The null branch (false) or the other one (true) of a ["null", T] union. */
  private branch(field: string): boolean {
    const index = this.varint();
    if (index !== 0 && index !== 1) {
      throw new WireError('invalid_datum', `MetricBatch: invalid union index ${index} of ${field}`);
    }
    if (this.pos > this.end) throw this.truncated();
    return index === 1;
  }

  private kind(): MetricKind {
    const index = this.varint();
    const kind = KINDS[index];
    if (kind === undefined)
      throw new WireError('invalid_datum', `MetricBatch: invalid MetricKind index ${index}`);
    if (this.pos > this.end) throw this.truncated();
    return kind;
  }

  private long(field: string): number {
    const value = this.varint();
    if (!(value >= -MAX_LONG && value <= MAX_LONG)) {
      throw new WireError('invalid_datum', `MetricBatch: ${field} ${value} loses precision as a number`);
    }
    if (this.pos > this.end) throw this.truncated();
    return value;
  }

  /** avsc reads an int as a long, without range checks. */
  private int(): number {
    const value = this.varint();
    if (this.pos > this.end) throw this.truncated();
    return value;
  }

  private boolean(): boolean {
    if (this.pos >= this.end) throw this.truncated();
    // avsc reads any byte but 0 as true.
    return this.bytes[this.pos++] !== 0;
  }

  private double(): number {
    const pos = this.pos;
    if (pos + 8 > this.end) throw this.truncated();
    this.pos = pos + 8;
    return this.view.getFloat64(pos, true);
  }

  private string(): string {
    const length = this.varint();
    const start = this.pos;
    // A negative length makes avsc give up on the message (Tap._invalidate): truncated too.
    if (length < 0 || length > this.end - start) throw this.truncated();
    this.pos = start + length;
    return length <= CACHED_LENGTH
      ? this.shortString(start, length)
      : this.bytes.toString('utf8', start, start + length);
  }

  /** A string of at most CACHED_LENGTH bytes, from the cache when it holds these bytes. */
  private shortString(start: number, length: number): string {
    const bytes = this.bytes;
    const end = start + length;
    // The last bytes tell apart names like "http.requests.17" and "http.requests.18".
    let hash = length;
    for (let i = Math.max(start, end - 3); i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193);
    if (length > 3) hash = Math.imul(hash ^ bytes[start]!, 0x01000193);
    const slot = (hash ^ (hash >>> 16)) & (CACHE_SLOTS - 1);
    const at = slot * CACHED_LENGTH;
    const cached = cachedStrings[slot]!;
    if (cached.length === length) {
      const view = this.view;
      let i = 0;
      while (i + 4 <= length && view.getInt32(start + i, true) === cachedView.getInt32(at + i, true)) i += 4;
      while (i < length && bytes[start + i] === cachedBytes[at + i]) i++;
      if (i === length) return cached;
    }
    let ascii = 0;
    for (let i = 0; i < length; i++) {
      const byte = bytes[start + i]!;
      ascii |= byte;
      cachedBytes[at + i] = byte;
    }
    if (ascii < 0x80) {
      const decoded = bytes.toString('latin1', start, end);
      cachedStrings[slot] = decoded;
      return decoded;
    }
    // The slot's bytes are overwritten: empty it (the empty string matches only zero bytes).
    cachedStrings[slot] = '';
    return bytes.toString('utf8', start, end);
  }

  /**
   * A zig-zag varint, computed exactly as avsc's Tap.readLong does (integer arithmetic for 28
   * bits, then floating point), so both give the same number for every input, even beyond
   * 2^53 where neither is exact. Bytes past the end read as 0, as in avsc: callers check
   * `pos > end` once they have judged the value.
   */
  private varint(): number {
    const bytes = this.bytes;
    let pos = this.pos;
    let b: number;
    let n = 0;
    let shift = 0;
    do {
      b = bytes[pos++]!;
      n |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && shift < 28);
    if (b & 0x80) {
      let f = n;
      let scale = 0x10000000;
      do {
        b = bytes[pos++]!;
        f += (b & 0x7f) * scale;
        scale *= 128;
      } while (b & 0x80);
      this.pos = pos;
      return (f % 2 ? -(f + 1) : f) / 2;
    }
    this.pos = pos;
    return (n >> 1) ^ -(n & 1);
  }

  private truncated(): WireError {
    return new WireError('truncated', `MetricBatch: the datum ends past the message (${this.end} bytes)`);
  }
}
