/**
 * Avro single-object encoding (Avro spec, "Single-object encoding"): C3 01, the writer
 * schema's CRC-64-AVRO fingerprint as 8 little-endian bytes, then the binary datum. The
 * fingerprint tells the reader which released version wrote the message, so old writers
 * decode into the current schema through Avro schema resolution.
 */
import type avro from 'avsc';
import { decodeDatum, ScratchBuffer } from './datum.js';
import { WireError } from './errors.js';
import { MetricBatchWriter } from './metric-batch-writer.js';
import type { WireRecords } from './records.js';
import { type MessageName, schemaCatalog, type WireSchema } from './schemas.js';

export const SINGLE_OBJECT_MARKER: Readonly<Uint8Array> = Uint8Array.of(0xc3, 0x01);
/** Marker plus fingerprint. */
export const SINGLE_OBJECT_HEADER_LENGTH = 10;

/** C3 01 and the schema's fingerprint: what precedes every datum of the schema. */
export function singleObjectHeader(schema: WireSchema): Buffer {
  return Buffer.concat([SINGLE_OBJECT_MARKER, schema.fingerprintBytes]);
}

/** Writes records of one schema, normally the current one. */
export class SingleObjectEncoder<N extends MessageName> {
  readonly header: Buffer;
  private readonly scratch = new ScratchBuffer();

  constructor(readonly schema: WireSchema<N>) {
    this.header = singleObjectHeader(schema);
  }

  /** Encodes a record of the schema; the record is not validated (records.ts types it). */
  encode(record: WireRecords[N]): Buffer {
    return this.scratch.encode(this.schema.type, record, this.header);
  }
}

interface KnownWriter {
  readonly schema: WireSchema;
  /** Undefined when the writer is the reader: no resolution needed. */
  readonly resolver: avro.Resolver | undefined;
}

/** Reads messages written with any known version of one schema into the reader schema. */
export class SingleObjectDecoder<N extends MessageName> {
  private readonly writers = new Map<bigint, KnownWriter>();

  /**
   * Resolvers are built now, so a released version the reader cannot read fails at startup
   * instead of on its first message.
   */
  constructor(
    readonly reader: WireSchema<N>,
    writers: readonly WireSchema<N>[],
  ) {
    for (const schema of [reader, ...writers]) {
      if (this.writers.has(schema.fingerprint)) continue;
      const resolver =
        schema.fingerprint === reader.fingerprint ? undefined : reader.type.createResolver(schema.type);
      this.writers.set(schema.fingerprint, { schema, resolver });
    }
  }

  /** Fingerprints this decoder accepts. */
  knownFingerprints(): bigint[] {
    return [...this.writers.keys()];
  }

  /** Decodes one message; throws WireError for anything that is not one. */
  decode(bytes: Uint8Array): WireRecords[N] {
    const message = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const markerBytes = Math.min(message.length, SINGLE_OBJECT_MARKER.length);
    for (let i = 0; i < markerBytes; i++) {
      if (message[i] !== SINGLE_OBJECT_MARKER[i]) {
        throw new WireError('bad_marker', `${this.reader.name}: not a single-object encoded message`);
      }
    }
    if (message.length < SINGLE_OBJECT_HEADER_LENGTH) {
      throw new WireError(
        'truncated',
        `${this.reader.name}: ${message.length} bytes, shorter than the header`,
      );
    }
    const fingerprint = message.readBigUInt64LE(SINGLE_OBJECT_MARKER.length);
    const writer = this.writers.get(fingerprint);
    if (writer === undefined) {
      throw new WireError(
        'unknown_fingerprint',
        `${this.reader.name}: no known schema has fingerprint ${fingerprint.toString(16).padStart(16, '0')}`,
      );
    }
    const what = `${this.reader.name} written with ${writer.schema.version}`;
    return decodeDatum(
      this.reader.type,
      writer.resolver,
      message,
      SINGLE_OBJECT_HEADER_LENGTH,
      what,
    ) as WireRecords[N];
  }
}

/** Writes metric batches from the model in the current schema, the fast way (metric-batch-writer.ts). */
export function singleObjectMetricBatchWriter(catalog = schemaCatalog()): MetricBatchWriter {
  const current = catalog.currentSchema('MetricBatch');
  return new MetricBatchWriter(current, singleObjectHeader(current));
}

/** An encoder of the current schema and a decoder of every released one, for a message. */
export function singleObjectCodec<N extends MessageName>(
  name: N,
  catalog = schemaCatalog(),
): { encoder: SingleObjectEncoder<N>; decoder: SingleObjectDecoder<N> } {
  const current = catalog.currentSchema(name);
  return {
    encoder: new SingleObjectEncoder(current),
    decoder: new SingleObjectDecoder(current, catalog.writerSchemas(name)),
  };
}
