/**
 * Turns consumed records into TabSeparated rows per table, ready to insert: counters, gauges
 * and sets into datapoints, timers into timer_summaries (their mean is sum / count there),
 * task events into task_events, metadata updates and tombstones into container_metadata.
 * Rows are appended to one string per table and encoded once per insert. A datapoint that
 * cannot be stored (a value that is not finite, a time out of range) is skipped and counted
 * by reason, so the caller can count or dead-letter it; the rest of its batch goes on.
 */
import type { Datapoint } from '../../../lib/model/datapoint.js';
import {
  DIMENSION_KEYS,
  type Dimensions,
  type MetadataUpdate,
  type TaskEvent,
} from '../../../lib/model/dimensions.js';
import type { CollectorRecord } from '../../model.js';
import type { InsertPayload } from '../../storage/storage.js';
import {
  CONTAINER_METADATA_COLUMNS,
  DATAPOINT_COLUMNS,
  TASK_EVENT_COLUMNS,
  TIMER_SUMMARY_COLUMNS,
} from './columns.js';
import { DimensionFields } from './dimension-fields.js';
import { sketchFields } from './sketch-fields.js';
import { numberMap, stringMap, TSV_NULL, tsvString, tsvTime } from './tsv.js';

export const INVALID_REASONS = ['non_finite_value', 'time_out_of_range'] as const;
export type InvalidReason = (typeof INVALID_REASONS)[number];

export type TableName = 'datapoints' | 'timer_summaries' | 'task_events' | 'container_metadata';

/**
 * Times a row may have: from the epoch to 2100. The rollups keep minutes and hours as
 * DateTime (seconds in 32 bits, up to 2106), and nothing real is older than the epoch.
 */
const MAX_TIME_MS = Date.UTC(2100, 0, 1);

/**
 * The rows of one table, as TabSeparated text. Rows are appended to a short string that is
 * encoded every 64 KiB straight into the payload's buffer: one string of a whole batch would
 * be a rope of a hundred thousand pieces, which costs the garbage collector more than
 * building the rows, and chunks joined at the end would copy every byte once more. The
 * buffer is sized from the previous payload, and a new one is started after each payload
 * (the previous one may still be being inserted).
 */
class TableRows {
  private text = '';
  private buffer: Buffer | null = null;
  private used = 0;
  private capacity = CHUNK_CHARACTERS * 4;
  rows = 0;

  constructor(
    readonly table: TableName,
    readonly columns: readonly string[],
  ) {}

  append(row: string): void {
    this.text += row;
    this.rows++;
    if (this.text.length >= CHUNK_CHARACTERS) this.seal();
  }

  /** Characters of text held (about the bytes of the payload). */
  get size(): number {
    return this.used + this.text.length;
  }

  payload(): InsertPayload {
    this.seal();
    const data = this.buffer === null ? Buffer.alloc(0) : this.buffer.subarray(0, this.used);
    return { table: this.table, format: 'TabSeparated', columns: this.columns, data, rows: this.rows };
  }

  reset(): void {
    // The next batch is likely the size of this one.
    if (this.used > 0) this.capacity = Math.max(CHUNK_CHARACTERS * 4, Math.ceil(this.used * 1.1));
    this.text = '';
    this.buffer = null;
    this.used = 0;
    this.rows = 0;
  }

  private seal(): void {
    if (this.text === '') return;
    // Three bytes per UTF-16 unit at most.
    const needed = this.used + this.text.length * 3;
    if (this.buffer === null || needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.capacity, (this.buffer?.length ?? 0) * 2));
      this.buffer?.copy(grown, 0, 0, this.used);
      this.buffer = grown;
    }
    this.used += this.buffer.write(this.text, this.used, 'utf8');
    this.text = '';
  }
}

const CHUNK_CHARACTERS = 64 * 1024;

export class RowsBuilder {
  private readonly datapoints = new TableRows('datapoints', DATAPOINT_COLUMNS);
  private readonly timers = new TableRows('timer_summaries', TIMER_SUMMARY_COLUMNS);
  private readonly events = new TableRows('task_events', TASK_EVENT_COLUMNS);
  private readonly metadata = new TableRows('container_metadata', CONTAINER_METADATA_COLUMNS);
  private readonly tables = [this.datapoints, this.timers, this.events, this.metadata];
  private readonly dimensionFields = new DimensionFields();
  // A batch's datapoints share one time: format it once.
  private lastTimeMs = Number.NaN;
  private lastTime = '';
  private readonly invalidCounts: Record<InvalidReason, number> = {
    non_finite_value: 0,
    time_out_of_range: 0,
  };

  /**
   * Adds a record's rows. `timeMs` is the time of a tombstone's Kafka message (a tombstone
   * carries no time of its own; the agent stamps it with its removal update's time).
   */
  add(record: CollectorRecord, timeMs: number = Date.now()): void {
    switch (record.type) {
      case 'metrics':
        for (const point of record.datapoints) this.addDatapoint(point, record.dimensions);
        return;
      case 'task_event':
        this.addTaskEvent(record.event);
        return;
      case 'metadata':
        this.addMetadata(record.update);
        return;
      case 'metadata_tombstone':
        this.addTombstone(record.containerId, timeMs);
        return;
    }
  }

