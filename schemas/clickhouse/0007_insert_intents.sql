-- Which offset ranges the collector inserted, written before the insert: after a crash
-- between insert and commit, the same ranges are inserted again with the same
-- deduplication tokens, so ClickHouse drops what it already has (docs/storage.md).
CREATE TABLE IF NOT EXISTS ${database}.${table insert_intents} ${on_cluster}
(
  topic LowCardinality(String),
  partition UInt32,
  from_offset Int64,
  to_offset Int64,
  -- The tables the range's rows go to.
  tables Array(LowCardinality(String)),
  created DateTime64(3)
)
ENGINE = ${engine ReplacingMergeTree(created)}
ORDER BY (topic, partition, from_offset)
TTL toDateTime(created) + INTERVAL 7 DAY
SETTINGS ${dedup_window};

${distributed insert_intents cityHash64(topic, partition)};
