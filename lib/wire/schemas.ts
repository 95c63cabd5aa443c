/**
 * The released Avro schemas (schemas/avro/v*), loaded as avsc types with their fingerprints.
 *
 * Each version directory holds one .avsc file per message and one per shared named type
 * (Dimensions). A message references shared types by name; loading inlines each at its first
 * use, so every message schema is self-contained: what gets fingerprinted, registered with a
 * Confluent registry, and read by other languages' Avro libraries.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type avro from 'avsc';
import { boundedType } from './bounded-types.js';
import { fullName, parsingCanonicalForm, type SchemaJson, schemaFingerprint } from './fingerprint.js';

/** The messages corral sends, each a top-level schema file `<name>.avsc`. */
export const MESSAGE_NAMES = ['MetricBatch', 'TaskEvent', 'MetadataUpdate'] as const;
export type MessageName = (typeof MESSAGE_NAMES)[number];

export interface WireSchema<N extends MessageName = MessageName> {
  /** The version directory it was loaded from ("v1"). */
  readonly version: string;
  readonly name: N;
  /** Self-contained schema JSON with docs, defaults and logical types. */
  readonly schema: SchemaJson;
  readonly canonicalForm: string;
  /** CRC-64-AVRO of the canonical form, unsigned. */
  readonly fingerprint: bigint;
  /** The fingerprint as single-object encoding writes it: 8 bytes, little-endian. */
  readonly fingerprintBytes: Buffer;
  /** avsc type with bounded arrays and maps (bounded-types.ts). */
  readonly type: avro.Type;
}

export interface SchemaVersion {
  readonly version: string;
  /** The messages this version defines; a message added later is missing from older ones. */
  readonly messages: ReadonlyMap<MessageName, WireSchema>;
}

