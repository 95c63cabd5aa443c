/** What the pipeline counts, read by the /metrics collectors (collector/metrics.ts) and tests. */
import type { TopicKind } from '../sources/kafka/topics.js';

/**
 * Why a chunk was written: its partition went quiet (batchIdle), it was due (batchInterval),
 * it reached batchRows, it was a backlog's chunk at its age cap, the buffer needed room, a
 * resumed range was complete, or the consumer was stopping.
 */
export type ChunkWriteReason = 'idle' | 'due' | 'rows' | 'behind' | 'buffer' | 'resumed' | 'stopping';

export class PipelineStats {
  /** Messages consumed, by topic kind. */
  readonly consumed: Record<TopicKind, number> = { metrics: 0, events: 0, metadata: 0 };
  /** Datapoints of the chunks inserted (re-inserts ClickHouse dropped included). */
  datapointsStored = 0;
  /** Rows sent per table (re-inserts ClickHouse dropped included). */
  readonly rowsInserted = new Map<string, number>();
  /** Insert attempts (intents, rows) that failed. */
  insertFailures = 0;
  /** Metric batches dropped because the same batch was stored lately (an agent's re-send). */
  duplicatesDropped = 0;
  /** Chunks written, by why (one insert per table each). */
  readonly chunkWrites: Record<ChunkWriteReason, number> = {
    idle: 0,
    due: 0,
    rows: 0,
    behind: 0,
    buffer: 0,
    resumed: 0,
    stopping: 0,
  };
  /** Offset commits that succeeded. */
  commits = 0;
  /** Consumer restarts after crashes kafkajs would not restart from (collector/sources/kafka/consumer.ts). */
  consumerRestarts = 0;
  /** Partition (`topic/partition`) -> the offset last committed for it. */
  readonly committed = new Map<string, { topic: string; partition: number; offset: bigint }>();
  /** Chunks resumed from insert_intents (a range a previous owner may have inserted). */
  resumedRanges = 0;
  /** Partition -> messages behind the high watermark, as of its last batch. */
  readonly lag = new Map<string, { topic: string; partition: number; lag: number }>();
  /** Rows held in memory, waiting to be inserted. */
  bufferedRows = 0;
  /** The most rows held at once. */
  maxBufferedRows = 0;
}
