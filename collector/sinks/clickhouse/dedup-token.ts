/**
 * The insert deduplication token of rows consumed from Kafka: the offset ranges they came
 * from. Inserting the same ranges again (a crash between insert and commit, replayed from
 * insert_intents) gives the same token, and ClickHouse drops the repeat, in the table and
 * in every view fed from it. One token per insert; a table's rows of one range split over
 * several inserts take a part number.
 */

export interface OffsetRange {
  topic: string;
  partition: number;
  /** First and last offset, inclusive (int64 as strings, as kafkajs gives them). */
  fromOffset: string;
  toOffset: string;
}

/** `topic/partition:from-to[,...]` sorted, then `#part` when given. */
export function dedupToken(ranges: readonly OffsetRange[], part?: number): string {
  if (ranges.length === 0) throw new Error('a deduplication token needs at least one offset range');
  const text = ranges
    .map((r) => `${r.topic}/${r.partition}:${r.fromOffset}-${r.toOffset}`)
    .sort()
    .join(',');
  return part === undefined ? text : `${text}#${part}`;
}
