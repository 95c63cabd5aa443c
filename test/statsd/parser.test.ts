/**
 * The accepted line protocol and the reject reasons, through the StatsdEngine facade only:
 * one line in, datapoints (or a reject counter) out.
 */
import { describe, expect, it } from 'vitest';
import { parseStatsdNumber } from '../../agent/sources/statsd/parse-number.js';
import { REJECT_REASON_NAMES, Reject } from '../../agent/sources/statsd/reject-reason.js';
import type { Datapoint } from '../../lib/model/datapoint.js';
import { engine, feed, feedPacket, find, flush, flushOne, rejects } from './helpers.js';

/** Feeds one line to a fresh engine, expects it accepted, and returns the single datapoint. */
function accept(line: string): Datapoint {
  const e = engine();
  feed(e, line);
  expect(rejects(e), `rejects for ${JSON.stringify(line)}`).toEqual({});
  const points = flush(e);
  expect(points, `datapoints for ${JSON.stringify(line)}`).toHaveLength(1);
  return points[0]!;
}

/** Feeds one line to a fresh engine and returns its reject reasons (and that nothing came out). */
function reject(line: string | Buffer): Record<string, number> {
  const e = engine({ maxLineLength: 64 });
  if (typeof line === 'string') feed(e, line);
  else e.ingestPacket(line);
  expect(flush(e), `datapoints for ${JSON.stringify(line.toString())}`).toEqual([]);
  expect(e.stats.lines).toBe(1);
  return rejects(e);
}

describe('metric types', () => {
  it.each([
    ['hits:1|c', 'counter', 1, ''],
    ['temp:21.5|g', 'gauge', 21.5, ''],
    ['lat:12|ms', 'timer', 12, 'ms'],
    ['size:512|h', 'timer', 512, ''],
    ['dur:0.25|d', 'timer', 0.25, ''],
    ['users:alice|s', 'set', 1, ''],
  ] as const)('%s is a %s with value %d and unit %j', (line, kind, value, unit) => {
    const p = accept(line);
    expect(p.kind).toBe(kind);
    expect(p.value).toBe(value);
    expect(p.unit).toBe(unit);
    expect(p.tags).toEqual({});
    expect(p.containerId).toBeUndefined();
    expect(p.timeMs).toBe(10_000);
  });

  it('ms, h and d lines of one name aggregate into one timer series', () => {
    const e = engine();
    feed(e, 'rt:1|ms', 'rt:2|h', 'rt:3|d');
    const points = flush(e);
    expect(points).toHaveLength(1);
    expect(points[0]!.kind).toBe('timer');
    expect(points[0]!.timer!.count).toBe(3);
    expect(points[0]!.timer!.sum).toBe(6);
  });

  it('the same name with different types is one series per type', () => {
    const e = engine();
    feed(e, 'x:1|c', 'x:2|g', 'x:3|ms', 'x:4|s');
    const kinds = flush(e)
      .map((p) => `${p.kind}=${p.value}`)
      .sort();
    expect(kinds).toEqual(['counter=1', 'gauge=2', 'set=1', 'timer=3']);
  });
});

