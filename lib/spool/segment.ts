/** What the spool knows about one segment file. */
import type { FileHandle } from 'node:fs/promises';

export interface Segment {
  readonly sequence: number;
  readonly path: string;
  /** Bytes of whole frames in the file: the end replay reads to. */
  size: number;
  /** Frames counted since open; for the oldest segment of a restarted spool, from the cursor on. */
  records: number;
  /** Everything before this offset has been acknowledged. */
  ackedOffset: number;
  /** Of `records`, how many are acknowledged. */
  ackedRecords: number;
  /** Open lazily for reading; read/write for the segment being appended to. */
  handle: FileHandle | undefined;
}

export function pendingRecords(segment: Segment): number {
  return segment.records - segment.ackedRecords;
}

export function pendingBytes(segment: Segment): number {
  return segment.size - segment.ackedOffset;
}
