/**
 * The Confluent Schema Registry wire format: 0x00, the writer schema's registry id as 4
 * big-endian bytes, then the binary datum. Subjects follow the registry's default
 * TopicNameStrategy, `<topic>-value`. Decoding fetches unknown ids from the registry once and
 * reads them into the current schema through Avro schema resolution.
 */
import type avro from 'avsc';
import { decodeDatum, ScratchBuffer } from './datum.js';
import { WireError } from './errors.js';
import { MetricBatchWriter } from './metric-batch-writer.js';
import type { WireRecords } from './records.js';
import { type MessageName, type WireSchema, wireSchema } from './schemas.js';

export const CONFLUENT_MAGIC_BYTE = 0x00;
export const CONFLUENT_HEADER_LENGTH = 5;
const REGISTRY_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** The registry's subject for a topic's values (TopicNameStrategy). */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

/** The 5 bytes before every datum written with schema `id`. */
export function confluentHeader(id: number): Buffer {
  const header = Buffer.alloc(CONFLUENT_HEADER_LENGTH);
  header[0] = CONFLUENT_MAGIC_BYTE;
  header.writeInt32BE(id, 1);
  return header;
}

/** A registry answer other than success; `errorCode` is the registry's (40403: schema not found). */
export class SchemaRegistryError extends Error {
  override readonly name = 'SchemaRegistryError';

