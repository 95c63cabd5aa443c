-- One row per task state transition, as the agents report them.
CREATE TABLE IF NOT EXISTS ${database}.${table task_events} ${on_cluster}
(
  time DateTime64(3) CODEC(DoubleDelta, ZSTD(1)),
  state LowCardinality(String),
  -- '' for a task first seen.
  previous_state LowCardinality(String),
  reason LowCardinality(String),
  exit_code Nullable(Int32),
  cluster_id LowCardinality(String),
  agent_id LowCardinality(String),
  hostname LowCardinality(String),
  framework_id LowCardinality(String),
  framework_name LowCardinality(String),
  framework_role LowCardinality(String),
  executor_id LowCardinality(String),
  task_id String,
  task_name LowCardinality(String),
  container_id String,
  labels Map(LowCardinality(String), String) CODEC(ZSTD(1))
)
ENGINE = ${engine MergeTree()}
PARTITION BY toYYYYMM(time)
ORDER BY (framework_name, task_name, time, task_id)
TTL ${ttl events}
SETTINGS ${dedup_window}, ttl_only_drop_parts = 1;

${distributed task_events cityHash64(task_id)};

-- How tasks ended: one row per terminal transition, for failure rates
-- (sum(failed) / count() per framework or task).
CREATE TABLE IF NOT EXISTS ${database}.${table task_terminations} ${on_cluster}
(
  time DateTime64(3) CODEC(DoubleDelta, ZSTD(1)),
  -- finished, failed, killed, lost or oom_killed.
  outcome LowCardinality(String),
  -- Every outcome but finished.
  failed UInt8,
  reason LowCardinality(String),
  exit_code Nullable(Int32),
  cluster_id LowCardinality(String),
  agent_id LowCardinality(String),
  hostname LowCardinality(String),
  framework_id LowCardinality(String),
  framework_name LowCardinality(String),
  framework_role LowCardinality(String),
  executor_id LowCardinality(String),
  task_id String,
  task_name LowCardinality(String),
  container_id String,
  labels Map(LowCardinality(String), String) CODEC(ZSTD(1))
)
ENGINE = ${engine MergeTree()}
PARTITION BY toYYYYMM(time)
ORDER BY (framework_name, task_name, time, task_id)
TTL ${ttl events}
SETTINGS ${dedup_window}, ttl_only_drop_parts = 1;

${distributed task_terminations cityHash64(task_id)};

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.task_terminations_mv ${on_cluster}
TO ${database}.${table task_terminations}
AS SELECT
  time,
  state AS outcome,
  toUInt8(state != 'finished') AS failed,
  reason,
  exit_code,
  cluster_id, agent_id, hostname, framework_id, framework_name, framework_role,
  executor_id, task_id, task_name, container_id, labels
FROM ${database}.${table task_events}
WHERE state IN ('finished', 'failed', 'killed', 'lost', 'oom_killed');