describe('values', () => {
  it.each([
    ['n:0|c', 0],
    ['n:-3|c', -3],
    ['n:+2|c', 2],
    ['n:1.5|c', 1.5],
    ['n:.5|c', 0.5],
    ['n:-.5|c', -0.5],
    ['n:1e3|c', 1000],
    ['n:1E-2|c', 0.01],
    ['n:2.5e+2|c', 250],
    ['n:007|c', 7],
    ['n:123456789012345678|c', 123456789012345680], // correctly rounded to a double
    ['n:1e-400|c', 0],
  ])('%s counts %d', (line, value) => {
    expect(accept(line).value).toBe(value);
  });

  it('negative counter increments are allowed and sum with positive ones', () => {
    const e = engine();
    feed(e, 'n:5|c', 'n:-8|c');
    expect(flushOne(e).n!.value).toBe(-3);
  });

  it.each([
    ['n:0x10|c', 'not_a_number'],
    ['n:1_000|c', 'not_a_number'],
    ['n: 1|c', 'not_a_number'],
    ['n:1 |c', 'not_a_number'],
    ['n:abc|g', 'not_a_number'],
    ['n:1.2.3|c', 'not_a_number'],
    ['n:1e|c', 'not_a_number'],
    ['n:--1|c', 'not_a_number'],
    ['n:+|g', 'not_a_number'],
    ['n:.|ms', 'not_a_number'],
    ['n:1,5|c', 'not_a_number'],
    ['n:NaN|c', 'non_finite'],
    ['n:nan|g', 'non_finite'],
    ['n:inf|c', 'non_finite'],
    ['n:-inf|g', 'non_finite'],
    ['n:Infinity|ms', 'non_finite'],
    ['n:+Infinity|h', 'non_finite'],
    ['n:1e999|c', 'non_finite'],
    ['n:-1e999|d', 'non_finite'],
  ])('%s is rejected as %s', (line, reason) => {
    expect(reject(line)).toEqual({ [reason]: 1 });
  });

  it('parseStatsdNumber parses exactly the strict grammar', () => {
    const parse = (s: string) => parseStatsdNumber(`[${s}]`, 1, s.length + 1);
    expect(parse('42')).toBe(42);
    expect(parse('-42')).toBe(-42);
    expect(parse('+.5')).toBe(0.5);
    expect(parse('6.02e23')).toBe(6.02e23);
    expect(parse('9007199254740993')).toBe(9007199254740992); // correctly rounded
    for (const bad of [
      '',
      '+',
      '-',
      '.',
      'e5',
      '1e',
      '1e+',
      '0x1',
      '1_0',
      ' 1',
      '1 ',
      'Infinity',
      'NaN',
      '1.2.3',
    ]) {
      expect(parse(bad), JSON.stringify(bad)).toBeNaN();
    }
    expect(parse('1e999')).toBe(Number.POSITIVE_INFINITY);
  });

  it('DogStatsD 1.1 multi-values: each value is a sample', () => {
    const e = engine();
    feed(e, 'c:1:2:3|c', 't:3:1:2|d', 's:a:b|s');
    const out = flushOne(e);
    expect(out.c!.value).toBe(6);
    expect(out.t!.timer).toMatchObject({ count: 3, sum: 6, min: 1, max: 3 });
    // A set member is the whole value text, colons included: one member "a:b".
    expect(out.s!.value).toBe(1);
  });

  it('multi-values of a gauge are applied in order', () => {
    const e = engine();
    feed(e, 'g:10:+5:-3|g');
    expect(flushOne(e).g!.value).toBe(12);
    feed(e, 'g:+1:7:-2|g');
    expect(flushOne(e).g!.value).toBe(5);
  });

  it.each([
    ['m:1::2|c', 'no_value'],
    ['m:1:|c', 'no_value'],
    ['m:1:x|c', 'not_a_number'],
    ['m:1:inf|ms', 'non_finite'],
  ])('a bad value among multi-values rejects the whole line: %s -> %s', (line, reason) => {
    expect(reject(line)).toEqual({ [reason]: 1 });
  });
});

describe('gauges', () => {
  it('a plain value sets, a signed value is a delta', () => {
    const e = engine();
    feed(e, 'g:10|g', 'g:+5|g', 'g:-3|g');
    expect(flushOne(e).g!.value).toBe(12);
    feed(e, 'g:4|g');
    expect(flushOne(e).g!.value).toBe(4);
  });

  it('a delta with no current value starts from 0', () => {
    const e = engine();
    feed(e, 'up:+5|g', 'down:-5|g');
    const out = flushOne(e);
    expect(out.up!.value).toBe(5);
    expect(out.down!.value).toBe(-5);
  });

  it('a negative gauge value is set by sending 0 then the negative delta', () => {
    const e = engine();
    feed(e, 'g:10|g', 'g:0|g', 'g:-5|g');
    expect(flushOne(e).g!.value).toBe(-5);
  });

  it('+0 and -0 are deltas that leave the value alone', () => {
    const e = engine();
    feed(e, 'g:7|g', 'g:+0|g', 'g:-0|g');
    expect(flushOne(e).g!.value).toBe(7);
  });
});

