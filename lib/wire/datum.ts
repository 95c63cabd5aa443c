/** The datum after a wire format's header: decoding it whole, and encoding it behind a header. */
import type avro from 'avsc';
import { WireError } from './errors.js';

/**
 * Decodes the datum that fills `bytes` from `offset` to the end, and sorts failures into
 * WireError reasons. avsc reads past the end silently and reports it as offset -1.
 */
export function decodeDatum(
  readerType: avro.Type,
  resolver: avro.Resolver | undefined,
  bytes: Buffer,
  offset: number,
  what: string,
): unknown {
  let decoded: { value: unknown; offset: number };
  try {
    decoded = readerType.decode(bytes, offset, resolver);
  } catch (error) {
    if (error instanceof WireError) throw error;
    throw new WireError('invalid_datum', `${what}: ${(error as Error).message}`, { cause: error });
  }
  if (decoded.offset < 0) throw new WireError('truncated', `${what}: the datum ends past the message`);
  if (decoded.offset !== bytes.length) {
    throw new WireError('invalid_datum', `${what}: ${bytes.length - decoded.offset} bytes after the datum`);
  }
  return decoded.value;
}

/** A reusable output buffer: encoding into it avoids avsc's encode-twice for large values. */
export class ScratchBuffer {
  private buffer: Buffer;

  constructor(initialSize = 64 * 1024) {
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  /**
   * Writes `header` then the datum, and returns a copy of exactly those bytes (the scratch
   * space is reused by the next call).
   */
  encode(type: avro.Type, value: unknown, header: Uint8Array): Buffer {
    for (;;) {
      const buffer = this.buffer;
      buffer.set(header, 0);
      const end = type.encode(value, buffer, header.length);
      if (end >= 0) return Buffer.from(buffer.subarray(0, end));
      // avsc keeps counting past the end, so -end is exactly the shortfall.
      this.buffer = Buffer.allocUnsafe(Math.max(buffer.length * 2, buffer.length - end));
    }
  }
}
