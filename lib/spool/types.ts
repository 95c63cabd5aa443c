/** The spool's public shapes: what goes in, what comes back, what it counts. */

/** One Kafka message: the same shape the Kafka sink hands to its producer. */
export interface SpoolRecord {
  topic: string;
  /** Partition key; null for none (kept distinct from an empty key). */
  key: Buffer | null;
  /** The Avro-encoded batch, opaque to the spool. */
  value: Buffer;
  timeMs: number;
}

/**
 * Where an entry sits in the spool. Opaque to callers: pass it back to ack() in the same
 * process; it means nothing after a restart.
 */
export interface SpoolPosition {
  readonly segment: number;
  /** Byte offset of the frame in its segment file. */
  readonly offset: number;
  /** Byte offset just past the frame: the cursor after acknowledging it. */
  readonly end: number;
  /** Ordinal of the frame among the segment's records counted since open. */
  readonly index: number;
}

/** A spooled record as peek() returns it. key and value may share memory with other entries. */
export interface SpoolEntry extends SpoolRecord {
  readonly position: SpoolPosition;
}

export type FsyncPolicy = 'always' | 'interval' | 'never';
export type DropReason = 'full' | 'corrupt';

/** The subset of a pino logger the spool uses. */
export interface SpoolLogger {
  warn(fields: object, message: string): void;
}

export interface SpoolOptions {
  dir: string;
  /** Cap on the segment files' total size on disk. */
  maxBytes: number;
  /** A segment is rolled once the next record would take it past this size. */
  segmentBytes: number;
  fsync: FsyncPolicy;
  /** For fsync 'interval'; default 1000. */
  fsyncIntervalMs?: number;
  /** Records lost: 'full' when the oldest segment made room, 'corrupt' when unreadable. */
  onDrop?: (reason: DropReason, records: number, bytes: number) => void;
  /** Warnings that are not drops (a corrupt cursor file, a failed background fsync). */
  logger?: SpoolLogger;
}

export interface SpoolStats {
  /** Size of all segment files on disk, the number maxBytes caps (it includes acknowledged
   * records of a segment not yet deleted). */
  bytes: number;
  /** Records spooled and not yet acknowledged. */
  records: number;
  /** Bytes of those records, framing included. */
  pendingBytes: number;
  segments: number;
  /** Since open. */
  appended: number;
  /** Since open. */
  acked: number;
  /** Records dropped since open, by reason. */
  dropped: Record<DropReason, number>;
  /** Bytes dropped since open, by reason. */
  droppedBytes: Record<DropReason, number>;
  /** 1 when the cursor file was unreadable at open and replay started from the oldest segment. */
  cursorResets: number;
  /** Background (fsync 'interval') syncs that failed. */
  syncErrors: number;
}
