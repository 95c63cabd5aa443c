import type { SpoolPosition } from './types.js';

/** Bytes a segment's offsets may span: segments are far smaller (a record must fit in maxBytes). */
const SEGMENT_SPAN = 2n ** 40n;

/**
 * A position as one ever-growing number, for readers that treat the spool as a log with
 * offsets (corral start's in-process transport). Segment sequences only grow, also across
 * restarts (the cursor file remembers the last one), and a record keeps its byte offset in
 * its segment, so a record reopened after a restart has the same number. The exception is a
 * segment salvaged at open: records after its damage move.
 */
export function positionNumber(position: SpoolPosition): bigint {
  return BigInt(position.segment) * SEGMENT_SPAN + BigInt(position.offset);
}