describe('sample rates', () => {
  it.each([
    ['r:1|c|@0.5', 2],
    ['r:1|c|@1', 1],
    ['r:3|c|@0.25', 12],
    ['r:1|c|@.1', 10],
    ['r:1|c|@1e-1', 10],
    ['r:2:3|c|@0.5', 10],
    ['r:-1|c|@0.5', -2],
  ])('%s counts %d', (line, value) => {
    const p = accept(line);
    expect(p.value).toBeCloseTo(value, 12);
    expect(p.rate).toBeCloseTo(value / 10, 12);
  });

  it('gauges and sets ignore the sample rate', () => {
    const e = engine();
    feed(e, 'g:5|g|@0.5', 'g2:+5|g|@0.1', 's:a|s|@0.5', 's:b|s|@0.01');
    const out = flushOne(e);
    expect(out.g!.value).toBe(5);
    expect(out.g2!.value).toBe(5);
    expect(out.s!.value).toBe(2);
  });

  it('a sampled timer sample weighs 1/rate in count and sum but not in min/max/mean', () => {
    const p = accept('t:4|ms|@0.25');
    expect(p.timer).toMatchObject({ count: 4, sum: 16, min: 4, max: 4, mean: 4, stddev: 0 });
  });

  it.each([
    ['r:1|c|@0', 'rate 0'],
    ['r:1|c|@-0.5', 'negative'],
    ['r:1|c|@1.5', 'above 1'],
    ['r:1|c|@2', 'above 1'],
    ['r:1|c|@', 'empty'],
    ['r:1|c|@abc', 'not a number'],
    ['r:1|c|@0x1', 'hex'],
    ['r:1|c|@NaN', 'NaN'],
    ['r:1|c|@1e-999', 'underflows to 0'],
    ['r:1|g|@5', 'out of range on a gauge'],
    ['r:a|s|@0', 'out of range on a set'],
    ['r:1|ms|@ 0.5', 'space'],
  ])('%s is rejected as bad_sample_rate (%s)', (line) => {
    expect(reject(line)).toEqual({ bad_sample_rate: 1 });
  });
});

describe('fields after the type', () => {
  it.each([
    ['f:1|c|', 'trailing empty field'],
    ['f:1|c||', 'two trailing empty fields'],
    ['f:1|c|x:whatever', 'unknown field'],
    ['f:1|c|e:external', 'DogStatsD external data field'],
    ['f:1|c|card:high', 'DogStatsD cardinality field'],
    ['f:1|c|c', 'a bare c field is unknown, not a container'],
    ['f:1|c|zzz|', 'unknown then trailing empty'],
  ])('%s is accepted (%s)', (line) => {
    const p = accept(line);
    expect(p).toMatchObject({ name: 'f', kind: 'counter', value: 1, tags: {} });
    expect(p.containerId).toBeUndefined();
  });

  it('empty fields between real ones are ignored: a:1|c||@0.5 counts 2', () => {
    expect(accept('a:1|c||@0.5').value).toBe(2);
  });

  it('field order after the type does not matter', () => {
    const lines = [
      'o:1|c|@0.5|#k:v|c:abc|T1700000000',
      'o:1|c|T1700000000|c:abc|#k:v|@0.5',
      'o:1|c|#k:v|T1700000000|@0.5|c:abc',
      'o:1|c|c:abc|@0.5|T1700000000|#k:v',
    ];
    for (const line of lines) {
      const p = accept(line);
      expect(p, line).toMatchObject({
        name: 'o',
        value: 2,
        tags: { k: 'v' },
        containerId: 'abc',
        timeMs: 1_700_000_000_000,
      });
    }
  });
});

