/**
 * Seeded, deterministic fuzzing of the StatsD engine with fast-check:
 *  - valid-by-construction lines (every type and optional field, fields in random order, tags
 *    in every spelling) are all accepted and aggregate to what a simple oracle computes;
 *  - invalid-by-construction lines are each rejected with the reason they were built for;
 *  - >= 100,000 lines mixing both with mutated lines (byte flips, truncations, inserted
 *    separators, invalid UTF-8, huge numbers, empty fields), packed into packets: nothing
 *    throws, every non-empty line is counted, rejects come only from the bad lines, and the
 *    valid lines' series still match the oracle.
 * Valid series are named "v...", mutated ones "m..." (mutations never touch the first byte,
 * so a mutated line can never land in a valid series), invalid ones "x...".
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StatsdEngine } from '../../agent/pipelines/statsd-engine.js';
import { REJECT_REASON_NAMES } from '../../agent/sources/statsd/reject-reason.js';
import type { Datapoint, MetricKind } from '../../lib/model/datapoint.js';
import { engine, rejects, seriesKey } from './helpers.js';

const SEED = 0x5eed_2024;
const FLUSH_AT = 10_000;
const MAX_LINE = 1024;
const options = { maxLineLength: MAX_LINE, maxPacketSize: 65_535 } as const;

// ---------------------------------------------------------------------------------------------
// Valid lines

interface ValidLine {
  text: string;
  kind: MetricKind;
  /** Series identity as the engine must report it (sanitized name, merged tags, container). */
  name: string;
  tags: Record<string, string>;
  containerId: string | undefined;
  timeMs: number;
  values: number[];
  deltas: boolean[];
  member: string;
  rate: number;
}

const NAME_PARTS = ['a', 'b', 'req', 'lat', 'x y', 'p/q', 'é', 'ok!', '9', '_', '.', '-'];

function sanitize(raw: string): string {
  return raw
    .replace(/[ \t]/g, '_')
    .replace(/\//g, '-')
    .replace(/[^A-Za-z0-9_.-]/g, '');
}

const numberText = fc
  .record({
    sign: fc.constantFrom('', '', '-', '+'),
    int: fc.oneof(fc.constant(''), fc.nat({ max: 999_999 }).map(String)),
    frac: fc.option(fc.nat({ max: 9999 }).map(String), { nil: undefined }),
    exp: fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.nat({ max: 5 })), {
      nil: undefined,
    }),
  })
  .map(({ sign, int, frac, exp }) => {
    let t = int;
    if (frac !== undefined) t += `.${frac}`;
    if (t === '') t = '0';
    if (exp !== undefined) t += `${exp[0]}${exp[1]}${exp[2]}`;
    return sign + t;
  });

const memberText = fc.string({
  unit: fc.constantFrom(...'abcXYZ019:#@,=.-_ é/+'.split('')),
  minLength: 1,
  maxLength: 8,
});

interface TagEntry {
  key: string | null;
  value: string;
  text: string;
}

const tagEntry: fc.Arbitrary<TagEntry> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.constantFrom('env', 'region', 'host', 'k', 'url', 'a.b'),
        fc.constantFrom('prod', 'eu', 'a:b:c', '', 'x y', 'é', '1', 'http://h:80/p'),
      )
      .map(([key, value]) => ({ key, value, text: `${key}:${value}` })),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom('canary', 'bare', 'k').map((key) => ({ key, value: '', text: key })),
  },
  { weight: 1, arbitrary: fc.constant({ key: null, value: '', text: '' }) },
);

