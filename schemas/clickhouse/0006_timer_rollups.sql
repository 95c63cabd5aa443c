-- Timer summaries rolled up per minute and per hour: counts, sums and extremes add up, the
-- sketch bins add up (sumMap), so percentiles over any window come from these rows too.
-- sum_squares keeps the standard deviation mergeable:
--   sqrt(sum(sum_squares) / sum(count) - pow(sum(sum) / sum(count), 2)).
-- Like the datapoint rollups (0005): each view turns every summary into one rollup row, the
-- background merges add up the rows of a key, and reads GROUP BY (sumMap for the bins).
CREATE TABLE IF NOT EXISTS ${database}.${table timer_summaries_1m} ${on_cluster}
(
  time DateTime CODEC(DoubleDelta, LZ4),
  name LowCardinality(String),
  framework_name LowCardinality(String),
  task_name LowCardinality(String),
  series UInt64,
  unit SimpleAggregateFunction(any, LowCardinality(String)),
  tags SimpleAggregateFunction(any, Map(String, String)),
  cluster_id SimpleAggregateFunction(any, LowCardinality(String)),
  agent_id SimpleAggregateFunction(any, LowCardinality(String)),
  hostname SimpleAggregateFunction(any, LowCardinality(String)),
  framework_id SimpleAggregateFunction(any, LowCardinality(String)),
  framework_role SimpleAggregateFunction(any, LowCardinality(String)),
  executor_id SimpleAggregateFunction(any, LowCardinality(String)),
  task_id SimpleAggregateFunction(any, LowCardinality(String)),
  container_id SimpleAggregateFunction(any, LowCardinality(String)),
  -- In the series: bins of sketches of different accuracies are never added.
  sketch_accuracy SimpleAggregateFunction(any, Float64),
  -- Summaries rolled up, and how many of them had their sketch built from percentiles.
  summaries SimpleAggregateFunction(sum, UInt64),
  sketches_from_percentiles SimpleAggregateFunction(sum, UInt64),
  count SimpleAggregateFunction(sum, Float64),
  sum SimpleAggregateFunction(sum, Float64),
  min SimpleAggregateFunction(min, Float64),
  max SimpleAggregateFunction(max, Float64),
  sum_squares SimpleAggregateFunction(sum, Float64),
  sketch_positive SimpleAggregateFunction(sumMap, Map(Int32, Float64)),
  sketch_negative SimpleAggregateFunction(sumMap, Map(Int32, Float64)),
  sketch_zero SimpleAggregateFunction(sum, Float64)
)
ENGINE = ${engine AggregatingMergeTree()}
PARTITION BY toMonday(time)
ORDER BY (name, framework_name, task_name, time, series)
TTL ${ttl rollups_1m}
SETTINGS ${dedup_window}, ttl_only_drop_parts = 1;

${distributed timer_summaries_1m cityHash64(container_id, hostname)};

CREATE TABLE IF NOT EXISTS ${database}.${table timer_summaries_1h} ${on_cluster}
AS ${database}.${table timer_summaries_1m}
ENGINE = ${engine AggregatingMergeTree()}
PARTITION BY toYYYYMM(time)
ORDER BY (name, framework_name, task_name, time, series)
TTL ${ttl rollups_1h}
SETTINGS ${dedup_window}, ttl_only_drop_parts = 1;

${distributed timer_summaries_1h cityHash64(container_id, hostname)};

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.timer_summaries_1m_mv ${on_cluster}
TO ${database}.${table timer_summaries_1m}
AS SELECT
  toStartOfMinute(src.time) AS time,
  src.name AS name, src.framework_name AS framework_name, src.task_name AS task_name,
  src.series AS series,
  src.unit AS unit, CAST(src.tags, 'Map(String, String)') AS tags,
  src.cluster_id AS cluster_id, src.agent_id AS agent_id, src.hostname AS hostname,
  src.framework_id AS framework_id, src.framework_role AS framework_role,
  src.executor_id AS executor_id, src.task_id AS task_id, src.container_id AS container_id,
  src.sketch_accuracy AS sketch_accuracy,
  toUInt64(1) AS summaries,
  toUInt64(src.sketch_source = 'percentiles') AS sketches_from_percentiles,
  src.count AS count,
  src.sum AS sum,
  src.min AS min,
  src.max AS max,
  if(src.count > 0, src.count * (src.stddev * src.stddev + pow(src.sum / src.count, 2)), 0) AS sum_squares,
  src.sketch_positive AS sketch_positive,
  src.sketch_negative AS sketch_negative,
  src.sketch_zero AS sketch_zero
FROM ${database}.${table timer_summaries} AS src;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.timer_summaries_1h_mv ${on_cluster}
TO ${database}.${table timer_summaries_1h}
AS SELECT
  toStartOfHour(src.time) AS time,
  src.name AS name, src.framework_name AS framework_name, src.task_name AS task_name,
  src.series AS series,
  src.unit AS unit, CAST(src.tags, 'Map(String, String)') AS tags,
  src.cluster_id AS cluster_id, src.agent_id AS agent_id, src.hostname AS hostname,
  src.framework_id AS framework_id, src.framework_role AS framework_role,
  src.executor_id AS executor_id, src.task_id AS task_id, src.container_id AS container_id,
  src.sketch_accuracy AS sketch_accuracy,
  toUInt64(1) AS summaries,
  toUInt64(src.sketch_source = 'percentiles') AS sketches_from_percentiles,
  src.count AS count,
  src.sum AS sum,
  src.min AS min,
  src.max AS max,
  if(src.count > 0, src.count * (src.stddev * src.stddev + pow(src.sum / src.count, 2)), 0) AS sum_squares,
  src.sketch_positive AS sketch_positive,
  src.sketch_negative AS sketch_negative,
  src.sketch_zero AS sketch_zero
FROM ${database}.${table timer_summaries} AS src;