describe('tags', () => {
  it.each<[string, Record<string, string>]>([
    ['t:1|c|#env:prod', { env: 'prod' }],
    ['t:1|c|#env:prod,region:eu', { env: 'prod', region: 'eu' }],
    ['t:1|c|#url:http://x:8080/a', { url: 'http://x:8080/a' }],
    ['t:1|c|#canary', { canary: '' }],
    ['t:1|c|#canary,env:prod', { canary: '', env: 'prod' }],
    ['t:1|c|#k:', { k: '' }],
    ['t:1|c|#a:1,,b:2,', { a: '1', b: '2' }],
    ['t:1|c|#a:1|#b:2', { a: '1', b: '2' }],
    ['t:1|c|#a:1,a:2', { a: '2' }],
    ['t:1|c|#a:1|#a:2', { a: '2' }],
    ['t:1|c|#k:v w', { k: 'v w' }],
    ['t:1|c|#k:é', { k: 'é' }],
    ['t:1|c|#', {}],
    ['t:1|c|#|#', {}],
  ])('%s has tags %j', (line, tags) => {
    expect(accept(line).tags).toEqual(tags);
  });

  it('an empty tags section is the same series as no tags', () => {
    const e = engine();
    feed(e, 't:1|c', 't:1|c|#');
    expect(flush(e)).toEqual([expect.objectContaining({ name: 't', value: 2, tags: {} })]);
  });

  it('a tags section holding only empty entries is the same series as no tags', () => {
    // "|#," has no tag at all once empty entries are skipped.
    const e = engine();
    feed(e, 't:1|c|#,', 't:1|c|#,,');
    expect(rejects(e)).toEqual({});
    expect(flush(e)).toEqual([expect.objectContaining({ name: 't', value: 2, tags: {} })]);
  });

  it('tags in any order are the same series', () => {
    const e = engine();
    feed(e, 't:1|c|#a:1,b:2', 't:2|c|#b:2,a:1', 't:4|c|#b:2|#a:1');
    const points = flush(e);
    expect(points).toHaveLength(1);
    expect(points[0]).toMatchObject({ value: 7, tags: { a: '1', b: '2' } });
    expect(Object.keys(points[0]!.tags)).toEqual(['a', 'b']);
  });

  it('different tag values are different series', () => {
    const e = engine();
    feed(e, 't:1|c|#k:1', 't:2|c|#k:2', 't:4|c', 't:8|c|#k');
    const points = flush(e);
    expect(points).toHaveLength(4);
    expect(find(points, 't', { k: '1' }).value).toBe(1);
    expect(find(points, 't', { k: '2' }).value).toBe(2);
    expect(find(points, 't').value).toBe(4);
    expect(find(points, 't', { k: '' }).value).toBe(8);
  });

  it.each([
    ['t:1|c|#:v', 'empty key'],
    ['t:1|c|#a:1,:v', 'empty key after a good tag'],
    ['t:1|c|#k:v\u0001', 'control character in a value'],
    ['t:1|c|#k\tx:v', 'tab in a key'],
    ['t:1|c|#a:1|#:b', 'empty key in a second tags field'],
  ])('%s is rejected as malformed_tags (%s)', (line) => {
    expect(reject(line)).toEqual({ malformed_tags: 1 });
  });
});

describe('Influx-style tags in the name', () => {
  it.each<[string, string, Record<string, string>]>([
    ['cpu,host=a:1|c', 'cpu', { host: 'a' }],
    ['cpu,host=a,core=0:1|c', 'cpu', { core: '0', host: 'a' }],
    ['cpu,k=:1|c', 'cpu', { k: '' }],
    ['cpu,:1|c', 'cpu', {}],
    ['cpu,host=a:1|c|#core:1', 'cpu', { core: '1', host: 'a' }],
    ['cpu,host=a:1|c|#host:b', 'cpu', { host: 'b' }],
    ['my cpu,host=a:1|c', 'my_cpu', { host: 'a' }],
  ])('%s is %s with tags %j', (line, name, tags) => {
    const p = accept(line);
    expect(p.name).toBe(name);
    expect(p.tags).toEqual(tags);
  });

  it('Influx and DogStatsD spellings of the same tags are the same series', () => {
    const e = engine();
    feed(e, 'cpu,host=a:1|c', 'cpu:2|c|#host:a', 'cpu,host=x:4|c|#host:a');
    expect(flush(e)).toEqual([expect.objectContaining({ name: 'cpu', value: 7, tags: { host: 'a' } })]);
  });

  it.each([
    ['cpu,host:1|c', 'no ='],
    ['cpu,=a:1|c', 'empty key'],
    ['cpu,host=a,bare:1|c', 'a bare entry'],
    ['cpu,k=\u0002:1|c', 'control character'],
  ])('%s is rejected as malformed_tags (%s)', (line) => {
    expect(reject(line)).toEqual({ malformed_tags: 1 });
  });
});