const validLine: fc.Arbitrary<ValidLine> = fc
  .record({
    nameParts: fc.array(fc.constantFrom(...NAME_PARTS), { minLength: 0, maxLength: 3 }),
    type: fc.constantFrom('c', 'c', 'g', 'ms', 'h', 'd', 's'),
    values: fc.array(numberText, { minLength: 1, maxLength: 3 }),
    member: memberText,
    rate: fc.option(fc.constantFrom('1', '0.5', '0.25', '.1', '1e-1', '0.3', '0.001'), { nil: undefined }),
    influx: fc.array(
      fc.tuple(fc.constantFrom('env', 'host', 'k'), fc.constantFrom('prod', 'a', '', 'b.c', 'x y')),
      { maxLength: 2 },
    ),
    dogTags: fc.array(tagEntry, { maxLength: 4 }),
    tagSplit: fc.nat({ max: 4 }),
    emptyTagField: fc.boolean(),
    container: fc.option(fc.constantFrom('c1', 'c2', 'ci-1:in-2'), { nil: undefined }),
    timestamp: fc.option(fc.constantFrom(1_700_000_000, 1_700_000_010), { nil: undefined }),
    unknown: fc.option(fc.constantFrom('x:y', 'e:ext', 'card:low', 'zz', 'c'), { nil: undefined }),
    emptyFields: fc.nat({ max: 2 }),
    trailingPipe: fc.boolean(),
  })
  .chain((spec) => {
    const fields: string[] = [];
    if (spec.rate !== undefined) fields.push(`@${spec.rate}`);
    const tagTexts = spec.dogTags.map((t) => t.text);
    const split = Math.min(spec.tagSplit, tagTexts.length);
    if (tagTexts.length > 0) {
      if (split > 0 && split < tagTexts.length) {
        fields.push(`#${tagTexts.slice(0, split).join(',')}`, `#${tagTexts.slice(split).join(',')}`);
      } else fields.push(`#${tagTexts.join(',')}`);
    } else if (spec.emptyTagField) fields.push('#');
    if (spec.container !== undefined) fields.push(`c:${spec.container}`);
    if (spec.timestamp !== undefined) fields.push(`T${spec.timestamp}`);
    if (spec.unknown !== undefined) fields.push(spec.unknown);
    for (let i = 0; i < spec.emptyFields; i++) fields.push('');
    return fc
      .shuffledSubarray(fields, { minLength: fields.length, maxLength: fields.length })
      .map((ordered): ValidLine => {
        const rawName = `v${spec.nameParts.join('')}`;
        const influx = spec.influx.map(([k, v]) => `,${k}=${v}`).join('');
        const isSet = spec.type === 's';
        const valueText = isSet ? spec.member : spec.values.join(':');
        let text = `${rawName}${influx}:${valueText}|${spec.type}`;
        for (const f of ordered) text += `|${f}`;
        if (spec.trailingPipe) text += '|';

        // Influx tags first, then every "#" field in the order it ended up on the line.
        const tags: Record<string, string> = {};
        for (const [k, v] of spec.influx) tags[k] = v;
        for (const f of ordered) {
          if (!f.startsWith('#')) continue;
          for (const entry of f.slice(1).split(',')) {
            if (entry === '') continue;
            const colon = entry.indexOf(':');
            if (colon === -1) tags[entry] = '';
            else tags[entry.slice(0, colon)] = entry.slice(colon + 1);
          }
        }
        const kind: MetricKind =
          spec.type === 'c' ? 'counter' : spec.type === 'g' ? 'gauge' : spec.type === 's' ? 'set' : 'timer';
        return {
          text,
          kind,
          name: sanitize(rawName),
          tags,
          containerId: spec.container,
          timeMs: spec.timestamp === undefined ? FLUSH_AT : spec.timestamp * 1000,
          values: isSet ? [] : spec.values.map(Number),
          deltas: isSet ? [] : spec.values.map((v) => v.startsWith('+') || v.startsWith('-')),
          member: spec.member,
          rate: spec.rate === undefined ? 1 : Number(spec.rate),
        };
      });
  });

/** What the engine must report for a run of valid lines, keyed by series and time. */
interface Expected {
  kind: MetricKind;
  value: number;
  /** Sum of |terms|, to scale the tolerance of float sums. */
  magnitude: number;
  members?: Set<string>;
  count?: number;
  min?: number;
  max?: number;
}

