import { describe, expect, it } from 'vitest';
import { RECORD_OVERHEAD_BYTES, recordBytes, requestRuns } from '../../lib/kafka/request-runs.js';

/** A record whose key, value and framing take `size` bytes in a request. */
const record = (id: number, size: number) => ({
  id,
  key: Buffer.from('k'),
  value: Buffer.alloc(size - 1 - RECORD_OVERHEAD_BYTES),
});
const ids = (runs: { id: number }[][]) => runs.map((run) => run.map((r) => r.id));

describe('requestRuns: a send split into produce requests of at most maxBytes', () => {
  it('fills each request up to the bound, in order', () => {
    const records = Array.from({ length: 7 }, (_, i) => record(i, 300));
    expect(ids(requestRuns(records, 900, recordBytes))).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(ids(requestRuns(records, 899, recordBytes))).toEqual([[0, 1], [2, 3], [4, 5], [6]]);
  });

  it('counts tombstones (empty values) and null keys by their framing', () => {
    const tombstones = Array.from({ length: 5 }, (_, id) => ({ id, key: null, value: Buffer.alloc(0) }));
    expect(ids(requestRuns(tombstones, 2 * RECORD_OVERHEAD_BYTES, recordBytes))).toEqual([
      [0, 1],
      [2, 3],
      [4],
    ]);
  });

  it('sends a record larger than the bound alone, between the others', () => {
    const records = [record(0, 100), record(1, 5000), record(2, 100), record(3, 100)];
    expect(ids(requestRuns(records, 1000, recordBytes))).toEqual([[0], [1], [2, 3]]);
  });

  it('makes no request of nothing', () => {
    expect(requestRuns([], 1000, recordBytes)).toEqual([]);
  });
});
