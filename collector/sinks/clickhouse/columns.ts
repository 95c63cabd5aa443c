/**
 * The columns each table's rows are written with, in field order: the contract between the
 * rows builder and schemas/clickhouse (a test checks every list against the tables).
 */
import { DIMENSION_KEYS } from '../../../lib/model/dimensions.js';

/** The dimension columns and labels, last in every row that carries dimensions. */
export const DIMENSION_COLUMNS = [...DIMENSION_KEYS, 'labels'] as const;

export const DATAPOINT_COLUMNS = [
  'time',
  'name',
  'kind',
  'unit',
  'value',
  'rate',
  'tags',
  ...DIMENSION_COLUMNS,
] as const;

export const TIMER_SUMMARY_COLUMNS = [
  'time',
  'name',
  'unit',
  'count',
  'sum',
  'min',
  'max',
  'stddev',
  'percentiles',
  'approximate',
  'sketch_source',
  'sketch_accuracy',
  'sketch_positive',
  'sketch_negative',
  'sketch_zero',
  'tags',
  ...DIMENSION_COLUMNS,
] as const;

export const TASK_EVENT_COLUMNS = [
  'time',
  'state',
  'previous_state',
  'reason',
  'exit_code',
  ...DIMENSION_COLUMNS,
] as const;

/** The container first (the table's key), then the other dimensions. */
export const CONTAINER_METADATA_COLUMNS = [
  'container_id',
  ...DIMENSION_KEYS.filter((key) => key !== 'container_id'),
  'labels',
  'updated',
  'removed',
  'tombstone',
] as const;

export const INSERT_INTENT_COLUMNS = [
  'topic',
  'partition',
  'from_offset',
  'to_offset',
  'tables',
  'created',
] as const;
