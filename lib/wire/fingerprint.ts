/**
 * Avro schema fingerprints (Avro spec, "Schema Fingerprints"): CRC-64-AVRO of the Parsing
 * Canonical Form. avsc's own `fingerprint()` hashes its internal schema string with md5 or
 * sha256, which no other Avro implementation would compute, so both are implemented here.
 */

/** The CRC-64-AVRO polynomial, also the fingerprint of the empty string. */
const EMPTY64 = 0xc15d213aa4d7a795n;

const CRC64_TABLE = (() => {
  const table = new BigUint64Array(256);
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let bit = 0; bit < 8; bit++) fp = (fp >> 1n) ^ (EMPTY64 & -(fp & 1n));
    table[i] = fp;
  }
  return table;
})();

/** The 64-bit Rabin fingerprint the Avro spec recommends, as an unsigned 64-bit integer. */
export function crc64Avro(data: Uint8Array | string): bigint {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fp = EMPTY64;
  for (const byte of bytes) fp = (fp >> 8n) ^ CRC64_TABLE[Number((fp ^ BigInt(byte)) & 0xffn)]!;
  return fp;
}

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/** A schema as parsed from JSON. */
export type SchemaJson = string | SchemaJson[] | { [key: string]: unknown };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The full name of a named type: a dotted name stands alone, else the namespace applies. */
export function fullName(name: string, namespace: string | undefined): string {
  return name.includes('.') || namespace === undefined || namespace === '' ? name : `${namespace}.${name}`;
}

function namespaceOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(0, dot);
}

/**
 * The spec's Parsing Canonical Form: full names, only the attributes that affect parsing
 * (name, type, fields, symbols, items, values, size) in that order, no whitespace. Logical
 * types, docs, defaults and aliases are dropped: they do not change the bytes.
 */
export function parsingCanonicalForm(schema: unknown): string {
  return canonical(schema, '');
}

function canonical(schema: unknown, namespace: string): string {
  if (typeof schema === 'string') {
    return JSON.stringify(PRIMITIVES.has(schema) ? schema : fullName(schema, namespace));
  }
  if (Array.isArray(schema)) return `[${schema.map((branch) => canonical(branch, namespace)).join(',')}]`;
  if (!isObject(schema)) throw new TypeError(`not an Avro schema: ${JSON.stringify(schema)}`);
  const type = schema.type;
  if (typeof type !== 'string') return canonical(type, namespace);
  if (PRIMITIVES.has(type)) return JSON.stringify(type);
  switch (type) {
    case 'array':
      return `{"type":"array","items":${canonical(schema.items, namespace)}}`;
    case 'map':
      return `{"type":"map","values":${canonical(schema.values, namespace)}}`;
    case 'record':
    case 'error':
    case 'enum':
    case 'fixed': {
      const name = fullName(
        String(schema.name),
        typeof schema.namespace === 'string' ? schema.namespace : namespace,
      );
      const head = `{"name":${JSON.stringify(name)},"type":${JSON.stringify(type)}`;
      if (type === 'enum') return `${head},"symbols":${JSON.stringify(schema.symbols)}}`;
      if (type === 'fixed') return `${head},"size":${Number(schema.size)}}`;
      const fields = Array.isArray(schema.fields) ? schema.fields : [];
      const inner = namespaceOf(name);
      const parts = fields.map((field: unknown) => {
        if (!isObject(field)) throw new TypeError(`not an Avro field: ${JSON.stringify(field)}`);
        return `{"name":${JSON.stringify(field.name)},"type":${canonical(field.type, inner)}}`;
      });
      return `${head},"fields":[${parts.join(',')}]}`;
    }
    default:
      // A named type referenced with the object form, {"type": "io.corral.Dimensions"}.
      return JSON.stringify(fullName(type, namespace));
  }
}

/** CRC-64-AVRO of the schema's Parsing Canonical Form. */
export function schemaFingerprint(schema: unknown): bigint {
  return crc64Avro(parsingCanonicalForm(schema));
}