describe('names', () => {
  it.each([
    ['a b:1|c', 'a_b'],
    ['a\tb:1|c', 'a_b'],
    ['a  b:1|c', 'a__b'],
    ['a/b:1|c', 'a-b'],
    ['a!b:1|c', 'ab'],
    ['a@b#c:1|c', 'abc'],
    ['é.x:1|c', '.x'],
    ['Api.Req-OK_2:1|c', 'Api.Req-OK_2'],
    ['a;b=c:1|c', 'abc'],
  ])('%s is named %s', (line, name) => {
    expect(accept(line).name).toBe(name);
  });

  it('raw names that sanitize alike are the same series', () => {
    const e = engine();
    feed(e, 'a b:1|c', 'a_b:2|c', 'a\tb:4|c', 'a!_b:8|c|#k:v', 'a_b:16|c|#k:v');
    const points = flush(e);
    expect(points).toHaveLength(2);
    expect(find(points, 'a_b').value).toBe(7);
    expect(find(points, 'a_b', { k: 'v' }).value).toBe(24);
  });

  it.each([
    [':1|c', 'empty name'],
    ['!!!:1|c', 'sanitizes to empty'],
    ['ééé:1|g', 'non-ASCII only'],
    [',k=v:1|c', 'Influx tags without a name'],
    [':1|c|#k:v', 'empty name with tags'],
  ])('%s is rejected as empty_name (%s)', (line) => {
    expect(reject(line)).toEqual({ empty_name: 1 });
  });
});

describe('containers', () => {
  it('|c:<id> is the container the line came from, a separate series', () => {
    const e = engine();
    feed(e, 'req:1|c|c:abc123', 'req:2|c', 'req:4|c|c:abc123|#k:v', 'req:8|c|c:def');
    const points = flush(e);
    expect(points).toHaveLength(4);
    expect(find(points, 'req', {}, 'abc123').value).toBe(1);
    expect(find(points, 'req').value).toBe(2);
    expect(find(points, 'req').containerId).toBeUndefined();
    expect(find(points, 'req', { k: 'v' }, 'abc123').value).toBe(4);
    expect(find(points, 'req', {}, 'def').value).toBe(8);
  });

  it("the port's container owns every line on it, whatever its c: field says", () => {
    const e = engine();
    feedPacket(e, ['a:1|c', 'a:2|c|c:other'], 'ctx');
    e.ingestLines(Buffer.from('a:4|c\n'), 'ctx');
    const points = flush(e);
    expect(points).toHaveLength(1);
    expect(find(points, 'a', {}, 'ctx').value).toBe(7);
  });

  it('the container id is kept verbatim, colons included', () => {
    expect(accept('a:1|c|c:ci-123:in-456').containerId).toBe('ci-123:in-456');
  });

  it.each([['a:1|c|c:'], ['a:1|g|#k:v|c:'], ['a:1|ms|c:|@0.5']])(
    '%s is rejected as bad_container',
    (line) => {
      expect(reject(line)).toEqual({ bad_container: 1 });
    },
  );
});

describe('timestamps', () => {
  it('|T<unix seconds> stamps the datapoint with that time', () => {
    const p = accept('ts:1|c|T1700000000');
    expect(p.timeMs).toBe(1_700_000_000_000);
    expect(p.value).toBe(1);
  });

  it.each([
    ['ts:1|c|T', 'empty'],
    ['ts:1|c|T1.5', 'fractional'],
    ['ts:1|c|T-5', 'negative'],
    ['ts:1|c|Tabc', 'not a number'],
    ['ts:1|c|T1700000000000', 'milliseconds (past year 2286)'],
    ['ts:1|c|T 1', 'space'],
  ])('%s is rejected as bad_timestamp (%s)', (line) => {
    expect(reject(line)).toEqual({ bad_timestamp: 1 });
  });
});

