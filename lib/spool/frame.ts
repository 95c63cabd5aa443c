/**
 * The record frame on disk. Every frame carries its own length and checksum so a reader can
 * tell a complete record from a torn write (a crash mid-append) or from bit rot:
 *
 *   offset  size  field
 *   0       1     magic: 0xC1, the frame format version
 *   1       4     payload length, uint32 BE
 *   5       4     CRC-32 (IEEE, zlib's) over bytes 0..4 and the payload
 *   9       n     payload:
 *                   0     8  timeMs, float64 BE
 *                   8     2  topic length t, uint16 BE
 *                   10    t  topic, UTF-8
 *                   10+t  4  key length k, int32 BE; -1 for a null key
 *                   14+t  k  key
 *                   14+t+k   value, to the end of the payload
 */
import { crc32Of, crc32Sliced } from './checksum.js';
import type { SpoolRecord } from './types.js';

export const FRAME_MAGIC = 0xc1;
export const FRAME_HEADER_BYTES = 9;
/** Magic and length: the header bytes the checksum covers. */
const CHECKED_HEADER_BYTES = 5;
/** timeMs, topic length and key length: a payload can't be shorter. */
const PAYLOAD_FIXED_BYTES = 14;
const MAX_TOPIC_BYTES = 0xffff;
const MAX_PAYLOAD_BYTES = 0xffff_ffff - FRAME_HEADER_BYTES;
const NULL_KEY = -1;

export type CorruptReason = 'magic' | 'length' | 'crc' | 'layout';

/** A frame ready to write: everything but the value in head, so the value is never copied. */
export interface EncodedFrame {
  readonly head: Buffer;
  readonly value: Buffer;
  readonly bytes: number;
}

/** A frame whose checksum is still to be computed (sealFrame does it). */
export interface UnsealedFrame extends EncodedFrame {
  /** CRC of the head's checked bytes, to continue over the value. */
  readonly headCrc: number;
}

/** Validates the record and lays out everything but the checksum. Throws for a record that can't be framed. */
export function prepareFrame(record: SpoolRecord): UnsealedFrame {
  const { key, value, timeMs } = record;
  if (typeof record.topic !== 'string' || record.topic === '') throw new TypeError('spool: empty topic');
  if (!Buffer.isBuffer(value)) throw new TypeError('spool: value must be a Buffer');
  if (key !== null && !Buffer.isBuffer(key)) throw new TypeError('spool: key must be a Buffer or null');
  if (!Number.isFinite(timeMs)) throw new TypeError('spool: timeMs must be a finite number');
  const topic = Buffer.from(record.topic, 'utf8');
  if (topic.length > MAX_TOPIC_BYTES) throw new RangeError('spool: topic longer than 65535 bytes');
  const keyBytes = key?.length ?? 0;
  const headBytes = FRAME_HEADER_BYTES + PAYLOAD_FIXED_BYTES + topic.length + keyBytes;
  const payloadBytes = headBytes - FRAME_HEADER_BYTES + value.length;
  if (payloadBytes > MAX_PAYLOAD_BYTES) throw new RangeError('spool: record larger than 4 GiB');

  const head = Buffer.allocUnsafe(headBytes);
  head[0] = FRAME_MAGIC;
  head.writeUInt32BE(payloadBytes, 1);
  let at = FRAME_HEADER_BYTES;
  at = head.writeDoubleBE(timeMs, at);
  at = head.writeUInt16BE(topic.length, at);
  at += topic.copy(head, at);
  at = head.writeInt32BE(key === null ? NULL_KEY : key.length, at);
  if (key !== null) key.copy(head, at);

  const headCrc = crc32Of(head.subarray(FRAME_HEADER_BYTES), crc32Of(head.subarray(0, CHECKED_HEADER_BYTES)));
  return { head, value, bytes: headBytes + value.length, headCrc };
}

/** Completes the frame's checksum over the value, in slices for a large one (see checksum.ts). */
export async function sealFrame(frame: UnsealedFrame): Promise<EncodedFrame> {
  frame.head.writeUInt32BE(await crc32Sliced(frame.value, frame.headCrc), CHECKED_HEADER_BYTES);
  return frame;
}

