/**
 * A growable little-endian byte buffer for ClickHouse's Native format: variable-length
 * integers, 64-bit integers from JS numbers, strings with their length first, and typed
 * arrays copied in bulk. Columns are serialized once per insert, so this favours big
 * copies over per-value calls.
 */
import { endianness } from 'node:os';

// Typed arrays are copied as they lie in memory; Native is little-endian.
if (endianness() !== 'LE') throw new Error('the Native writer needs a little-endian machine');

const TWO_32 = 2 ** 32;
/** Strings shorter than this are tried as ASCII first (their length fits one byte). */
const SHORT_STRING = 64;

export class ByteWriter {
  private buffer: Buffer;
  private position = 0;

  constructor(capacity = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(capacity);
  }

  get length(): number {
    return this.position;
  }

  /** The bytes written (a view, valid until the next write). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.position);
  }

  reset(): void {
    this.position = 0;
  }

  ensure(extra: number): void {
    const needed = this.position + extra;
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.position);
    this.buffer = grown;
  }

  uint8(value: number): void {
    this.ensure(1);
    this.buffer[this.position++] = value;
  }

  /** LEB128, as Native writes counts and string lengths. */
  varUInt(value: number): void {
    this.ensure(10);
    let rest = value;
    while (rest >= 0x80) {
      this.buffer[this.position++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.buffer[this.position++] = rest;
  }

  /** A non-negative integer below 2^53 as UInt64. */
  uint64(value: number): void {
    this.ensure(8);
    this.buffer.writeUInt32LE(value % TWO_32, this.position);
    this.buffer.writeUInt32LE(Math.floor(value / TWO_32), this.position + 4);
    this.position += 8;
  }

  /** A String value: its UTF-8 length, then the bytes. */
  string(value: string): void {
    const length = value.length;
    // Room for the longest encoding and a 5-byte length.
    this.ensure(length * 3 + 5);
    const buffer = this.buffer;
    const start = this.position;
    // Short ASCII strings (nearly all: names, tag values) are copied here: a call into
    // Buffer.write costs more than the copy itself.
    if (length < SHORT_STRING) {
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code >= 0x80) break;
        buffer[start + 1 + i] = code;
      }
      if (i === length) {
        buffer[start] = length;
        this.position = start + 1 + length;
        return;
      }
    }
    // Written behind a one-byte length, and moved when the length needs more.
    const written = buffer.write(value, start + 1, 'utf8');
    if (written < 0x80) {
      buffer[start] = written;
      this.position = start + 1 + written;
      return;
    }
    let lengthBytes = 1;
    for (let rest = written; rest >= 0x80; rest = Math.floor(rest / 0x80)) lengthBytes++;
    buffer.copyWithin(start + lengthBytes, start + 1, start + 1 + written);
    this.position = start;
    this.varUInt(written);
    this.position = start + lengthBytes + written;
  }

  /** Bytes already in Native form (a pre-encoded string, another writer's output). */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buffer.set(bytes, this.position);
    this.position += bytes.length;
  }

  /** The first `count` elements of a typed array, as they lie in memory. */
  elements(array: Float64Array | Int32Array | Uint32Array | Uint16Array | Uint8Array, count: number): void {
    const bytes = new Uint8Array(array.buffer, array.byteOffset, count * array.BYTES_PER_ELEMENT);
    this.raw(bytes);
  }
}
