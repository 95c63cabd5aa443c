-- Each container's dimensions as last reported (the compacted metadata topic): read with
-- FINAL (or argMax by version) for one row per container.
CREATE TABLE IF NOT EXISTS ${database}.${table container_metadata} ${on_cluster}
(
  container_id String,
  cluster_id LowCardinality(String),
  agent_id LowCardinality(String),
  hostname LowCardinality(String),
  framework_id LowCardinality(String),
  framework_name LowCardinality(String),
  framework_role LowCardinality(String),
  executor_id LowCardinality(String),
  task_id String,
  task_name LowCardinality(String),
  labels Map(LowCardinality(String), String) CODEC(ZSTD(1)),
  updated DateTime64(3),
  -- The provider stopped listing the container.
  removed UInt8,
  -- Written for a Kafka tombstone: no dimensions, only the fact of removal.
  tombstone UInt8,
  -- A tombstone follows the removal update it belongs to with the same time; it must not
  -- replace that update's dimensions, so it ranks just below an update of the same time.
  version UInt64 MATERIALIZED toUnixTimestamp64Milli(updated) * 2 + (1 - tombstone)
)
ENGINE = ${engine ReplacingMergeTree(version)}
ORDER BY container_id
SETTINGS ${dedup_window};

${distributed container_metadata cityHash64(container_id)};