  /** Rows waiting, in all tables. */
  get rows(): number {
    return this.datapoints.rows + this.timers.rows + this.events.rows + this.metadata.rows;
  }

  /** Characters of row text waiting (about the bytes the payloads will take). */
  get size(): number {
    return this.datapoints.size + this.timers.size + this.events.size + this.metadata.size;
  }

  /** Rows skipped since the last reset, by reason. */
  get invalid(): Readonly<Record<InvalidReason, number>> {
    return this.invalidCounts;
  }

  rowsOf(table: TableName): number {
    return this.tables.find((t) => t.table === table)!.rows;
  }

  /** One payload per table with rows, in a fixed order. */
  payloads(): InsertPayload[] {
    return this.tables.filter((t) => t.rows > 0).map((t) => t.payload());
  }

  /** Forgets every row and count (after the payloads were inserted). */
  reset(): void {
    for (const table of this.tables) table.reset();
    this.dimensionFields.reset();
    for (const reason of INVALID_REASONS) this.invalidCounts[reason] = 0;
  }

  private addDatapoint(point: Datapoint, batchDimensions: Readonly<Dimensions> | undefined): void {
    if (!validTime(point.timeMs)) {
      this.invalidCounts.time_out_of_range++;
      return;
    }
    const dimensions = this.dimensionFields.fields(point.dimensions ?? batchDimensions, point.containerId);
    const timer = point.timer;
    if (point.kind === 'timer' && timer !== undefined) {
      const sketch = sketchFields(timer);
      if (
        sketch === undefined ||
        !Number.isFinite(timer.count) ||
        !Number.isFinite(timer.sum) ||
        !Number.isFinite(timer.min) ||
        !Number.isFinite(timer.max) ||
        !Number.isFinite(timer.stddev) ||
        !finiteValues(timer.percentiles)
      ) {
        this.invalidCounts.non_finite_value++;
        return;
      }
      this.timers.append(
        `${this.time(point.timeMs)}\t${tsvString(point.name)}\t${tsvString(point.unit)}\t${timer.count}\t${timer.sum}\t${timer.min}\t${timer.max}\t${timer.stddev}\t${numberMap(timer.percentiles)}\t${timer.approximate}\t${sketch}\t${stringMap(point.tags)}${dimensions}\n`,
      );
      return;
    }
    const rate = point.rate;
    if (!Number.isFinite(point.value) || (rate !== undefined && !Number.isFinite(rate))) {
      this.invalidCounts.non_finite_value++;
      return;
    }
    this.datapoints.append(
      `${this.time(point.timeMs)}\t${tsvString(point.name)}\t${point.kind}\t${tsvString(point.unit)}\t${point.value}\t${rate === undefined ? TSV_NULL : rate}\t${stringMap(point.tags)}${dimensions}\n`,
    );
  }

  private time(ms: number): string {
    if (ms !== this.lastTimeMs) {
      this.lastTimeMs = ms;
      this.lastTime = tsvTime(ms);
    }
    return this.lastTime;
  }

  private addTaskEvent(event: TaskEvent): void {
    if (!validTime(event.timeMs)) {
      this.invalidCounts.time_out_of_range++;
      return;
    }
    const exitCode = event.exitCode;
    // An exit code that is no Int32 says nothing usable; the event itself still counts.
    const exit = exitCode !== undefined && Number.isInteger(exitCode) && Math.abs(exitCode) < 2 ** 31;
    this.events.append(
      `${tsvTime(event.timeMs)}\t${event.state}\t${event.previousState}\t${tsvString(event.reason ?? '')}\t${exit ? exitCode : TSV_NULL}${this.dimensionFields.fields(event.dimensions)}\n`,
    );
  }

  private addMetadata(update: MetadataUpdate): void {
    if (!validTime(update.updatedMs)) {
      this.invalidCounts.time_out_of_range++;
      return;
    }
    this.metadata.append(
      `${tsvString(update.containerId)}${metadataDimensionFields(update.dimensions)}\t${tsvTime(update.updatedMs)}\t${update.removed ? 1 : 0}\t0\n`,
    );
  }

  private addTombstone(containerId: string, timeMs: number): void {
    if (!validTime(timeMs)) {
      this.invalidCounts.time_out_of_range++;
      return;
    }
    this.metadata.append(
      `${tsvString(containerId)}${metadataDimensionFields(undefined)}\t${tsvTime(timeMs)}\t1\t1\n`,
    );
  }
}

/** The dimensions but the container id (the table's key, first), then the labels. */
const METADATA_DIMENSION_KEYS = DIMENSION_KEYS.filter((key) => key !== 'container_id');

function metadataDimensionFields(dimensions: Readonly<Dimensions> | undefined): string {
  let out = '';
  for (const key of METADATA_DIMENSION_KEYS) out += `\t${tsvString(dimensions?.[key] ?? '')}`;
  return `${out}\t${stringMap(dimensions?.labels)}`;
}

function validTime(ms: number): boolean {
  return ms >= 0 && ms < MAX_TIME_MS;
}

function finiteValues(map: Readonly<Record<string, number>>): boolean {
  for (const key in map) if (!Number.isFinite(map[key])) return false;
  return true;
}