function oracle(lines: readonly ValidLine[]): Map<string, Expected> {
  const out = new Map<string, Expected>();
  for (const line of lines) {
    const key = `${seriesKey(line)}@${line.timeMs}`;
    let e = out.get(key);
    if (e === undefined) {
      e = { kind: line.kind, value: 0, magnitude: 0 };
      if (line.kind === 'set') e.members = new Set();
      if (line.kind === 'timer') Object.assign(e, { count: 0, min: Infinity, max: -Infinity });
      out.set(key, e);
    }
    const weight = 1 / line.rate;
    switch (line.kind) {
      case 'counter':
        for (const v of line.values) {
          e.value += v * weight;
          e.magnitude += Math.abs(v * weight);
        }
        break;
      case 'gauge':
        line.values.forEach((v, i) => {
          e.value = line.deltas[i] ? e.value + v : v;
          e.magnitude += Math.abs(v);
        });
        break;
      case 'set':
        e.members!.add(line.member);
        e.value = e.members!.size;
        break;
      case 'timer':
        for (const v of line.values) {
          e.count! += weight;
          e.min = Math.min(e.min!, v);
          e.max = Math.max(e.max!, v);
        }
        break;
    }
  }
  return out;
}

function close(actual: number, expected: number, magnitude: number): boolean {
  return Math.abs(actual - expected) <= 1e-9 * Math.max(1, magnitude, Math.abs(expected));
}

/** Compares the datapoints named "v..." with the oracle; returns the first difference found. */
function diffAgainstOracle(points: readonly Datapoint[], lines: readonly ValidLine[]): string | null {
  const expected = oracle(lines);
  const seen = new Set<string>();
  for (const p of points) {
    if (!p.name.startsWith('v')) continue;
    const key = `${seriesKey(p)}@${p.timeMs}`;
    const want = expected.get(key);
    if (want === undefined) {
      const near = lines
        .filter((l) => l.name === p.name && l.kind === p.kind)
        .map((l) => `${l.text} -> ${seriesKey(l)}`);
      return `unexpected datapoint ${key} = ${p.value}; lines named so: ${near.slice(0, 5).join(' ; ')}`;
    }
    if (seen.has(key)) return `duplicate datapoint ${key}`;
    seen.add(key);
    if (want.kind === 'timer') {
      const t = p.timer!;
      if (!close(t.count, want.count!, want.count!))
        return `${key}: count ${t.count}, expected ${want.count}`;
      if (t.min !== want.min || t.max !== want.max) {
        return `${key}: min/max ${t.min}/${t.max}, expected ${want.min}/${want.max}`;
      }
    } else if (!close(p.value, want.value, want.magnitude)) {
      return `${key}: value ${p.value}, expected ${want.value}`;
    }
  }
  for (const [key, want] of expected) {
    if (seen.has(key)) continue;
    const near = lines.filter((l) => `${seriesKey(l)}@${l.timeMs}` === key).map((l) => l.text);
    return `missing datapoint ${key} (${want.kind}) from ${near.slice(0, 5).join(' ; ')}`;
  }
  return null;
}

function expectOracle(points: readonly Datapoint[], lines: readonly ValidLine[]): void {
  const diff = diffAgainstOracle(points, lines);
  if (diff !== null) throw new Error(diff);
}

// ---------------------------------------------------------------------------------------------
// Invalid lines: each built to be rejected for one reason

interface InvalidLine {
  bytes: Buffer;
  reason: string;
}

const xName = fc.nat({ max: 50 }).map((n) => `x${n}`);
const suffix = fc.constantFrom('', '|#k:v', '|@0.5', '|c:box');