/** One message of a version, typed by its name (the map holds each under its own name). */
export function messageOf<N extends MessageName>(version: SchemaVersion, name: N): WireSchema<N> | undefined {
  return version.messages.get(name) as WireSchema<N> | undefined;
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The nearest directory at or above `from` holding a package.json: the repo, or the installed package. */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json at or above ${from}`);
  }
}

/** schemas/avro of this package, the same whether running from TypeScript or from dist/. */
export function defaultAvroDir(): string {
  return join(packageRoot(), 'schemas', 'avro');
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** Full name → definition of every top-level named type in a version directory. */
function namedTypesOf(dir: string): Map<string, Record<string, unknown>> {
  const named = new Map<string, Record<string, unknown>>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.avsc'))) {
    const schema = readJson(join(dir, file));
    if (!isObject(schema) || typeof schema.name !== 'string') {
      throw new Error(`${join(dir, file)}: expected a named type at the top level`);
    }
    named.set(
      fullName(schema.name, typeof schema.namespace === 'string' ? schema.namespace : undefined),
      schema,
    );
  }
  return named;
}

const NAMED_KINDS = new Set(['record', 'error', 'enum', 'fixed']);

/**
 * Replaces the first reference to each named type defined in another file by its
 * definition, in the order a parser meets them (Avro defines a name once, then refers to it).
 */
function inlineNamedTypes(schema: unknown, library: Map<string, Record<string, unknown>>): unknown {
  const defined = new Set<string>();
  const walk = (node: unknown, namespace: string | undefined): unknown => {
    if (typeof node === 'string') {
      if (PRIMITIVES.has(node)) return node;
      const name = fullName(node, namespace);
      const definition = library.get(name);
      if (defined.has(name) || definition === undefined) return node;
      return walk(structuredClone(definition), namespace);
    }
    if (Array.isArray(node)) return node.map((branch) => walk(branch, namespace));
    if (!isObject(node)) return node;
    const kind = node.type;
    if (typeof kind === 'string' && NAMED_KINDS.has(kind)) {
      const name = fullName(
        String(node.name),
        typeof node.namespace === 'string' ? node.namespace : namespace,
      );
      defined.add(name);
      const dot = name.lastIndexOf('.');
      const inner = dot < 0 ? undefined : name.slice(0, dot);
      if (!Array.isArray(node.fields)) return node;
      const fields = node.fields.map((field: unknown) =>
        isObject(field) ? { ...field, type: walk(field.type, inner) } : field,
      );
      return { ...node, fields };
    }
    if (kind === 'array') return { ...node, items: walk(node.items, namespace) };
    if (kind === 'map') return { ...node, values: walk(node.values, namespace) };
    // A primitive or a reference in object form, {"type": "io.corral.Dimensions"}.
    return { ...node, type: walk(kind, namespace) };
  };
  return walk(schema, undefined);
}

/** Builds a WireSchema from a self-contained schema (the registry's, or a test's). */
export function wireSchema<N extends MessageName>(
  version: string,
  name: N,
  schema: SchemaJson,
): WireSchema<N> {
  const fingerprint = schemaFingerprint(schema);
  const fingerprintBytes = Buffer.alloc(8);
  fingerprintBytes.writeBigUInt64LE(fingerprint);
  return {
    version,
    name,
    schema,
    canonicalForm: parsingCanonicalForm(schema),
    fingerprint,
    fingerprintBytes,
    type: boundedType(schema as avro.Schema),
  };
}

/** Loads one version directory: its messages, shared types inlined. */
export function loadSchemaVersion(dir: string, version: string): SchemaVersion {
  const library = namedTypesOf(dir);
  const messages = new Map<MessageName, WireSchema>();
  for (const name of MESSAGE_NAMES) {
    const path = join(dir, `${name}.avsc`);
    if (!existsSync(path)) continue;
    const schema = inlineNamedTypes(readJson(path), library) as SchemaJson;
    try {
      messages.set(name, wireSchema(version, name, schema));
    } catch (error) {
      throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
    }
  }
  return { version, messages };
}

/** Every released version and the current one, as listed in schemas/avro/versions.json. */
export class SchemaCatalog {
  readonly current: SchemaVersion;

  constructor(
    /** Oldest first; the last is not necessarily current (a release may be staged). */
    readonly released: readonly SchemaVersion[],
    currentVersion: string,
  ) {
    const current = released.find((v) => v.version === currentVersion);
    if (current === undefined) throw new Error(`current schema version ${currentVersion} is not released`);
    for (const name of MESSAGE_NAMES) {
      if (!current.messages.has(name))
        throw new Error(`current schema version ${currentVersion} lacks ${name}`);
    }
    this.current = current;
  }

  /** The schema the code writes, and reads every other version into. */
  currentSchema<N extends MessageName>(name: N): WireSchema<N> {
    return messageOf(this.current, name)!;
  }

  /** Every released schema of a message, oldest first: what a reader must accept. */
  writerSchemas<N extends MessageName>(name: N): WireSchema<N>[] {
    return this.released.flatMap((v) => {
      const schema = messageOf(v, name);
      return schema === undefined ? [] : [schema];
    });
  }
}

interface VersionIndex {
  current: string;
  released: string[];
}

function readVersionIndex(avroDir: string): VersionIndex {
  const path = join(avroDir, 'versions.json');
  const index = readJson(path);
  if (
    !isObject(index) ||
    typeof index.current !== 'string' ||
    !Array.isArray(index.released) ||
    !index.released.every((v) => typeof v === 'string')
  ) {
    throw new Error(`${path}: expected {"current": "vN", "released": ["v1", ...]}`);
  }
  return { current: index.current, released: index.released };
}

export function loadSchemaCatalog(avroDir: string = defaultAvroDir()): SchemaCatalog {
  const index = readVersionIndex(avroDir);
  const released = index.released.map((version) => loadSchemaVersion(join(avroDir, version), version));
  return new SchemaCatalog(released, index.current);
}

let defaultCatalog: SchemaCatalog | undefined;

/** This package's schemas, loaded on first use. */
export function schemaCatalog(): SchemaCatalog {
  defaultCatalog ??= loadSchemaCatalog();
  return defaultCatalog;
}
