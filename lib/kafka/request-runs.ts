/**
 * Produce requests of bounded size. kafkajs puts everything one request holds for a partition
 * into one record batch, and Kafka refuses a batch larger than the topic's max.message.bytes
 * (1 MB by default, after compression) even when every record is small (kafkajs#1227): the
 * request fails, and a sender that retries it fails forever. A request under that bound in all
 * has every partition's batch under it.
 */

/** Bytes a record adds to a request besides its key and value: Kafka's record framing, its timestamp. */
export const RECORD_OVERHEAD_BYTES = 32;

/** What a record with a Buffer key and value takes in a request. */
export function recordBytes(record: { key: Buffer | null; value: Buffer }): number {
  return record.value.length + (record.key?.length ?? 0) + RECORD_OVERHEAD_BYTES;
}

/**
 * Splits records, in order, into runs of at most maxBytes by sizeOf: one produce request each.
 * A record larger than maxBytes by itself goes alone.
 */
export function requestRuns<T>(
  records: readonly T[],
  maxBytes: number,
  sizeOf: (record: T) => number,
): T[][] {
  const runs: T[][] = [];
  let run: T[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = sizeOf(record);
    if (run.length > 0 && bytes + size > maxBytes) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(record);
    bytes += size;
  }
  if (run.length > 0) runs.push(run);
  return runs;
}
