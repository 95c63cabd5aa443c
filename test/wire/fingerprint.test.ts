import { describe, expect, it } from 'vitest';
import { crc64Avro, parsingCanonicalForm, schemaFingerprint } from '../../lib/wire/fingerprint.js';
import { MESSAGE_NAMES, schemaCatalog } from '../../lib/wire/schemas.js';

/**
 * The Avro project's own vectors (apache/avro share/test/data/schema-tests.txt): input schema,
 * Parsing Canonical Form, and CRC-64-AVRO fingerprint as Java prints it (a signed long).
 */
const SPEC_VECTORS: Array<{ input: string; canonical: string; fingerprint?: string }> = [
  { input: '"null"', canonical: '"null"', fingerprint: '7195948357588979594' },
  { input: '{"type":"null"}', canonical: '"null"' },
  { input: '"boolean"', canonical: '"boolean"', fingerprint: '-6970731678124411036' },
  { input: '{"type":"boolean"}', canonical: '"boolean"' },
  { input: '"int"', canonical: '"int"', fingerprint: '8247732601305521295' },
  { input: '"long"', canonical: '"long"', fingerprint: '-3434872931120570953' },
  { input: '"float"', canonical: '"float"', fingerprint: '5583340709985441680' },
  { input: '"double"', canonical: '"double"', fingerprint: '-8181574048448539266' },
  { input: '"bytes"', canonical: '"bytes"', fingerprint: '5746618253357095269' },
  { input: '"string"', canonical: '"string"', fingerprint: '-8142146995180207161' },
  { input: '[  ]', canonical: '[]', fingerprint: '-1241056759729112623' },
  { input: '[ "int"  ]', canonical: '["int"]', fingerprint: '-5232228896498058493' },
  {
    input: '[ "int" , {"type":"boolean"} ]',
    canonical: '["int","boolean"]',
    fingerprint: '5392556393470105090',
  },
  {
    input: '{"fields":[], "type":"record", "name":"foo"}',
    canonical: '{"name":"foo","type":"record","fields":[]}',
    fingerprint: '-4824392279771201922',
  },
  {
    input: '{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}',
    canonical: '{"name":"x.y.foo","type":"record","fields":[]}',
    fingerprint: '5916914534497305771',
  },
  {
    input: '{"fields":[], "type":"record", "name":"a.b.foo", "namespace":"x.y"}',
    canonical: '{"name":"a.b.foo","type":"record","fields":[]}',
    fingerprint: '-4616218487480524110',
  },
  {
    input: '{"fields":[], "type":"record", "name":"foo", "doc":"foo", "aliases":["foo","bar"]}',
    canonical: '{"name":"foo","type":"record","fields":[]}',
    fingerprint: '-4824392279771201922',
  },
  {
    input: '{"fields":[{"type":{"type":"boolean"}, "name":"f1"}], "type":"record", "name":"foo"}',
    canonical: '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}',
    fingerprint: '7843277075252814651',
  },
  {
    input: `{ "fields":[{"type":"boolean", "aliases":[], "name":"f1", "default":"true"},
                {"order":"descending","name":"f2","doc":"Hello","type":"int"}],
             "type":"record", "name":"foo" }`,
    canonical:
      '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},{"name":"f2","type":"int"}]}',
    fingerprint: '-4860222112080293046',
  },
  {
    input: '{"type":"enum", "name":"foo", "symbols":["A1"]}',
    canonical: '{"name":"foo","type":"enum","symbols":["A1"]}',
    fingerprint: '-6342190197741309591',
  },
  {
    input: '{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}',
    canonical: '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}',
    fingerprint: '-4448647247586288245',
  },
  {
    input: '{"name":"foo","type":"fixed","size":15}',
    canonical: '{"name":"foo","type":"fixed","size":15}',
    fingerprint: '1756455273707447556',
  },
  {
    input: '{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}',
    canonical: '{"name":"x.y.z.foo","type":"fixed","size":32}',
    fingerprint: '-3064184465700546786',
  },
  {
    input: '{ "items":{"type":"null"}, "type":"array"}',
    canonical: '{"type":"array","items":"null"}',
    fingerprint: '-589620603366471059',
  },
  {
    input: '{ "values":"string", "type":"map"}',
    canonical: '{"type":"map","values":"string"}',
    fingerprint: '-8732877298790414990',
  },
  {
    input: `{"name":"PigValue","type":"record",
             "fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}`,
    canonical:
      '{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}',
    fingerprint: '-1759257747318642341',
  },
];

describe('CRC-64-AVRO fingerprints', () => {
  it('fingerprints "null" as the spec says: 0x63dd24e7cc258f8a', () => {
    expect(crc64Avro('"null"')).toBe(0x63dd24e7cc258f8an);
  });

  it.each(SPEC_VECTORS)('canonicalizes and fingerprints $input', ({ input, canonical, fingerprint }) => {
    const schema: unknown = JSON.parse(input);
    expect(parsingCanonicalForm(schema)).toBe(canonical);
    if (fingerprint !== undefined)
      expect(schemaFingerprint(schema)).toBe(BigInt.asUintN(64, BigInt(fingerprint)));
  });

  it('fingerprints the empty string as the polynomial itself', () => {
    expect(crc64Avro('')).toBe(0xc15d213aa4d7a795n);
  });

  it.each(MESSAGE_NAMES)('%s: our canonical form is the one avsc derives independently', (name) => {
    const schema = schemaCatalog().currentSchema(name);
    expect(schema.canonicalForm).toBe(JSON.stringify(schema.type.schema()));
    expect(schema.canonicalForm).not.toContain('doc');
    expect(schema.canonicalForm).not.toContain('logicalType');
    expect(schema.fingerprintBytes.readBigUInt64LE(0)).toBe(schema.fingerprint);
  });

  it('gives every message its own fingerprint', () => {
    const fingerprints = MESSAGE_NAMES.map((name) => schemaCatalog().currentSchema(name).fingerprint);
    expect(new Set(fingerprints).size).toBe(MESSAGE_NAMES.length);
  });
});
