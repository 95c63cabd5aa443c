-- Raw counters, gauges and sets: one row per datapoint (timers go to timer_summaries).
-- Sorted so one metric of one framework's task is one contiguous range per hour, each
-- container's series in time order inside it (docs/storage.md explains the choices).
CREATE TABLE IF NOT EXISTS ${database}.${table datapoints} ${on_cluster}
(
  time DateTime64(3) CODEC(DoubleDelta, ZSTD(1)),
  name LowCardinality(String),
  kind LowCardinality(String),
  unit LowCardinality(String),
  value Float64 CODEC(Gorilla, ZSTD(1)),
  -- Counters only: the increase per second over the interval.
  rate Nullable(Float64) CODEC(Gorilla, ZSTD(1)),
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
  -- One number per series (name, kind, unit, tags, dimensions): what the rollups group by.
  series UInt64 MATERIALIZED cityHash64(name, kind, unit, tags, cluster_id, agent_id, hostname, framework_id, framework_name,
    framework_role, executor_id, task_id, task_name, container_id) CODEC(ZSTD(1))
)
ENGINE = ${engine MergeTree()}
PARTITION BY toYYYYMMDD(time)
ORDER BY (name, framework_name, task_name, toStartOfHour(time), container_id, time)
TTL ${ttl datapoints}
SETTINGS ${dedup_window}, ttl_only_drop_parts = 1;

${distributed datapoints cityHash64(container_id, hostname)};