const invalidLine: fc.Arbitrary<InvalidLine> = fc
  .oneof(
    fc
      .tuple(xName, fc.constantFrom('zz', 'C', 'm', 'mss', '', ' c', 'cs', 'G', 'msx', 'S'), suffix)
      .map(([n, t, s]) => ({ text: `${n}:1|${t}${s}`, reason: 'unknown_type' })),
    fc
      .tuple(
        xName,
        fc.constantFrom('0x10', '1_000', ' 1', 'abc', '1.2.3', '--1', '1e', '.', '+', '1,5'),
        suffix,
      )
      .map(([n, v, s]) => ({ text: `${n}:${v}|c${s}`, reason: 'not_a_number' })),
    fc
      .tuple(
        xName,
        fc.constantFrom('NaN', 'inf', '-Infinity', '1e999', '9'.repeat(400), '1:nan'),
        fc.constantFrom('c', 'g', 'ms', 'h', 'd'),
      )
      .map(([n, v, t]) => ({ text: `${n}:${v}|${t}`, reason: 'non_finite' })),
    fc
      .tuple(xName, fc.constantFrom('|c', ':|c', '', ':1::2|c', ':1:|g', '|ms|@0.5'))
      .map(([n, rest]) => ({ text: `${n}${rest}`, reason: 'no_value' })),
    fc
      .constantFrom(':1|c', '!!:1|c', 'éé:1|g', ':5|ms|#k:v', ',k=v:1|c')
      .map((text) => ({ text, reason: 'empty_name' })),
    fc
      .tuple(
        xName,
        fc.constantFrom('0', '1.5', '-1', '', 'abc', '2', '0x1', 'NaN'),
        fc.constantFrom('c', 'g', 'ms', 's'),
      )
      .map(([n, r, t]) => ({ text: `${n}:1|${t}|@${r}`, reason: 'bad_sample_rate' })),
    fc
      .tuple(xName, fc.constantFrom('|#:v', '|#k:v,:w', '|#k:\u0001', '|#a|#:b'))
      .map(([n, t]) => ({ text: `${n}:1|c${t}`, reason: 'malformed_tags' })),
    xName.map((n) => ({ text: `${n},k:1|c`, reason: 'malformed_tags' })),
    fc
      .tuple(xName, fc.constantFrom('', '1.5', '-5', 'abc', '1700000000000'))
      .map(([n, t]) => ({ text: `${n}:1|c|T${t}`, reason: 'bad_timestamp' })),
    fc
      .constantFrom(
        '_sc|svc.up|0',
        '_sc|svc.up|2|#env:prod|m:down',
        '_e{5,4}:hello|text',
        '_e{2,2}:ab|cd|#k:v',
      )
      .map((text) => ({ text, reason: 'unsupported' })),
    fc
      .tuple(xName, fc.constantFrom('c', 'g', 'ms', 's'))
      .map(([n, t]) => ({ text: `${n}:1|${t}|c:`, reason: 'bad_container' })),
    xName.map((n) => ({ text: `${n}:${'1'.repeat(MAX_LINE)}|c`, reason: 'line_too_long' })),
  )
  .map(({ text, reason }) => ({ bytes: Buffer.from(text, 'utf8'), reason }));

const invalidUtf8Line: fc.Arbitrary<InvalidLine> = fc
  .tuple(xName, fc.constantFrom([0xff], [0xc3], [0xed, 0xa0, 0x80], [0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]))
  .map(([n, bad]) => ({
    bytes: Buffer.concat([Buffer.from(n), Buffer.from(bad), Buffer.from(':1|c')]),
    reason: 'invalid_utf8',
  }));

// ---------------------------------------------------------------------------------------------
// Mutations of valid lines (renamed "m...")

type Mutation =
  | { op: 'flip'; at: number; byte: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: number[] };

const insertable = fc.constantFrom(
  ...[
    '|',
    ':',
    '#',
    '@',
    ',',
    '=',
    '||',
    '|#',
    '|@',
    '|c:',
    '|T',
    '\r',
    '1e999',
    '9'.repeat(400),
    '-',
    '.',
    ' ',
  ].map((s) => [...Buffer.from(s)]),
  [0xff],
  [0xc3],
  [0x80],
  [0xed, 0xa0, 0x80],
  [0xe2, 0x82],
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    op: fc.constant('flip' as const),
    at: fc.nat(),
    byte: fc.nat({ max: 255 }).filter((b) => b !== 10),
  }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: insertable }),
);

/** Applies mutations, never to byte 0 (the "m" that keeps mutated series apart) and never adding "\n". */
function mutate(text: string, mutations: readonly Mutation[]): Buffer {
  let bytes = [...Buffer.from(`m${text.slice(1)}`, 'utf8')];
  for (const m of mutations) {
    const at = 1 + (m.at % bytes.length);
    if (m.op === 'flip') {
      if (at < bytes.length) bytes[at] = m.byte;
    } else if (m.op === 'truncate') bytes = bytes.slice(0, at);
    else bytes.splice(at, 0, ...m.bytes);
  }
  return Buffer.from(bytes);
}

/**
 * Random bytes, never "\n" and never "v" (so no valid series can come of them), never a lone
 * "\r" (framing); often starting with a separator.
 */
