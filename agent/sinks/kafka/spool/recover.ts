/**
 * Rebuilds the spool's state from disk at open: which segments remain, how many records each
 * holds past the cursor, and where a crash or bit rot left a segment unreadable.
 */
import { open, stat, truncate } from 'node:fs/promises';
import type { Cursor } from './cursor.js';
import { type FrameItem, readFrames } from './frame-reader.js';
import type { Segment } from './segment.js';
import { listSegments, segmentPath, unlinkIfPresent } from './segment-files.js';

export interface CorruptTail {
  sequence: number;
  offset: number;
  bytes: number;
  reason: Extract<FrameItem, { kind: 'corrupt' }>['reason'];
}

export interface RecoveredState {
  /** Oldest first, each with at least one unacknowledged record. */
  segments: Segment[];
  /** Higher than any sequence on disk or in the cursor, so a new segment is never mistaken for an acknowledged one. */
  nextSequence: number;
  /** Tails cut off because they could not be read; the records there are lost. */
  corrupt: CorruptTail[];
}

interface ScanResult {
  records: number;
  corrupt: Extract<FrameItem, { kind: 'corrupt' }> | undefined;
}

async function scanSegment(path: string, from: number, size: number): Promise<ScanResult> {
  const handle = await open(path, 'r');
  try {
    let records = 0;
    for await (const item of readFrames(handle, from, size)) {
      if (item.kind === 'corrupt') return { records, corrupt: item };
      records++;
    }
    return { records, corrupt: undefined };
  } finally {
    await handle.close();
  }
}

/** `cursor` undefined replays every segment on disk (no cursor yet, or an unreadable one). */
export async function recoverSegments(dir: string, cursor: Cursor | undefined): Promise<RecoveredState> {
  const sequences = await listSegments(dir);
  const segments: Segment[] = [];
  const corrupt: CorruptTail[] = [];
  for (const sequence of sequences) {
    const path = segmentPath(dir, sequence);
    // Acknowledged already: the process stopped between writing the cursor and deleting these.
    if (cursor !== undefined && sequence < cursor.segment) {
      await unlinkIfPresent(path);
      continue;
    }
    const from = cursor !== undefined && sequence === cursor.segment ? cursor.offset : 0;
    let size = (await stat(path)).size;
    if (from < size) {
      const scan = await scanSegment(path, from, size);
      if (scan.corrupt !== undefined) {
        // Frames carry no resync marker, so nothing after a bad frame can be trusted; cutting it
        // off keeps the next open from counting the same loss again.
        corrupt.push({
          sequence,
          offset: scan.corrupt.offset,
          bytes: size - scan.corrupt.offset,
          reason: scan.corrupt.reason,
        });
        await truncate(path, scan.corrupt.offset);
        size = scan.corrupt.offset;
      }
      if (scan.records > 0) {
        segments.push({
          sequence,
          path,
          size,
          records: scan.records,
          ackedOffset: from,
          ackedRecords: 0,
          handle: undefined,
        });
        continue;
      }
    }
    // Empty, fully acknowledged, or nothing readable left.
    await unlinkIfPresent(path);
  }
  const highest = Math.max(-1, cursor?.segment ?? -1, ...sequences);
  return { segments, nextSequence: highest + 1, corrupt };
}
