-- One row per timer series and flush interval: the agent's summary and its DDSketch bins.
-- The bins merge by adding (sumMap), so a percentile over any window is computed from the
-- bins of the summaries in it (corral_sketch_quantile, 0008).
CREATE TABLE IF NOT EXISTS ${database}.${table timer_summaries} ${on_cluster}
(
  time DateTime64(3) CODEC(DoubleDelta, ZSTD(1)),
  name LowCardinality(String),
  unit LowCardinality(String),
  -- Sample-rate weighted, so not always a whole number.
  count Float64 CODEC(ZSTD(1)),
  sum Float64 CODEC(ZSTD(1)),
  min Float64 CODEC(ZSTD(1)),
  max Float64 CODEC(ZSTD(1)),
  stddev Float64 CODEC(ZSTD(1)),
  -- As configured on the agent: {'50': ..., '99.9': ...}.
  percentiles Map(LowCardinality(String), Float64) CODEC(ZSTD(1)),
  -- The agent's percentiles came from its sketch (the series outgrew its exact sample cap).
  approximate Bool,
  -- 'agent': the agent's own sketch; 'percentiles': built by the collector from the exact
  -- percentiles and max (each rank's value at or above the true one), see docs/storage.md.
  sketch_source LowCardinality(String),
  sketch_accuracy Float64,
  -- Bin index -> weight; bin i holds values in (gamma^(i-1), gamma^i], gamma = (1+a)/(1-a).
  sketch_positive Map(Int32, Float64) CODEC(ZSTD(1)),
  sketch_negative Map(Int32, Float64) CODEC(ZSTD(1)),
  sketch_zero Float64 CODEC(ZSTD(1)),
  tags Map(LowCardinality(String), String) CODEC(ZSTD(1)),
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
  labels Map(LowCardinality(String), String) CODEC(ZSTD(1)),
  -- One number per series (name, unit, tags, dimensions, accuracy): what the rollups group by.
  series UInt64 MATERIALIZED cityHash64(name, unit, tags, cluster_id, agent_id, hostname, framework_id, framework_name,
    framework_role, executor_id, task_id, task_name, container_id, sketch_accuracy) CODEC(ZSTD(1))
)
ENGINE = ${engine MergeTree()}
PARTITION BY toYYYYMMDD(time)
ORDER BY (name, framework_name, task_name, toStartOfHour(time), container_id, time)
TTL ${ttl datapoints}
SETTINGS ${dedup_window}, ttl_only_drop_parts = 1;

${distributed timer_summaries cityHash64(container_id, hostname)};
