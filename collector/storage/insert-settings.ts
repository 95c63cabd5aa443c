/**
 * The settings every insert carries, the same for both engines: deduplicate by the caller's
 * token in the table and in every materialized view fed from it, synchronously (no async
 * insert buffering, whose acknowledgement would not mean the rows are stored). The views run
 * side by side, and the rollups' rows are left for background merges to combine instead of
 * being merged in each insert (queries group anyway): together a quarter less time per
 * insert of 100,000 datapoints (docs/benchmarks.md).
 */
import type { InsertOptions } from './storage.js';

export function insertSettings(options: InsertOptions, cluster = ''): Record<string, string | number> {
  const settings: Record<string, string | number> = {
    insert_deduplicate: 1,
    insert_deduplication_token: options.dedupToken,
    deduplicate_blocks_in_dependent_materialized_views: 1,
    async_insert: 0,
    parallel_view_processing: 1,
    optimize_on_insert: 0,
  };
  // Through a Distributed table: the insert returns once every shard has its rows.
  if (cluster !== '') settings.distributed_foreground_insert = 1;
  return settings;
}
