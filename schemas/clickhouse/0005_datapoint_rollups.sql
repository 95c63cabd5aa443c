-- Datapoints rolled up per minute and per hour. Each view turns every inserted datapoint into
-- one rollup row as it is (count 1, sum = min = max = the value), and the tables' background
-- merges add up the rows of one key. No view aggregates: grouping 100,000 rows of mostly
-- distinct series (one flush holds each series once) costs more than inserting them, and
-- merges of sorted parts do the same work for a fraction (docs/storage.md, Throughput).
-- Until merged, a key has several rows, so read them with GROUP BY:
--   sum(count), sum(sum), min(min), max(max), max(last).2 (the value at the latest time),
--   sum(rate_sum), max(rate_max).
-- The key is (name, framework_name, task_name, window, series). The series hash covers the
-- other dimensions, kind, unit and tags, so they are the same on every row of a key: kept
-- with `any`, and left out of the sorting key, whose comparisons they would only slow down.
CREATE TABLE IF NOT EXISTS ${database}.${table datapoints_1m} ${on_cluster}
(
  time DateTime CODEC(DoubleDelta, LZ4),
  name LowCardinality(String),
  framework_name LowCardinality(String),
  task_name LowCardinality(String),
  series UInt64,
  kind SimpleAggregateFunction(any, LowCardinality(String)),
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
  count SimpleAggregateFunction(sum, UInt64),
  sum SimpleAggregateFunction(sum, Float64),
  min SimpleAggregateFunction(min, Float64),
  max SimpleAggregateFunction(max, Float64),
  -- (time, value) of the latest datapoint: the greatest tuple is the latest (a tie on time
  -- keeps the greater value). What a gauge was at the end of the window.
  last SimpleAggregateFunction(max, Tuple(DateTime64(3), Float64)),
  -- Counters: sum and peak of the per-interval rates (0 for other kinds).
  rate_sum SimpleAggregateFunction(sum, Float64),
  rate_max SimpleAggregateFunction(max, Float64)
)
ENGINE = ${engine AggregatingMergeTree()}
PARTITION BY toMonday(time)
ORDER BY (name, framework_name, task_name, time, series)
TTL ${ttl rollups_1m}
SETTINGS ${dedup_window}, ttl_only_drop_parts = 1;

${distributed datapoints_1m cityHash64(container_id, hostname)};

CREATE TABLE IF NOT EXISTS ${database}.${table datapoints_1h} ${on_cluster}
AS ${database}.${table datapoints_1m}
ENGINE = ${engine AggregatingMergeTree()}
PARTITION BY toYYYYMM(time)
ORDER BY (name, framework_name, task_name, time, series)
TTL ${ttl rollups_1h}
SETTINGS ${dedup_window}, ttl_only_drop_parts = 1;

${distributed datapoints_1h cityHash64(container_id, hostname)};

-- Both views read the inserted datapoints: neither waits on the other, and each raw row is
-- turned into a rollup row once per table.
CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.datapoints_1m_mv ${on_cluster}
TO ${database}.${table datapoints_1m}
AS SELECT
  toStartOfMinute(src.time) AS time,
  src.name AS name, src.framework_name AS framework_name, src.task_name AS task_name,
  src.series AS series,
  src.kind AS kind, src.unit AS unit, CAST(src.tags, 'Map(String, String)') AS tags,
  src.cluster_id AS cluster_id, src.agent_id AS agent_id, src.hostname AS hostname,
  src.framework_id AS framework_id, src.framework_role AS framework_role,
  src.executor_id AS executor_id, src.task_id AS task_id, src.container_id AS container_id,
  toUInt64(1) AS count,
  src.value AS sum,
  src.value AS min,
  src.value AS max,
  (src.time, src.value) AS last,
  ifNull(src.rate, 0) AS rate_sum,
  ifNull(src.rate, 0) AS rate_max
FROM ${database}.${table datapoints} AS src;

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.datapoints_1h_mv ${on_cluster}
TO ${database}.${table datapoints_1h}
AS SELECT
  toStartOfHour(src.time) AS time,
  src.name AS name, src.framework_name AS framework_name, src.task_name AS task_name,
  src.series AS series,
  src.kind AS kind, src.unit AS unit, CAST(src.tags, 'Map(String, String)') AS tags,
  src.cluster_id AS cluster_id, src.agent_id AS agent_id, src.hostname AS hostname,
  src.framework_id AS framework_id, src.framework_role AS framework_role,
  src.executor_id AS executor_id, src.task_id AS task_id, src.container_id AS container_id,
  toUInt64(1) AS count,
  src.value AS sum,
  src.value AS min,
  src.value AS max,
  (src.time, src.value) AS last,
  ifNull(src.rate, 0) AS rate_sum,
  ifNull(src.rate, 0) AS rate_max
FROM ${database}.${table datapoints} AS src;
