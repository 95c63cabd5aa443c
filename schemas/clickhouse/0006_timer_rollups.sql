-- Timer summaries rolled up per minute and per hour: counts, sums and extremes add up, the
-- sketch bins add up (sumMap), so percentiles over any window come from these rows too.
-- sum_squares keeps the standard deviation mergeable:
--   sqrt(sum(sum_squares) / sum(count) - pow(sum(sum) / sum(count), 2)).
-- Grouped by (window, series) like the datapoint rollups (0005).
CREATE TABLE IF NOT EXISTS ${database}.${table timer_summaries_1m} ${on_cluster}
(
  time DateTime CODEC(DoubleDelta, LZ4),
  series UInt64,
  name LowCardinality(String),
  unit LowCardinality(String),
  tags Map(LowCardinality(String), String),
  cluster_id LowCardinality(String),
  agent_id LowCardinality(String),
  hostname LowCardinality(String),
  framework_id LowCardinality(String),
  framework_name LowCardinality(String),
  framework_role LowCardinality(String),
  executor_id LowCardinality(String),
  task_id LowCardinality(String),
  task_name LowCardinality(String),
  container_id LowCardinality(String),
  -- In the series: bins of sketches of different accuracies are never added.
  sketch_accuracy Float64,
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
PRIMARY KEY (name, framework_name, task_name, time)
ORDER BY (name, framework_name, task_name, time, series, container_id, unit, tags, sketch_accuracy,
  cluster_id, agent_id, hostname, framework_id, framework_role, executor_id, task_id)
TTL ${ttl rollups_1m}
SETTINGS ${dedup_window}, ttl_only_drop_parts = 1;

${distributed timer_summaries_1m cityHash64(container_id, hostname)};

CREATE TABLE IF NOT EXISTS ${database}.${table timer_summaries_1h} ${on_cluster}
AS ${database}.${table timer_summaries_1m}
ENGINE = ${engine AggregatingMergeTree()}
PARTITION BY toYYYYMM(time)
PRIMARY KEY (name, framework_name, task_name, time)
ORDER BY (name, framework_name, task_name, time, series, container_id, unit, tags, sketch_accuracy,
  cluster_id, agent_id, hostname, framework_id, framework_role, executor_id, task_id)
TTL ${ttl rollups_1h}
SETTINGS ${dedup_window}, ttl_only_drop_parts = 1;

${distributed timer_summaries_1h cityHash64(container_id, hostname)};

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.timer_summaries_1m_mv ${on_cluster}
TO ${database}.${table timer_summaries_1m}
AS SELECT
  toStartOfMinute(src.time) AS time,
  src.series AS series,
  any(src.name) AS name, any(src.unit) AS unit, any(src.tags) AS tags,
  any(src.cluster_id) AS cluster_id, any(src.agent_id) AS agent_id, any(src.hostname) AS hostname,
  any(src.framework_id) AS framework_id, any(src.framework_name) AS framework_name,
  any(src.framework_role) AS framework_role, any(src.executor_id) AS executor_id,
  any(src.task_id) AS task_id, any(src.task_name) AS task_name, any(src.container_id) AS container_id,
  any(src.sketch_accuracy) AS sketch_accuracy,
  count() AS summaries,
  countIf(src.sketch_source = 'percentiles') AS sketches_from_percentiles,
  sum(src.count) AS count,
  sum(src.sum) AS sum,
  min(src.min) AS min,
  max(src.max) AS max,
  sum(if(src.count > 0, src.count * (src.stddev * src.stddev + pow(src.sum / src.count, 2)), 0)) AS sum_squares,
  sumMap(src.sketch_positive) AS sketch_positive,
  sumMap(src.sketch_negative) AS sketch_negative,
  sum(src.sketch_zero) AS sketch_zero
FROM ${database}.${table timer_summaries} AS src
GROUP BY time, series;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.timer_summaries_1h_mv ${on_cluster}
TO ${database}.${table timer_summaries_1h}
AS SELECT
  toStartOfHour(src.time) AS time,
  src.series AS series,
  any(src.name) AS name, any(src.unit) AS unit, any(src.tags) AS tags,
  any(src.cluster_id) AS cluster_id, any(src.agent_id) AS agent_id, any(src.hostname) AS hostname,
  any(src.framework_id) AS framework_id, any(src.framework_name) AS framework_name,
  any(src.framework_role) AS framework_role, any(src.executor_id) AS executor_id,
  any(src.task_id) AS task_id, any(src.task_name) AS task_name, any(src.container_id) AS container_id,
  any(src.sketch_accuracy) AS sketch_accuracy,
  sum(src.summaries) AS summaries,
  sum(src.sketches_from_percentiles) AS sketches_from_percentiles,
  sum(src.count) AS count,
  sum(src.sum) AS sum,
  min(src.min) AS min,
  max(src.max) AS max,
  sum(src.sum_squares) AS sum_squares,
  sumMap(src.sketch_positive) AS sketch_positive,
  sumMap(src.sketch_negative) AS sketch_negative,
  sum(src.sketch_zero) AS sketch_zero
FROM ${database}.${table timer_summaries_1m} AS src
GROUP BY time, series;