/** prepareFrame and sealFrame in one synchronous step, for small records and tests. */
export function encodeFrame(record: SpoolRecord): EncodedFrame {
  const frame = prepareFrame(record);
  frame.head.writeUInt32BE(crc32Of(frame.value, frame.headCrc), CHECKED_HEADER_BYTES);
  return frame;
}

export type HeaderResult =
  | { kind: 'header'; frameBytes: number; crc: number }
  /** The buffer ends inside the frame; frameBytes is its full size once the header is in. */
  | { kind: 'partial'; frameBytes: number | undefined }
  | { kind: 'corrupt'; reason: CorruptReason };

/** Reads and sanity-checks the header of the frame at `at`; the checksum is checked separately. */
export function readFrameHeader(buffer: Buffer, at: number): HeaderResult {
  const available = buffer.length - at;
  if (available < FRAME_HEADER_BYTES) return { kind: 'partial', frameBytes: undefined };
  if (buffer[at] !== FRAME_MAGIC) return { kind: 'corrupt', reason: 'magic' };
  const payloadBytes = buffer.readUInt32BE(at + 1);
  if (payloadBytes < PAYLOAD_FIXED_BYTES || payloadBytes > MAX_PAYLOAD_BYTES) {
    return { kind: 'corrupt', reason: 'length' };
  }
  const frameBytes = FRAME_HEADER_BYTES + payloadBytes;
  if (available < frameBytes) return { kind: 'partial', frameBytes };
  return { kind: 'header', frameBytes, crc: buffer.readUInt32BE(at + CHECKED_HEADER_BYTES) };
}

/** The CRC the frame at `at` should carry, computed in slices for a large frame (see checksum.ts). */
export function frameCrc(buffer: Buffer, at: number, frameBytes: number): Promise<number> {
  const headCrc = crc32Of(buffer.subarray(at, at + CHECKED_HEADER_BYTES));
  return crc32Sliced(buffer.subarray(at + FRAME_HEADER_BYTES, at + frameBytes), headCrc);
}

function frameCrcNow(buffer: Buffer, at: number, frameBytes: number): number {
  const headCrc = crc32Of(buffer.subarray(at, at + CHECKED_HEADER_BYTES));
  return crc32Of(buffer.subarray(at + FRAME_HEADER_BYTES, at + frameBytes), headCrc);
}

/**
 * The record in a frame whose checksum matched. Key and value are views into `buffer`, not
 * copies: replay hands them straight to the producer. Undefined only for a frame some other
 * writer produced (the checksum matched, so not bit rot).
 */
export function parseRecord(buffer: Buffer, at: number, frameBytes: number): SpoolRecord | undefined {
  const payloadEnd = at + frameBytes;
  let cursor = at + FRAME_HEADER_BYTES;
  const timeMs = buffer.readDoubleBE(cursor);
  cursor += 8;
  const topicBytes = buffer.readUInt16BE(cursor);
  cursor += 2;
  if (cursor + topicBytes + 4 > payloadEnd) return undefined;
  const topic = buffer.toString('utf8', cursor, cursor + topicBytes);
  cursor += topicBytes;
  const keyBytes = buffer.readInt32BE(cursor);
  cursor += 4;
  if (keyBytes < NULL_KEY || cursor + Math.max(keyBytes, 0) > payloadEnd) return undefined;
  const key = keyBytes === NULL_KEY ? null : buffer.subarray(cursor, cursor + keyBytes);
  cursor += Math.max(keyBytes, 0);
  return { topic, key, value: buffer.subarray(cursor, payloadEnd), timeMs };
}

export type DecodeResult =
  | { kind: 'record'; record: SpoolRecord; frameBytes: number }
  | { kind: 'partial'; frameBytes: number | undefined }
  | { kind: 'corrupt'; reason: CorruptReason };

/** Header, checksum and payload of the frame at `at`, synchronously (for tests and tools). */
export function decodeFrame(buffer: Buffer, at: number): DecodeResult {
  const header = readFrameHeader(buffer, at);
  if (header.kind !== 'header') return header;
  if (frameCrcNow(buffer, at, header.frameBytes) !== header.crc) return { kind: 'corrupt', reason: 'crc' };
  const record = parseRecord(buffer, at, header.frameBytes);
  if (record === undefined) return { kind: 'corrupt', reason: 'layout' };
  return { kind: 'record', record, frameBytes: header.frameBytes };
}
