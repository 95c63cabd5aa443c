/**
 * A bounded on-disk queue of Kafka records for when Kafka is unreachable or slow: appended in
 * order, replayed in the same order with peek() and ack(), resumed after a restart from the
 * last acknowledgment (at least once). Layout and guarantees: README.md beside this file.
 */
import { type FileHandle, mkdir, open, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { CURSOR_TEMP_FILE, type Cursor, readCursor, writeCursor } from './cursor.js';
import { type EncodedFrame, prepareFrame, sealFrame, type UnsealedFrame } from './frame.js';
import { readFrames } from './frame-reader.js';
import { type SpoolSettings, spoolSettings } from './options.js';
import { recoverSegments } from './recover.js';
import { pendingBytes, pendingRecords, type Segment } from './segment.js';
import { fsyncDir, segmentPath, unlinkIfPresent, writeAllAt } from './segment-files.js';
import { SerialQueue } from './serial-queue.js';
import type {
  DropReason,
  SpoolEntry,
  SpoolOptions,
  SpoolPosition,
  SpoolRecord,
  SpoolStats,
} from './types.js';

export type {
  DropReason,
  FsyncPolicy,
  SpoolEntry,
  SpoolLogger,
  SpoolOptions,
  SpoolPosition,
  SpoolRecord,
  SpoolStats,
} from './types.js';

/** Frames written together at most: a write's buffers stay well under the system's IOV_MAX (1024). */
const MAX_FRAMES_PER_WRITE = 256;

interface QueuedAppend {
  readonly sealed: Promise<EncodedFrame>;
  resolve(): void;
  reject(error: unknown): void;
}

interface QueuedFrame {
  readonly frame: EncodedFrame;
  readonly append: QueuedAppend;
}

/** The stats the spool counts itself; the rest are read from its state. */
type Counters = Pick<
  SpoolStats,
  'appended' | 'acked' | 'dropped' | 'droppedBytes' | 'cursorResets' | 'syncErrors'
>;

export class Spool {
  readonly #settings: SpoolSettings;
  // Appends, reads and acknowledgments touch the same files and state: one at a time, in call order.
  readonly #queue = new SerialQueue();
  /** Appends waiting for the queued task that writes them. */
  readonly #appends: QueuedAppend[] = [];
  /** Oldest first. The last one is #active when there is one. */
  readonly #segments: Segment[];
  #active: Segment | undefined;
  #nextSequence: number;
  /** Sum of the segments' sizes, the number maxBytes caps. */
  #bytes: number;
  /** Appended since the active segment was last fsynced (policy 'interval'). */
  #dirty = false;
  #inflightSync: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #counters: Counters = {
    appended: 0,
    acked: 0,
    dropped: { full: 0, corrupt: 0 },
    droppedBytes: { full: 0, corrupt: 0 },
    cursorResets: 0,
    syncErrors: 0,
  };

  private constructor(settings: SpoolSettings, segments: Segment[], nextSequence: number) {
    this.#settings = settings;
    this.#segments = segments;
    this.#nextSequence = nextSequence;
    this.#bytes = segments.reduce((sum, segment) => sum + segment.size, 0);
  }

  /** Opens (creating if needed) the spool in options.dir and recovers what a previous process left there. */
  static async open(options: SpoolOptions): Promise<Spool> {
    const settings = spoolSettings(options);
    const { dir } = settings;
    await mkdir(dir, { recursive: true });
    // Left by a crash while the cursor was being replaced; the real cursor is intact.
    await unlinkIfPresent(join(dir, CURSOR_TEMP_FILE));

    const cursorRead = await readCursor(dir);
    const cursor: Cursor | undefined = cursorRead.kind === 'ok' ? cursorRead.cursor : undefined;
    const recovered = await recoverSegments(dir, cursor);
    const spool = new Spool(settings, recovered.segments, recovered.nextSequence);
    if (cursorRead.kind === 'corrupt') {
      spool.#counters.cursorResets++;
      settings.logger?.warn(
        { dir, reason: cursorRead.reason },
        'spool cursor unreadable: replaying from the oldest segment (records may be delivered twice)',
      );
    }
    for (const region of recovered.damaged) {
      // Exact bytes; records exact where the frame boundaries survived, else 1 (a lower bound).
      spool.#reportDrop('corrupt', region.records, region.bytes);
      settings.logger?.warn(
        { dir, ...region },
        region.reason === 'truncated'
          ? 'spool segment ends in a partly written record: cut it off'
          : 'spool segment damaged: skipped the damaged bytes, kept the records around them',
      );
    }
    if (settings.fsync === 'interval') {
      spool.#timer = setInterval(() => spool.#syncInBackground(), settings.fsyncIntervalMs);
      // The spool must not keep an otherwise finished process alive.
      spool.#timer.unref();
    }
    return spool;
  }

  get stats(): SpoolStats {
    let records = 0;
    let pending = 0;
    for (const segment of this.#segments) {
      records += pendingRecords(segment);
      pending += pendingBytes(segment);
    }
    const counters = this.#counters;
    return {
      bytes: this.#bytes,
      records,
      pendingBytes: pending,
      segments: this.#segments.length,
      appended: counters.appended,
      acked: counters.acked,
      dropped: { ...counters.dropped },
      droppedBytes: { ...counters.droppedBytes },
      cursorResets: counters.cursorResets,
      syncErrors: counters.syncErrors,
    };
  }

  /**
   * Appends a record after every record appended before it. Resolves once the record is in the
   * file (and on disk, for fsync 'always'). Rejects, spooling nothing, for a record larger than
   * maxBytes or a failed write.
   */
  append(record: SpoolRecord): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('spool: closed'));
    let frame: UnsealedFrame;
    try {
      frame = prepareFrame(record);
    } catch (error) {
      return Promise.reject(error);
    }
    if (frame.bytes > this.#settings.maxBytes) {
      return Promise.reject(new RangeError(`spool: a ${frame.bytes}-byte record can't fit in maxBytes`));
    }
    // Checksummed while earlier appends are written; queued now, so call order is file order.
    // The value is written from the caller's buffer, not a copy: it must not change until this resolves.
    const sealed = sealFrame(frame);
    // Its failure surfaces through the queued task; this only keeps it from counting as unhandled meanwhile.
    sealed.catch(() => {});
    return new Promise<void>((resolve, reject) => {
      // Appends made before the queued task runs are written with it, in one system call.
      if (this.#appends.push({ sealed, resolve, reject }) === 1) {
        this.#queue.run(() => this.#appendQueued()).catch(() => {});
      }
    });
  }

  /**
   * The oldest unacknowledged records, oldest first: at most `max`, and no more than `maxBytes`
   * of framed records except that one record is always returned when there is one. Calling it
   * again before ack() returns the same records. With `after` (an entry an earlier peek
   * returned), the records after it instead: a caller reads the next batch while the previous
   * one is still being delivered, and acknowledges both in order.
   */
  peek(max: number, maxBytes = Number.POSITIVE_INFINITY, after?: SpoolEntry): Promise<SpoolEntry[]> {
    if (this.#closed) return Promise.reject(new Error('spool: closed'));
    return this.#queue.run(() => this.#peek(max, maxBytes, after?.position));
  }

  /**
   * Marks `upTo` and every record before it delivered, persists that in the cursor file and
   * deletes segments nothing is pending in. Acknowledging an already acknowledged (or dropped)
   * entry does nothing.
   */
  ack(upTo: SpoolEntry): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('spool: closed'));
    return this.#queue.run(() => this.#ack(upTo.position));
  }

  /** Waits for queued calls, fsyncs what policy 'interval' has not yet, and closes the files. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#queue.run(async () => {
      await this.#inflightSync;
      if (this.#active !== undefined) await this.#releaseActive();
      for (const segment of this.#segments) await this.#closeHandle(segment);
    });
  }

  /**
   * Writes the appends queued since the last time: in order, each segment's run of frames in
   * one write, segments rolled and room made exactly as appending one by one would. Each
   * append settles on its own: a failed write rejects the appends it carried, and the next
   * ones are tried.
   */
  async #appendQueued(): Promise<void> {
    const queued = this.#appends.splice(0);
    try {
      await this.#writeQueued(queued);
    } catch (error) {
      // A bug rather than an I/O error (those settle their own appends): none may hang.
      for (const append of queued) append.reject(error);
    }
  }

  async #writeQueued(queued: readonly QueuedAppend[]): Promise<void> {
    const { segmentBytes } = this.#settings;
    let run: QueuedFrame[] = [];
    let runBytes = 0;
    for (const append of queued) {
      let frame: EncodedFrame;
      try {
        frame = await append.sealed;
      } catch (error) {
        append.reject(error);
        continue;
      }
      const active = this.#active;
      if (
        run.length >= MAX_FRAMES_PER_WRITE ||
        (active !== undefined && active.size + runBytes + frame.bytes > segmentBytes)
      ) {
        await this.#writeRun(run);
        run = [];
        runBytes = 0;
      }
      try {
        await this.#segmentFor(frame.bytes, runBytes);
      } catch (error) {
        append.reject(error);
        continue;
      }
      run.push({ frame, append });
      runBytes += frame.bytes;
    }
    await this.#writeRun(run);
  }

  /** The segment the next frame goes to: rolled when full, created if none, room made for it. */
  async #segmentFor(frameBytes: number, unwrittenBytes: number): Promise<Segment> {
    let active = this.#active;
    if (active !== undefined && active.size > 0 && active.size + frameBytes > this.#settings.segmentBytes) {
      await this.#releaseActive();
      // It may have been fully acknowledged while it was being written to.
      await this.#deleteAcknowledged();
      active = undefined;
    }
    active ??= await this.#createSegment();
    await this.#makeRoom(unwrittenBytes + frameBytes);
    return active;
  }

  /** Writes frames at the end of the active segment and settles their appends. */
  async #writeRun(run: readonly QueuedFrame[]): Promise<void> {
    if (run.length === 0) return;
    const { fsync } = this.#settings;
    const active = this.#active!;
    const handle = active.handle!;
    try {
      await writeAllAt(
        handle,
        run.flatMap(({ frame }) => [frame.head, frame.value]),
        active.size,
      );
      if (fsync === 'always') await handle.datasync();
    } catch (error) {
      // A partial frame would read as a torn write after the next record: cut it off now.
      await handle.truncate(active.size).catch(() => {});
      for (const { append } of run) append.reject(error);
      return;
    }
    for (const { frame } of run) {
      active.size += frame.bytes;
      active.records++;
      this.#bytes += frame.bytes;
      this.#counters.appended++;
    }
    if (fsync === 'interval') this.#dirty = true;
    for (const { append } of run) append.resolve();
  }

  async #createSegment(): Promise<Segment> {
    const sequence = this.#nextSequence++;
    const path = segmentPath(this.#settings.dir, sequence);
    // 'x': a file already there would be a bug in sequencing, and appending to it would corrupt it.
    const handle = await open(path, 'wx+');
    if (this.#settings.fsync === 'always') await fsyncDir(this.#settings.dir);
    const segment: Segment = { sequence, path, size: 0, records: 0, ackedOffset: 0, ackedRecords: 0, handle };
    this.#segments.push(segment);
    this.#active = segment;
    return segment;
  }

  /** Stops appending to the active segment: syncs it per policy and closes it. */
  async #releaseActive(): Promise<void> {
    const active = this.#active!;
    this.#active = undefined;
    await this.#inflightSync;
    if (this.#dirty) {
      this.#dirty = false;
      await active.handle?.datasync();
    }
    await this.#closeHandle(active);
  }

  /** Drops the oldest segments until `bytes` more fit under maxBytes. */
  async #makeRoom(bytes: number): Promise<void> {
    while (this.#bytes + bytes > this.#settings.maxBytes) {
      const oldest = this.#segments[0];
      // Can't happen once segmentBytes <= maxBytes and frames <= maxBytes, which open() and append() check.
      if (oldest === undefined || oldest === this.#active) return;
      const records = pendingRecords(oldest);
      const lostBytes = pendingBytes(oldest);
      await this.#deleteOldest();
      if (records > 0) this.#reportDrop('full', records, lostBytes);
    }
  }

  async #peek(max: number, maxBytes: number, after: SpoolPosition | undefined): Promise<SpoolEntry[]> {
    const entries: SpoolEntry[] = [];
    let bytes = 0;
    let full = max <= 0;
    let damaged = false;
    for (const [segmentIndex, segment] of this.#segments.entries()) {
      if (full) break;
      let from = segment.ackedOffset;
      let index = segment.ackedRecords;
      if (after !== undefined && segment.sequence <= after.segment) {
        if (segment.sequence < after.segment) continue;
        if (after.end > from) {
          from = after.end;
          index = after.index + 1;
        }
      }
      if (from >= segment.size) continue;
      let corruptAt: number | undefined;
      for await (const item of readFrames(await this.#readHandle(segment), from, segment.size)) {
        if (item.kind === 'corrupt') {
          corruptAt = item.offset;
          break;
        }
        const frameBytes = item.end - item.offset;
        if (entries.length > 0 && bytes + frameBytes > maxBytes) {
          full = true;
          break;
        }
        entries.push({
          ...item.record,
          position: { segment: segment.sequence, offset: item.offset, end: item.end, index },
        });
        index++;
        bytes += frameBytes;
        if (entries.length >= max) {
          full = true;
          break;
        }
      }
      if (corruptAt !== undefined) {
        await this.#discardTail(segment, corruptAt, index);
        damaged = true;
      }
      // Only the oldest segment is read again soon; others keep no descriptor open meanwhile.
      if (segmentIndex > 0 && segment !== this.#active) await this.#closeHandle(segment);
    }
    if (damaged) await this.#deleteAcknowledged();
    return entries;
  }

  /**
   * The frame at `offset` went bad after open (open() salvages what it finds): the rest of the
   * segment is cut off. We counted its records, so the drop reports their real number. Unlike
   * open(), this does not salvage past the damage: positions of entries already handed out, and
   * the segment being appended to, would move.
   */
  async #discardTail(segment: Segment, offset: number, readableRecords: number): Promise<void> {
    // Cut at the bad frame, the segment ends with good frames again; if it is the one being
    // appended to, appends continue right there, where replay can reach them.
    const records = segment.records - readableRecords;
    const bytes = segment.size - offset;
    await truncate(segment.path, offset);
    segment.size = offset;
    segment.records = readableRecords;
    this.#bytes -= bytes;
    this.#reportDrop('corrupt', records, bytes);
    this.#settings.logger?.warn(
      { dir: this.#settings.dir, sequence: segment.sequence, offset, bytes, records },
      'spool segment damaged while running: skipped the rest of it',
    );
  }

  async #ack(position: SpoolPosition): Promise<void> {
    const target = this.#segments.findIndex((segment) => segment.sequence === position.segment);
    if (target === -1) {
      // Older than everything left: acknowledged before, or dropped while the caller held it.
      if (position.segment < this.#nextSequence) return;
      throw new RangeError(`spool: ack of unknown segment ${position.segment}`);
    }
    const segment = this.#segments[target]!;
    let acked = 0;
    for (const earlier of this.#segments.slice(0, target)) {
      acked += pendingRecords(earlier);
      earlier.ackedOffset = earlier.size;
      earlier.ackedRecords = earlier.records;
    }
    // Past the end only when the tail was found damaged after this entry was peeked: what is
    // left of the segment is then all acknowledged.
    const end = Math.min(position.end, segment.size);
    if (end > segment.ackedOffset) {
      const ackedRecords = end === segment.size ? segment.records : position.index + 1;
      acked += ackedRecords - segment.ackedRecords;
      segment.ackedOffset = end;
      segment.ackedRecords = ackedRecords;
    }
    if (acked === 0) return;
    // The cursor first, then deletion: a crash in between leaves segments the cursor says to skip.
    await writeCursor(
      this.#settings.dir,
      { segment: segment.sequence, offset: segment.ackedOffset },
      this.#settings.fsync === 'always',
    );
    this.#counters.acked += acked;
    await this.#deleteAcknowledged();
  }

  /** Deletes leading segments with nothing left to replay, except the one being appended to. */
  async #deleteAcknowledged(): Promise<void> {
    for (;;) {
      const oldest = this.#segments[0];
      if (oldest === undefined || oldest === this.#active || pendingBytes(oldest) > 0) return;
      await this.#deleteOldest();
    }
  }

  async #deleteOldest(): Promise<void> {
    const oldest = this.#segments.shift()!;
    this.#bytes -= oldest.size;
    await this.#closeHandle(oldest);
    await unlinkIfPresent(oldest.path);
  }

  async #readHandle(segment: Segment): Promise<FileHandle> {
    segment.handle ??= await open(segment.path, 'r');
    return segment.handle;
  }

  async #closeHandle(segment: Segment): Promise<void> {
    const handle = segment.handle;
    segment.handle = undefined;
    await handle?.close();
  }

  /** Policy 'interval': fsyncs the active segment alongside appends, which keep writing meanwhile. */
  #syncInBackground(): void {
    const handle = this.#active?.handle;
    if (handle === undefined || !this.#dirty || this.#inflightSync !== undefined) return;
    this.#dirty = false;
    this.#inflightSync = handle
      .datasync()
      .catch((error: unknown) => {
        this.#dirty = true;
        this.#counters.syncErrors++;
        this.#settings.logger?.warn({ dir: this.#settings.dir, error: String(error) }, 'spool fsync failed');
      })
      .finally(() => {
        this.#inflightSync = undefined;
      });
  }

  #reportDrop(reason: DropReason, records: number, bytes: number): void {
    this.#counters.dropped[reason] += records;
    this.#counters.droppedBytes[reason] += bytes;
    try {
      this.#settings.onDrop(reason, records, bytes);
    } catch (error) {
      // A failing callback must not fail the append that made room.
      this.#settings.logger?.warn({ error: String(error) }, 'spool onDrop callback threw');
    }
  }
}