const garbageLine = fc
  .tuple(
    fc.constantFrom('', '|', ':', '#', '@', ',', '||', '|c', ':|'),
    fc.uint8Array({ minLength: 0, maxLength: 40 }),
  )
  .map(([head, body]) => {
    const bytes = [...Buffer.from(head), ...body].map((b) => (b === 10 ? 32 : b === 118 ? 119 : b));
    if (bytes.length === 0 || (bytes.length === 1 && bytes[0] === 13)) bytes.unshift(0x7c);
    return Buffer.from(bytes);
  });

// ---------------------------------------------------------------------------------------------
// Pools: generating a structured line costs ~100 us in fast-check, so runs draw valid and
// invalid lines from seeded pools and only the mutations are generated afresh per line.

const VALID_POOL: readonly ValidLine[] = fc.sample(validLine, { seed: SEED, numRuns: 5000 });
const INVALID_POOL: readonly InvalidLine[] = fc.sample(
  fc.oneof({ weight: 12, arbitrary: invalidLine }, { weight: 1, arbitrary: invalidUtf8Line }),
  { seed: SEED + 1, numRuns: 1200 },
);

const validPick = fc.nat({ max: VALID_POOL.length - 1 }).map((i) => VALID_POOL[i]!);
const invalidPick = fc.nat({ max: INVALID_POOL.length - 1 }).map((i) => INVALID_POOL[i]!);
const mutatedLine = fc
  .tuple(validPick, fc.array(mutation, { minLength: 1, maxLength: 3 }))
  .map(([line, mutations]) => mutate(line.text, mutations));

// ---------------------------------------------------------------------------------------------
// Packing

type Entry =
  | { type: 'valid'; line: ValidLine }
  | { type: 'invalid'; line: InvalidLine }
  | { type: 'mutated'; bytes: Buffer };

function entryBytes(e: Entry): Buffer {
  if (e.type === 'valid') return Buffer.from(e.line.text, 'utf8');
  if (e.type === 'invalid') return e.line.bytes;
  return e.bytes;
}

interface Packing {
  /** Lines per packet, cycled. */
  sizes: number[];
  /** Per packet: "\n" or "\r\n" separators, a trailing newline, blank lines, TCP or UDP. */
  crlf: boolean[];
  trailing: boolean[];
  blank: number[];
  tcp: boolean[];
}

const packing: fc.Arbitrary<Packing> = fc.record({
  sizes: fc.array(fc.integer({ min: 1, max: 25 }), { minLength: 1, maxLength: 20 }),
  crlf: fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }),
  trailing: fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }),
  blank: fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 11 }),
  tcp: fc.array(fc.boolean(), { minLength: 1, maxLength: 13 }),
});

/** Non-empty lines in a buffer as the protocol frames them: "" and a lone "\r" are framing. */
function countLines(buf: Buffer): number {
  let n = 0;
  let start = 0;
  while (start <= buf.length) {
    let end = buf.indexOf(10, start);
    if (end === -1) end = buf.length;
    if (end > start && !(end === start + 1 && buf[start] === 13)) n++;
    start = end + 1;
  }
  return n;
}

/** Packs lines into datagrams (or TCP chunks), feeds them, and returns the lines framed. */
function feedPacked(e: StatsdEngine, lines: readonly Buffer[], p: Packing): number {
  let framed = 0;
  let i = 0;
  for (let k = 0; i < lines.length; k++) {
    const size = p.sizes[k % p.sizes.length]!;
    const sep = Buffer.from(p.crlf[k % p.crlf.length] ? '\r\n' : '\n');
    const blank = p.blank[k % p.blank.length]!;
    const parts: Buffer[] = [];
    for (let j = 0; j < size && i < lines.length; j++, i++) {
      if (j > 0) parts.push(sep);
      parts.push(lines[i]!);
      if (j === 0) for (let b = 0; b < blank; b++) parts.push(sep);
    }
    if (p.trailing[k % p.trailing.length]) parts.push(sep);
    const packet = Buffer.concat(parts);
    framed += countLines(packet);
    if (p.tcp[k % p.tcp.length]) e.ingestLines(packet);
    else e.ingestPacket(packet);
  }
  return framed;
}