describe('rejects and framing', () => {
  it.each([
    ['a|c', 'no_value'],
    ['a:|c', 'no_value'],
    ['a', 'no_value'],
    ['a:1|', 'unknown_type'],
    ['a:1|x', 'unknown_type'],
    ['a:1|C', 'unknown_type'],
    ['a:1|m', 'unknown_type'],
    ['a:1|mss', 'unknown_type'],
    ['a:1|cc', 'unknown_type'],
    ['a:1|ms |@0.5', 'unknown_type'],
    ['a:1| c', 'unknown_type'],
    ['_sc|db.up|0', 'unsupported'],
    ['_sc|db.up|2|#env:prod|m:down', 'unsupported'],
    ['_e{5,4}:hello|text', 'unsupported'],
    [
      '_e{21,36}:An exception occurred|Cannot parse CSV file from 10.0.0.17|t:warning|#err:bad',
      'unsupported',
    ],
  ])('%j is rejected as %s', (line, reason) => {
    const e = engine();
    feed(e, line);
    expect(rejects(e)).toEqual({ [reason]: 1 });
    expect(e.stats.rejectedTotal).toBe(1);
    expect(flush(e)).toEqual([]);
  });

  it('REJECT_REASON_NAMES labels every Reject code', () => {
    expect(REJECT_REASON_NAMES[Reject.EmptyName]).toBe('empty_name');
    expect(REJECT_REASON_NAMES[Reject.NoValue]).toBe('no_value');
    expect(REJECT_REASON_NAMES[Reject.PacketTooLarge]).toBe('packet_too_large');
    expect(REJECT_REASON_NAMES[Reject.BadContainer]).toBe('bad_container');
    expect(REJECT_REASON_NAMES).toHaveLength(Object.keys(Reject).length);
  });

  it('one bad line costs only itself: the other lines of the packet are kept', () => {
    const e = engine();
    feedPacket(e, ['a:1|c', 'a:x|c', 'b:2|g', 'a:1|zz', 'a:2|c']);
    expect(rejects(e)).toEqual({ not_a_number: 1, unknown_type: 1 });
    expect(e.stats).toMatchObject({ packets: 1, lines: 5 });
    const out = flushOne(e);
    expect(out.a!.value).toBe(3);
    expect(out.b!.value).toBe(2);
  });

  it('invalid UTF-8 rejects only the line that holds it', () => {
    const e = engine();
    const packet = Buffer.concat([
      Buffer.from('good:1|c\nbad'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(':1|c\nbad2:1|c|#k:'),
      Buffer.from([0xc3]), // truncated two-byte sequence
      Buffer.from('\nsurrogate:'),
      Buffer.from([0xed, 0xa0, 0x80]), // UTF-16 surrogate encoded in UTF-8
      Buffer.from('|c\ngood:2|c\nné:1|c'),
    ]);
    e.ingestPacket(packet);
    expect(rejects(e)).toEqual({ invalid_utf8: 3 });
    expect(e.stats.lines).toBe(6);
    const out = flushOne(e);
    expect(out.good!.value).toBe(3);
    expect(out.n!.value).toBe(1);
  });

  it('a datagram larger than maxPacketSize is dropped whole, its lines not counted', () => {
    const e = engine({ maxPacketSize: 100 });
    const lines = Array.from({ length: 20 }, (_, i) => `big${i}:1|c`);
    feedPacket(e, lines);
    expect(rejects(e)).toEqual({ packet_too_large: 1 });
    expect(e.stats).toMatchObject({ packets: 1, lines: 0 });
    expect(e.stats.bytes).toBe(Buffer.byteLength(lines.join('\n')));
    expect(flush(e)).toEqual([]);
  });

  it('a datagram of exactly maxPacketSize bytes is accepted', () => {
    const e = engine({ maxPacketSize: 10 });
    feed(e, 'abcde:1|c\n'); // 10 bytes
    expect(rejects(e)).toEqual({});
    expect(flushOne(e).abcde!.value).toBe(1);
  });

  it('ingestLines (TCP) has no packet size limit', () => {
    const e = engine({ maxPacketSize: 100 });
    e.ingestLines(Buffer.from(Array.from({ length: 50 }, () => 'tcp:1|c').join('\n')));
    expect(rejects(e)).toEqual({});
    expect(e.stats.packets).toBe(0);
    expect(e.stats.lines).toBe(50);
    expect(flushOne(e).tcp!.value).toBe(50);
  });

  it('a line longer than maxLineLength is rejected, one of exactly that length accepted', () => {
    const e = engine({ maxLineLength: 20 });
    const ok = `a:${'1'.repeat(16)}|c`; // 20 characters
    const long = `b:${'1'.repeat(17)}|c`; // 21 characters
    feedPacket(e, [ok, long, 'c:1|c']);
    expect(rejects(e)).toEqual({ line_too_long: 1 });
    expect(e.stats.lines).toBe(3);
    const out = flushOne(e);
    expect(out.a!.value).toBe(1111111111111111);
    expect(out.b).toBeUndefined();
    expect(out.c!.value).toBe(1);
  });

  it('maxLineLength counts bytes, so multi-byte UTF-8 counts each byte', () => {
    // 10 two-byte characters: 10 UTF-16 code units but 20 bytes, plus ":1|c".
    const e = engine({ maxLineLength: 20 });
    feed(e, `${'é'.repeat(10)}x:1|c`);
    expect(rejects(e)).toEqual({ line_too_long: 1 });
  });

  it('empty lines and \\r\\n line endings are framing, not lines', () => {
    const e = engine();
    e.ingestPacket(Buffer.from('\n\na:1|c\r\nb:2|c\r\n\r\n\nc:3|g\n'));
    expect(rejects(e)).toEqual({});
    expect(e.stats.lines).toBe(3);
    const out = flushOne(e);
    expect(out.a!.value).toBe(1);
    expect(out.b!.value).toBe(2);
    expect(out.c!.value).toBe(3);
  });

  it('a packet holding only framing counts no lines', () => {
    const e = engine();
    feed(e, '', '\n', '\r\n', '\n\n\r\n');
    expect(e.stats).toMatchObject({ packets: 4, lines: 0, rejectedTotal: 0 });
  });

  it('stats count packets, bytes and lines, rejected ones included', () => {
    const e = engine();
    feed(e, 'a:1|c\nb:x|c', 'c:1|g');
    e.ingestLines(Buffer.from('d:1|c\n'));
    expect(e.stats).toMatchObject({ packets: 2, bytes: 16, lines: 4, rejectedTotal: 1 });
    expect(e.stats.rejected[Reject.NotANumber]).toBe(1);
  });

  it.each(['|', '||||', '|#', '|:', '|c', '|1|c', '#|c', '@|g'])(
    'a line starting with a separator (%j) is still a line: counted and rejected',
    (line) => {
      const e = engine();
      feed(e, line, `${line}\nok:1|c`);
      expect(e.stats.lines).toBe(3);
      expect(e.stats.rejectedTotal).toBe(2);
      expect(flush(e)).toEqual([expect.objectContaining({ name: 'ok', value: 1 })]);
    },
  );

  it('rejects never throw, whatever the bytes', () => {
    const e = engine({ maxLineLength: 64 });
    const nasty = [
      '|',
      ':',
      '||||',
      '::::',
      '#',
      '@',
      '|#',
      ':|',
      '|:',
      ':||#:',
      '\u0000',
      'a:1|c|#\u0000',
      '_e{',
      '_sc',
    ];
    expect(() => feed(e, ...nasty)).not.toThrow();
    expect(e.stats.lines).toBe(nasty.length);
    expect(e.stats.rejectedTotal).toBe(nasty.length);
  });
});