  constructor(
    message: string,
    readonly status: number | undefined,
    readonly errorCode: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface SchemaRegistryOptions {
  /** Base URL, e.g. http://schema-registry:8081 */
  url: string;
  /** Per request. */
  timeoutMs?: number;
  /** Extra request headers (Authorization for a secured registry). */
  headers?: Record<string, string>;
}

export interface RegisteredSchema {
  /** The schema's JSON text as registered. */
  schema: string;
  /** Absent for Avro, which is the registry's default. */
  schemaType?: string;
}

/** Registers and fetches schemas, each answer cached for the client's lifetime (ids never change). */
export class SchemaRegistryClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;
  private readonly registered = new Map<string, Promise<number>>();
  private readonly byId = new Map<number, Promise<RegisteredSchema>>();

  constructor(options: SchemaRegistryOptions) {
    this.baseUrl = options.url.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.headers = { Accept: `${REGISTRY_CONTENT_TYPE}, application/json`, ...options.headers };
  }

  /**
   * The schema's id under `subject`, registering it if the subject lacks it (the registry
   * answers the existing id for a schema it already has, so this is idempotent).
   */
  register(subject: string, schema: string): Promise<number> {
    const key = `${subject}\u0000${schema}`;
    return this.cached(this.registered, key, async () => {
      const body = await this.request('POST', `/subjects/${encodeURIComponent(subject)}/versions`, {
        schema,
      });
      if (!isRecord(body) || typeof body.id !== 'number' || !Number.isInteger(body.id)) {
        throw new SchemaRegistryError(
          `registry answered ${JSON.stringify(body)} to a registration`,
          200,
          undefined,
        );
      }
      return body.id;
    });
  }

  /** The schema registered under `id`. */
  schemaById(id: number): Promise<RegisteredSchema> {
    return this.cached(this.byId, id, async () => {
      const body = await this.request('GET', `/schemas/ids/${id}`, undefined);
      if (!isRecord(body) || typeof body.schema !== 'string') {
        throw new SchemaRegistryError(
          `registry answered ${JSON.stringify(body)} for schema ${id}`,
          200,
          undefined,
        );
      }
      return typeof body.schemaType === 'string'
        ? { schema: body.schema, schemaType: body.schemaType }
        : { schema: body.schema };
    });
  }

  /** Shares one request among concurrent callers; a failure is not cached, so a retry asks again. */
  private cached<K, V>(cache: Map<K, Promise<V>>, key: K, load: () => Promise<V>): Promise<V> {
    let pending = cache.get(key);
    if (pending === undefined) {
      pending = load();
      cache.set(key, pending);
      pending.catch(() => cache.delete(key));
    }
    return pending;
  }

  private async request(method: 'GET' | 'POST', path: string, body: unknown): Promise<unknown> {
    const url = `${this.baseUrl}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers:
          body === undefined ? this.headers : { ...this.headers, 'Content-Type': REGISTRY_CONTENT_TYPE },
        body: body === undefined ? null : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new SchemaRegistryError(`${method} ${url}: ${(error as Error).message}`, undefined, undefined, {
        cause: error,
      });
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch (error) {
      throw new SchemaRegistryError(
        `${method} ${url}: ${response.status}, not JSON`,
        response.status,
        undefined,
        {
          cause: error,
        },
      );
    }
    if (!response.ok) {
      const errorCode =
        isRecord(parsed) && typeof parsed.error_code === 'number' ? parsed.error_code : undefined;
      const message = isRecord(parsed) && typeof parsed.message === 'string' ? parsed.message : text;
      throw new SchemaRegistryError(
        `${method} ${url}: ${response.status} ${message}`,
        response.status,
        errorCode,
      );
    }
    return parsed;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Writes records of one schema under its registry id for a topic. */
export class ConfluentEncoder<N extends MessageName> {
  private readonly scratch = new ScratchBuffer();
  readonly header: Buffer;

  private constructor(
    readonly schema: WireSchema<N>,
    readonly schemaId: number,
  ) {
    this.header = confluentHeader(schemaId);
  }

  /** Registers the schema under `<topic>-value` (once per client), then encodes without I/O. */
  static async create<N extends MessageName>(
    registry: SchemaRegistryClient,
    topic: string,
    schema: WireSchema<N>,
  ): Promise<ConfluentEncoder<N>> {
    const id = await registry.register(valueSubject(topic), JSON.stringify(schema.schema));
    return new ConfluentEncoder(schema, id);
  }

  /** Encodes a record of the schema; the record is not validated (records.ts types it). */
  encode(record: WireRecords[N]): Buffer {
    return this.scratch.encode(this.schema.type, record, this.header);
  }
}

/** Writes metric batches from the model under the encoder's schema id (metric-batch-writer.ts). */
export function confluentMetricBatchWriter(encoder: ConfluentEncoder<'MetricBatch'>): MetricBatchWriter {
  return new MetricBatchWriter(encoder.schema, encoder.header);
}

interface RegistryWriter {
  readonly schema: WireSchema;
  readonly resolver: avro.Resolver | undefined;
}

export interface ConfluentDecoderOptions {
  /**
   * How long an id the registry does not know stays unknown without asking again, so a
   * stream of poison messages does not become a stream of registry requests.
   */
  unknownIdCacheMs?: number;
}

/** Reads messages written under any registry id into the reader schema. */
export class ConfluentDecoder<N extends MessageName> {
  private readonly writers = new Map<number, Promise<RegistryWriter>>();
  private readonly unknownUntil = new Map<number, number>();
  private readonly unknownIdCacheMs: number;

  constructor(
    private readonly registry: SchemaRegistryClient,
    readonly reader: WireSchema<N>,
    options: ConfluentDecoderOptions = {},
  ) {
    this.unknownIdCacheMs = options.unknownIdCacheMs ?? 60_000;
  }

  /** Decodes one message; rejects with WireError for anything that is not one. */
  async decode(bytes: Uint8Array): Promise<WireRecords[N]> {
    const message = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (message.length > 0 && message[0] !== CONFLUENT_MAGIC_BYTE) {
      throw new WireError('bad_marker', `${this.reader.name}: magic byte ${message[0]}, not 0`);
    }
    if (message.length < CONFLUENT_HEADER_LENGTH) {
      throw new WireError(
        'truncated',
        `${this.reader.name}: ${message.length} bytes, shorter than the header`,
      );
    }
    const id = message.readInt32BE(1);
    const writer = await this.writer(id);
    const what = `${this.reader.name} written with schema id ${id}`;
    return decodeDatum(
      this.reader.type,
      writer.resolver,
      message,
      CONFLUENT_HEADER_LENGTH,
      what,
    ) as WireRecords[N];
  }

  private writer(id: number): Promise<RegistryWriter> {
    const until = this.unknownUntil.get(id);
    if (until !== undefined) {
      if (Date.now() < until) {
        return Promise.reject(
          new WireError('unknown_schema_id', `${this.reader.name}: schema id ${id} is not registered`),
        );
      }
      this.unknownUntil.delete(id);
    }
    let pending = this.writers.get(id);
    if (pending === undefined) {
      pending = this.loadWriter(id);
      this.writers.set(id, pending);
      // An id's schema never changes, so incompatibility is for good; anything else is asked again
      // (unknown ids after unknownIdCacheMs).
      pending.catch((error: unknown) => {
        if (!(error instanceof WireError && error.reason === 'incompatible_schema')) this.writers.delete(id);
      });
    }
    return pending;
  }

  private async loadWriter(id: number): Promise<RegistryWriter> {
    if (id <= 0)
      throw new WireError('unknown_schema_id', `${this.reader.name}: schema id ${id} is never assigned`);
    let registered: RegisteredSchema;
    try {
      registered = await this.registry.schemaById(id);
    } catch (error) {
      if (error instanceof SchemaRegistryError && error.status === 404) {
        this.unknownUntil.set(id, Date.now() + this.unknownIdCacheMs);
        throw new WireError('unknown_schema_id', `${this.reader.name}: schema id ${id} is not registered`, {
          cause: error,
        });
      }
      throw new WireError(
        'registry_unavailable',
        `${this.reader.name}: schema id ${id}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    if (registered.schemaType !== undefined && registered.schemaType !== 'AVRO') {
      throw new WireError(
        'incompatible_schema',
        `${this.reader.name}: schema id ${id} is ${registered.schemaType}`,
      );
    }
    try {
      const schema = wireSchema(`registry:${id}`, this.reader.name, JSON.parse(registered.schema));
      const resolver =
        schema.fingerprint === this.reader.fingerprint
          ? undefined
          : this.reader.type.createResolver(schema.type);
      return { schema, resolver };
    } catch (error) {
      throw new WireError(
        'incompatible_schema',
        `${this.reader.name}: schema id ${id} cannot be read as ${this.reader.version}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}