/** When valid lines were rejected, finds the first one and its reason, for the failure message. */
function firstRejected(lines: readonly Buffer[]): string {
  for (const line of lines) {
    const e = engine(options);
    e.ingestPacket(line);
    if (e.stats.rejectedTotal > 0)
      return `${JSON.stringify(line.toString('utf8'))} -> ${JSON.stringify(rejects(e))}`;
  }
  return 'no single line is rejected on its own';
}

/** Runs f, turning an exception into a message naming what was being fed. */
function noThrow(f: () => void, what: () => string): void {
  try {
    f();
  } catch (error) {
    throw new Error(`threw ${String(error)} while feeding ${what()}`);
  }
}

/** When the line count is off, finds a line that alone is not counted as exactly one line. */
function firstMiscounted(lines: readonly Buffer[]): string {
  for (const line of lines) {
    const e = engine(options);
    e.ingestPacket(line);
    if (e.stats.lines !== 1)
      return `${JSON.stringify(line.toString('utf8'))} counted as ${e.stats.lines} lines`;
  }
  return 'no single line is miscounted on its own';
}

function firstThrowing(lines: readonly Buffer[]): string {
  for (const line of lines) {
    const e = engine(options);
    try {
      e.ingestPacket(line);
      e.flush(FLUSH_AT);
    } catch {
      return JSON.stringify(line.toString('utf8'));
    }
  }
  return 'the batch (no single line throws on its own)';
}

/** Fails with the assertion's own message and the replay path, not the whole 1000-line batch. */
function params(numRuns: number): fc.Parameters<unknown> {
  return {
    seed: SEED,
    numRuns,
    endOnFailure: true,
    reporter(out) {
      if (!out.failed) return;
      const cause =
        out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
      throw new Error(`property failed (seed ${out.seed}, path ${out.counterexamplePath}): ${cause}`);
    },
  };
}

// ---------------------------------------------------------------------------------------------

