-- Datapoints rolled up per minute and per hour, one row per series and window once merged.
-- Rows of one key are merged in the background, so read them with GROUP BY:
-- sum(count), sum(sum), min(min), max(max), argMaxMerge(last), sum(rate_sum).
-- The views group by (window, series) only, a number, and carry the series' columns with
-- any(): the series hash covers them all, so they are the same on every row of a group.
-- In the sorting key they come after the series, where comparisons almost never reach.
CREATE TABLE IF NOT EXISTS ${database}.${table datapoints_1m} ${on_cluster}
(
  time DateTime CODEC(DoubleDelta, LZ4),
  series UInt64,
  name LowCardinality(String),
  kind LowCardinality(String),
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
  count SimpleAggregateFunction(sum, UInt64),
  sum SimpleAggregateFunction(sum, Float64),
  min SimpleAggregateFunction(min, Float64),
  max SimpleAggregateFunction(max, Float64),
  -- The value with the latest time: what a gauge was at the end of the window.
  last AggregateFunction(argMax, Float64, DateTime64(3)),
  -- Counters: sum and peak of the per-interval rates (0 for other kinds).
  rate_sum SimpleAggregateFunction(sum, Float64),
  rate_max SimpleAggregateFunction(max, Float64)
)
ENGINE = ${engine AggregatingMergeTree()}
PARTITION BY toMonday(time)
PRIMARY KEY (name, framework_name, task_name, time)
ORDER BY (name, framework_name, task_name, time, series, container_id, kind, unit, tags,
  cluster_id, agent_id, hostname, framework_id, framework_role, executor_id, task_id)
TTL ${ttl rollups_1m}
SETTINGS ${dedup_window}, ttl_only_drop_parts = 1;

${distributed datapoints_1m cityHash64(container_id, hostname)};

CREATE TABLE IF NOT EXISTS ${database}.${table datapoints_1h} ${on_cluster}
AS ${database}.${table datapoints_1m}
ENGINE = ${engine AggregatingMergeTree()}
PARTITION BY toYYYYMM(time)
PRIMARY KEY (name, framework_name, task_name, time)
ORDER BY (name, framework_name, task_name, time, series, container_id, kind, unit, tags,
  cluster_id, agent_id, hostname, framework_id, framework_role, executor_id, task_id)
TTL ${ttl rollups_1h}
SETTINGS ${dedup_window}, ttl_only_drop_parts = 1;

${distributed datapoints_1h cityHash64(container_id, hostname)};

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.datapoints_1m_mv ${on_cluster}
TO ${database}.${table datapoints_1m}
AS SELECT
  toStartOfMinute(src.time) AS time,
  src.series AS series,
  any(src.name) AS name, any(src.kind) AS kind, any(src.unit) AS unit, any(src.tags) AS tags,
  any(src.cluster_id) AS cluster_id, any(src.agent_id) AS agent_id, any(src.hostname) AS hostname,
  any(src.framework_id) AS framework_id, any(src.framework_name) AS framework_name,
  any(src.framework_role) AS framework_role, any(src.executor_id) AS executor_id,
  any(src.task_id) AS task_id, any(src.task_name) AS task_name, any(src.container_id) AS container_id,
  count() AS count,
  sum(src.value) AS sum,
  min(src.value) AS min,
  max(src.value) AS max,
  argMaxState(src.value, src.time) AS last,
  sum(ifNull(src.rate, 0)) AS rate_sum,
  max(ifNull(src.rate, 0)) AS rate_max
FROM ${database}.${table datapoints} AS src
GROUP BY time, series;

-- Fed from the minute rollup, so each raw row is aggregated once.
CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.datapoints_1h_mv ${on_cluster}
TO ${database}.${table datapoints_1h}
AS SELECT
  toStartOfHour(src.time) AS time,
  src.series AS series,
  any(src.name) AS name, any(src.kind) AS kind, any(src.unit) AS unit, any(src.tags) AS tags,
  any(src.cluster_id) AS cluster_id, any(src.agent_id) AS agent_id, any(src.hostname) AS hostname,
  any(src.framework_id) AS framework_id, any(src.framework_name) AS framework_name,
  any(src.framework_role) AS framework_role, any(src.executor_id) AS executor_id,
  any(src.task_id) AS task_id, any(src.task_name) AS task_name, any(src.container_id) AS container_id,
  sum(src.count) AS count,
  sum(src.sum) AS sum,
  min(src.min) AS min,
  max(src.max) AS max,
  argMaxMergeState(src.last) AS last,
  sum(src.rate_sum) AS rate_sum,
  max(src.rate_max) AS rate_max
FROM ${database}.${table datapoints_1m} AS src
GROUP BY time, series;
