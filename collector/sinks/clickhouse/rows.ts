/**
 * Turns consumed records into rows per table, ready to insert: counters, gauges and sets into
 * datapoints, timers into timer_summaries (their mean is sum / count there), task events into
 * task_events, metadata updates and tombstones into container_metadata. Rows go into column
 * builders and each table is written as one Native block per insert: the engine reads it
 * without parsing, and nothing is formatted as text per row. A datapoint that cannot be
 * stored (a value that is not finite, a time out of range) is skipped and counted by reason,
 * so the caller can count or dead-letter it; the rest of its batch goes on.
 */
import type { Datapoint, TimerSummary } from '../../../lib/model/datapoint.js';
import {
  DIMENSION_KEYS,
  type DimensionKey,
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
import { DimensionColumns } from './dimension-columns.js';
import { type NamedColumn, writeBlock } from './native/block.js';
import { ByteWriter } from './native/byte-writer.js';
import {
  BinsMapColumn,
  DateTime64Column,
  Float64Column,
  FloatMapColumn,
  Int32Column,
  LowCardinalityColumn,
  type NativeColumn,
  NullableColumn,
  StringColumn,
  StringMapColumn,
  UInt8Column,
} from './native/columns.js';
import { storedSketch } from './stored-sketch.js';

export const INVALID_REASONS = ['non_finite_value', 'time_out_of_range'] as const;
export type InvalidReason = (typeof INVALID_REASONS)[number];

export type TableName = 'datapoints' | 'timer_summaries' | 'task_events' | 'container_metadata';

/**
 * Times a row may have: from the epoch to 2100. The rollups keep minutes and hours as
 * DateTime (seconds in 32 bits, up to 2106), and nothing real is older than the epoch.
 */
const MAX_TIME_MS = Date.UTC(2100, 0, 1);

/** Ids, of which there are too many for a shared dictionary, are String in these tables. */
const ID_KEYS: ReadonlySet<DimensionKey> = new Set(['task_id', 'container_id']);

/**
 * One table's rows as columns: its own columns before the dimensions, the dimension columns,
 * and its own columns after them, in the order of the table's column names.
 */
class TableRows {
  rows = 0;
  /** Bytes of the last payload: the next one likely needs about as many. */
  private lastBytes = 64 * 1024;
  private readonly before: NamedColumn[];
  private readonly after: NamedColumn[];

  constructor(
    readonly table: TableName,
    readonly names: readonly string[],
    before: Readonly<Record<string, NativeColumn>>,
    readonly dimensions: DimensionColumns,
    after: Readonly<Record<string, NativeColumn>> = {},
  ) {
    this.before = named(before);
    this.after = named(after);
  }

  payload(): InsertPayload {
    const columns = [...this.before, ...this.dimensions.columns(), ...this.after];
    const names = columns.map((c) => c.name);
    if (names.join() !== this.names.join())
      throw new Error(`${this.table}: columns ${names.join()} out of order`);
    const out = new ByteWriter(Math.ceil(this.lastBytes * 1.1));
    writeBlock(out, columns, this.rows);
    this.lastBytes = out.length;
    return { table: this.table, format: 'Native', columns: this.names, data: out.bytes(), rows: this.rows };
  }

  reset(): void {
    this.rows = 0;
    for (const { column } of [...this.before, ...this.after]) column.reset();
    this.dimensions.reset();
  }
}

function named(columns: Readonly<Record<string, NativeColumn>>): NamedColumn[] {
  return Object.entries(columns).map(([name, column]) => ({ name, column }));
}

function datapointColumns() {
  return {
    time: new DateTime64Column(),
    name: new LowCardinalityColumn(),
    kind: new LowCardinalityColumn(),
    unit: new LowCardinalityColumn(),
    value: new Float64Column(),
    rate: new NullableColumn(new Float64Column()),
    tags: new StringMapColumn(new ByteWriter()),
  };
}

class DatapointRows extends TableRows {
  private readonly c: ReturnType<typeof datapointColumns>;

  constructor() {
    const c = datapointColumns();
    super('datapoints', DATAPOINT_COLUMNS, c, new DimensionColumns(DIMENSION_KEYS));
    this.c = c;
  }

  add(point: Datapoint, dimensions: Readonly<Dimensions> | undefined): void {
    const c = this.c;
    c.time.add(point.timeMs);
    c.name.add(point.name);
    c.kind.add(point.kind);
    c.unit.add(point.unit);
    c.value.add(point.value);
    c.rate.add(point.rate);
    c.tags.add(point.tags);
    this.dimensions.add(dimensions, point.containerId);
    this.rows++;
  }
}

function timerColumns() {
  return {
    time: new DateTime64Column(),
    name: new LowCardinalityColumn(),
    unit: new LowCardinalityColumn(),
    count: new Float64Column(),
    sum: new Float64Column(),
    min: new Float64Column(),
    max: new Float64Column(),
    stddev: new Float64Column(),
    percentiles: new FloatMapColumn(),
    approximate: new UInt8Column('Bool'),
    sketch_source: new LowCardinalityColumn(),
    sketch_accuracy: new Float64Column(),
    sketch_positive: new BinsMapColumn(),
    sketch_negative: new BinsMapColumn(),
    sketch_zero: new Float64Column(),
    tags: new StringMapColumn(new ByteWriter()),
  };
}

class TimerRows extends TableRows {
  private readonly c: ReturnType<typeof timerColumns>;

  constructor() {
    const c = timerColumns();
    super('timer_summaries', TIMER_SUMMARY_COLUMNS, c, new DimensionColumns(DIMENSION_KEYS));
    this.c = c;
  }

  /** Adds the timer's row; false (and nothing added) when a number of it is not finite. */
  add(point: Datapoint, timer: TimerSummary, dimensions: Readonly<Dimensions> | undefined): boolean {
    const sketch = storedSketch(timer);
    if (
      sketch === undefined ||
      !Number.isFinite(timer.count) ||
      !Number.isFinite(timer.sum) ||
      !Number.isFinite(timer.min) ||
      !Number.isFinite(timer.max) ||
      !Number.isFinite(timer.stddev) ||
      !finiteValues(timer.percentiles)
    )
      return false;
    const c = this.c;
    c.time.add(point.timeMs);
    c.name.add(point.name);
    c.unit.add(point.unit);
    c.count.add(timer.count);
    c.sum.add(timer.sum);
    c.min.add(timer.min);
    c.max.add(timer.max);
    c.stddev.add(timer.stddev);
    c.percentiles.add(timer.percentiles);
    c.approximate.add(timer.approximate);
    c.sketch_source.add(sketch.source);
    c.sketch_accuracy.add(sketch.accuracy);
    if (sketch.source === 'agent') {
      c.sketch_positive.addDense(sketch.positiveOffset, sketch.positive);
      c.sketch_negative.addDense(sketch.negativeOffset, sketch.negative);
    } else {
      c.sketch_positive.addSparse(sketch.positive);
      c.sketch_negative.addSparse(sketch.negative);
    }
    c.sketch_zero.add(sketch.zero);
    c.tags.add(point.tags);
    this.dimensions.add(dimensions, point.containerId);
    this.rows++;
    return true;
  }
}

function taskEventColumns() {
  return {
    time: new DateTime64Column(),
    state: new LowCardinalityColumn(),
    previous_state: new LowCardinalityColumn(),
    reason: new LowCardinalityColumn(),
    exit_code: new NullableColumn(new Int32Column()),
  };
}

class TaskEventRows extends TableRows {
  private readonly c: ReturnType<typeof taskEventColumns>;

  constructor() {
    const c = taskEventColumns();
    super('task_events', TASK_EVENT_COLUMNS, c, new DimensionColumns(DIMENSION_KEYS, ID_KEYS));
    this.c = c;
  }

  add(event: TaskEvent): void {
    const c = this.c;
    const exitCode = event.exitCode;
    // An exit code that is no Int32 says nothing usable; the event itself still counts.
    const exit = exitCode !== undefined && Number.isInteger(exitCode) && Math.abs(exitCode) < 2 ** 31;
    c.time.add(event.timeMs);
    c.state.add(event.state);
    c.previous_state.add(event.previousState);
    c.reason.add(event.reason ?? '');
    c.exit_code.add(exit ? exitCode : undefined);
    this.dimensions.add(event.dimensions);
    this.rows++;
  }
}

/** The dimensions but the container id (the table's key, first), then the labels. */
const METADATA_DIMENSION_KEYS = DIMENSION_KEYS.filter((key) => key !== 'container_id');

function metadataColumns() {
  return {
    updated: new DateTime64Column(),
    removed: new UInt8Column(),
    tombstone: new UInt8Column(),
  };
}

class MetadataRows extends TableRows {
  private readonly containerId: StringColumn;
  private readonly c: ReturnType<typeof metadataColumns>;

  constructor() {
    const containerId = new StringColumn(new ByteWriter(4096));
    const c = metadataColumns();
    super(
      'container_metadata',
      CONTAINER_METADATA_COLUMNS,
      { container_id: containerId },
      new DimensionColumns(METADATA_DIMENSION_KEYS, ID_KEYS),
      c,
    );
    this.containerId = containerId;
    this.c = c;
  }

  /** A tombstone has no dimensions and is removed. */
  add(
    containerId: string,
    dimensions: Readonly<Dimensions> | undefined,
    updatedMs: number,
    removed: boolean,
    tombstone: boolean,
  ): void {
    this.containerId.add(containerId);
    this.dimensions.add(dimensions);
    this.c.updated.add(updatedMs);
    this.c.removed.add(removed);
    this.c.tombstone.add(tombstone);
    this.rows++;
  }
}

export class RowsBuilder {
  private readonly datapoints = new DatapointRows();
  private readonly timers = new TimerRows();
  private readonly events = new TaskEventRows();
  private readonly metadata = new MetadataRows();
  private readonly tables: readonly TableRows[] = [this.datapoints, this.timers, this.events, this.metadata];
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
        if (this.validTime(record.event.timeMs)) this.events.add(record.event);
        return;
      case 'metadata': {
        const update: MetadataUpdate = record.update;
        if (this.validTime(update.updatedMs))
          this.metadata.add(update.containerId, update.dimensions, update.updatedMs, update.removed, false);
        return;
      }
      case 'metadata_tombstone':
        if (this.validTime(timeMs)) this.metadata.add(record.containerId, undefined, timeMs, true, true);
        return;
    }
  }

  /** Rows waiting, in all tables. */
  get rows(): number {
    return this.datapoints.rows + this.timers.rows + this.events.rows + this.metadata.rows;
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
    for (const reason of INVALID_REASONS) this.invalidCounts[reason] = 0;
  }

  private addDatapoint(point: Datapoint, batchDimensions: Readonly<Dimensions> | undefined): void {
    if (!this.validTime(point.timeMs)) return;
    const dimensions = point.dimensions ?? batchDimensions;
    if (point.kind === 'timer' && point.timer !== undefined) {
      if (!this.timers.add(point, point.timer, dimensions)) this.invalidCounts.non_finite_value++;
      return;
    }
    if (!Number.isFinite(point.value) || (point.rate !== undefined && !Number.isFinite(point.rate))) {
      this.invalidCounts.non_finite_value++;
      return;
    }
    this.datapoints.add(point, dimensions);
  }

  /** False, counted, for a time out of range. */
  private validTime(ms: number): boolean {
    if (ms >= 0 && ms < MAX_TIME_MS) return true;
    this.invalidCounts.time_out_of_range++;
    return false;
  }
}

function finiteValues(map: Readonly<Record<string, number>>): boolean {
  for (const key in map) if (!Number.isFinite(map[key])) return false;
  return true;
}