describe('fuzz', () => {
  it('valid-by-construction lines are all accepted and match the oracle', () => {
    // The whole pool once, packed, then random batches of it.
    const all = engine(options);
    const buffers = VALID_POOL.map((l) => Buffer.from(l.text, 'utf8'));
    noThrow(
      () =>
        feedPacked(all, buffers, {
          sizes: [1, 7, 30],
          crlf: [false],
          trailing: [true],
          blank: [0],
          tcp: [false],
        }),
      () => firstThrowing(buffers),
    );
    expect(all.stats.lines).toBe(VALID_POOL.length);
    if (all.stats.rejectedTotal !== 0) throw new Error(`valid line rejected: ${firstRejected(buffers)}`);
    expectOracle(all.flush(FLUSH_AT), VALID_POOL);

    let total = 0;
    fc.assert(
      fc.property(fc.array(validPick, { minLength: 1000, maxLength: 1000 }), packing, (lines, p) => {
        const e = engine(options);
        const batch = lines.map((l) => Buffer.from(l.text, 'utf8'));
        let framed = 0;
        noThrow(
          () => {
            framed = feedPacked(e, batch, p);
          },
          () => firstThrowing(batch),
        );
        total += lines.length;
        expect(framed).toBe(lines.length);
        if (e.stats.lines !== lines.length) {
          throw new Error(
            `stats.lines ${e.stats.lines}, expected ${lines.length}: ${firstMiscounted(batch)}`,
          );
        }
        if (e.stats.rejectedTotal !== 0) throw new Error(`valid line rejected: ${firstRejected(batch)}`);
        expect(e.aggregator.dropped).toEqual({ cardinality_total: 0, cardinality_container: 0 });
        expectOracle(e.flush(FLUSH_AT), lines);
      }),
      params(20),
    );
    expect(total).toBe(20_000);
  });

  it('invalid-by-construction lines are each rejected with their reason', () => {
    // Every pooled invalid line, each in its own datagram so a wrong reason names its line.
    const e = engine(options);
    const expected: Record<string, number> = {};
    const wrong: string[] = [];
    for (const line of INVALID_POOL) {
      const before = rejects(e);
      noThrow(
        () => e.ingestPacket(line.bytes),
        () => JSON.stringify(line.bytes.toString('utf8')),
      );
      const after = rejects(e);
      const changed = Object.keys(after).filter((k) => after[k] !== (before[k] ?? 0));
      if (changed.length !== 1 || changed[0] !== line.reason) {
        wrong.push(
          `${JSON.stringify(line.bytes.toString('utf8').slice(0, 60))}: ${changed} instead of ${line.reason}`,
        );
      }
      expected[line.reason] = (expected[line.reason] ?? 0) + 1;
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(rejects(e)).toEqual(expected);
    expect(Object.keys(expected).sort()).toEqual(
      REJECT_REASON_NAMES.filter((r) => r !== 'none' && r !== 'packet_too_large').sort(),
    );
    expect(e.stats.lines).toBe(INVALID_POOL.length);
    expect(e.flush(FLUSH_AT)).toEqual([]);
    expect(e.aggregator.liveSeries).toBe(0);
  });

  it('an oversized datagram is rejected whole and its lines are not counted', () => {
    const e = engine({ ...options, maxPacketSize: 1000 });
    const packet = Buffer.from(Array.from({ length: 200 }, (_, i) => `v${i}:1|c`).join('\n'));
    e.ingestPacket(packet);
    expect(rejects(e)).toEqual({ packet_too_large: 1 });
    expect(e.stats.lines).toBe(0);
  });

  it('100,000+ random, invalid and mutated lines packed into packets', () => {
    const entry: fc.Arbitrary<Entry> = fc.oneof(
      { weight: 12, arbitrary: validPick.map((line) => ({ type: 'valid' as const, line })) },
      { weight: 4, arbitrary: invalidPick.map((line) => ({ type: 'invalid' as const, line })) },
      { weight: 5, arbitrary: mutatedLine.map((bytes) => ({ type: 'mutated' as const, bytes })) },
      { weight: 1, arbitrary: garbageLine.map((bytes) => ({ type: 'mutated' as const, bytes })) },
    );
    let fed = 0;
    let mutatedFed = 0;
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1000, maxLength: 1000 }), packing, (entries, p) => {
        const e = engine(options);
        const buffers = entries.map(entryBytes);
        let framed = 0;
        noThrow(
          () => {
            framed = feedPacked(e, buffers, p);
          },
          () => firstThrowing(buffers),
        );
        let points: Datapoint[] = [];
        noThrow(
          () => {
            points = e.flush(FLUSH_AT);
            e.flush(FLUSH_AT + 10_000);
          },
          () => 'flush',
        );
        fed += entries.length;

        // Every non-empty line is counted (mutated and garbage lines are never empty).
        expect(framed).toBe(entries.length);
        if (e.stats.lines !== entries.length) {
          throw new Error(
            `stats.lines ${e.stats.lines}, expected ${entries.length}: ${firstMiscounted(buffers)}`,
          );
        }

        // Rejects come from the invalid lines (each for its reason) and some mutated/garbage ones.
        const invalid: Record<string, number> = {};
        let invalidTotal = 0;
        let mutated = 0;
        for (const en of entries) {
          if (en.type === 'invalid') {
            invalid[en.line.reason] = (invalid[en.line.reason] ?? 0) + 1;
            invalidTotal++;
          } else if (en.type === 'mutated') mutated++;
        }
        mutatedFed += mutated;
        const got = rejects(e);
        for (const [reason, n] of Object.entries(invalid)) {
          expect(got[reason] ?? 0, `rejected as ${reason}`).toBeGreaterThanOrEqual(n);
        }
        const fromMutated = e.stats.rejectedTotal - invalidTotal;
        expect(fromMutated).toBeGreaterThanOrEqual(0);
        expect(fromMutated).toBeLessThanOrEqual(mutated);
        expect(e.stats.rejected.length).toBe(REJECT_REASON_NAMES.length);

        // Nothing from an invalid line got through; the valid lines' series match the oracle.
        expect(points.filter((pt) => pt.name.startsWith('x'))).toEqual([]);
        const valid = entries.flatMap((en) => (en.type === 'valid' ? [en.line] : []));
        expectOracle(points, valid);
      }),
      params(100),
    );
    expect(fed).toBe(100_000);
    expect(mutatedFed).toBeGreaterThan(20_000);
  });
});
