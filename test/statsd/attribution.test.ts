import { describe, expect, it } from 'vitest';
import {
  AddressAttribution,
  canonicalIp,
  formatIPv4,
} from '../../agent/sources/statsd/address-attribution.js';
import { StatsdLine } from '../../agent/sources/statsd/line-parser.js';
import { hashRawKey, KeyHasher } from '../../agent/sources/statsd/raw-hash.js';
import { Reject } from '../../agent/sources/statsd/reject-reason.js';
import { engine, find, flush, rejects, seriesKey } from './helpers.js';

/** One line as its own packet, with the containers a listener would give it. */
function send(e: ReturnType<typeof engine>, line: string, port = '', address?: string): void {
  e.ingestPacket(Buffer.from(line), port, address);
}

describe('attribution precedence: port, then c:, then container_id tag, then sender address', () => {
  it("a container's port owns its lines: their c: field and container_id tag do not move them", () => {
    const e = engine();
    send(e, 'a:1|c|c:other', 'port-ctr', 'addr-ctr');
    send(e, 'a:2|c|#container_id:tagged', 'port-ctr', 'addr-ctr');
    send(e, 'a:4|c|#container_id:tagged|c:other', 'port-ctr');
    const points = flush(e);
    expect(points.map(seriesKey)).toEqual(['counter a{}@port-ctr']);
    expect(points[0]!.value).toBe(7);
  });

  it('the c: field beats the container_id tag and the sender address', () => {
    const e = engine();
    send(e, 'a:1|c|#container_id:tagged,k:v|c:dog', '', 'addr-ctr');
    send(e, 'a:2|c|c:dog|#k:v,container_id:tagged');
    const points = flush(e);
    expect(points.map(seriesKey)).toEqual(['counter a{k=v}@dog']);
    expect(points[0]!.value).toBe(3);
  });

  it('the container_id tag becomes the container and leaves the tags; it beats the address', () => {
    const e = engine();
    send(e, 'a:1|c|#env:prod,container_id:tagged', '', 'addr-ctr');
    send(e, 'a:2|c|#container_id:tagged,env:prod');
    send(e, 'a:4|c|#env:prod|c:tagged'); // the same series, named the other way
    const points = flush(e);
    expect(points.map(seriesKey)).toEqual(['counter a{env=prod}@tagged']);
    expect(points[0]!.tags).toEqual({ env: 'prod' });
    expect(points[0]!.value).toBe(7);
  });

  it('the sender address is the last resort; without any, a line has no container', () => {
    const e = engine();
    send(e, 'a:1|c', '', 'addr-ctr');
    send(e, 'a:2|c', '', '');
    send(e, 'a:4|c');
    const points = flush(e);
    expect(find(points, 'a', {}, 'addr-ctr').value).toBe(1);
    expect(find(points, 'a').value).toBe(6);
    expect(points).toHaveLength(2);
  });

  it('Influx-style and split-field container_id tags count too (resolved every time)', () => {
    const e = engine();
    for (let i = 0; i < 3; i++) {
      send(e, 'a,container_id=influx,k=v:1|c', '', 'addr-ctr');
      send(e, 'b:1|c|#k:v|#container_id:split', '', 'addr-ctr');
      send(e, 'c,container_id=influx:1|c|#container_id:dog'); // DogStatsD wins, as for any tag
      send(e, 'd,container_id=influx:1|c|c:field');
    }
    const points = flush(e);
    expect(points.map(seriesKey).sort()).toEqual([
      'counter a{k=v}@influx',
      'counter b{k=v}@split',
      'counter c{}@dog',
      'counter d{}@field',
    ]);
    for (const p of points) expect(p.value).toBe(3);
  });

  it('the last container_id tag wins; every container_id tag leaves the tags', () => {
    const e = engine();
    send(e, 'a:1|c|#container_id:first,k:v,container_id:last');
    send(e, 'a:1|c|#container_id:first,k:v,container_id:last');
    expect(flush(e).map(seriesKey)).toEqual(['counter a{k=v}@last']);
  });

  it('timestamped lines follow the same precedence', () => {
    const e = engine();
    send(e, 'a:1|c|T1700000000|#container_id:tagged', '', 'addr-ctr');
    send(e, 'a:2|c|T1700000000|#container_id:tagged|c:dog', '', 'addr-ctr');
    send(e, 'a:4|c|T1700000000', 'port-ctr');
    send(e, 'a:8|c|T1700000000', '', 'addr-ctr');
    const points = flush(e);
    expect(points.map((p) => `${seriesKey(p)}=${p.value}`).sort()).toEqual([
      'counter a{}@addr-ctr=8',
      'counter a{}@dog=2',
      'counter a{}@port-ctr=4',
      'counter a{}@tagged=1',
    ]);
  });

  it.each([
    ['a:1|c|#container_id:'],
    ['a:1|c|#container_id'],
    ['a:1|c|#k:v,container_id:\r'],
    ['a:1|c|#container_id:,container_id:x'],
    ['a,container_id=:1|c'],
    ['a:1|c|#k:v|#container_id:'],
  ])('an empty container_id tag (%j) is rejected as bad_container', (line) => {
    const e = engine();
    send(e, line);
    expect(rejects(e)).toEqual({ bad_container: 1 });
    expect(flush(e)).toEqual([]);
  });

  it('tags that merely start like it stay tags', () => {
    const e = engine();
    send(e, 'a:1|c|#container:x,container_idx:y,c:z,container_id_2:w');
    expect(flush(e)[0]!.tags).toEqual({ container: 'x', container_idx: 'y', c: 'z', container_id_2: 'w' });
  });
});

describe('the raw-key cache stays right with container_id tags', () => {
  it('the parser hashes a line with the tag as the same line without it', () => {
    const hash = (text: string) => {
      const line = new StatsdLine();
      const bytes = Buffer.from(text);
      expect(line.parse(bytes, 0, bytes.length)).toBe(Reject.None);
      const fromString = hashRawKey(line.rawKey(), new KeyHasher());
      expect([line.keyHash1, line.keyHash2]).toEqual([fromString.h1, fromString.h2]);
      return { hash: `${line.keyHash1}/${line.keyHash2}`, key: line.rawKey(), tags: line.rawTags() };
    };
    expect(hash('abcde:1|c|#container_id:x,ab:1,cd:2')).toEqual(hash('abcde:1|c|#ab:1,cd:2'));
    expect(hash('abcde:1|c|#ab:1,container_id:xyz,cd:2')).toEqual(hash('abcde:1|c|#ab:1,cd:2'));
    expect(hash('abcde:1|c|#ab:1,cd:2,container_id:xyz\r')).toEqual(hash('abcde:1|c|#ab:1,cd:2'));
    expect(hash('abcde:1|c|#container_id:x')).toEqual(hash('abcde:1|c'));
    expect(hash('abcde:1|c|#container_id:x').key).toBe('abcde||0');
  });

  it('one raw line sent with every precedence, interleaved and repeated, lands in the right series', () => {
    const e = engine();
    const line = 'x:1|c|#container_id:tagged,k:v';
    // Each of these looks the same raw key up; each in the table of the container it picks.
    const contexts: [string, string | undefined, string][] = [
      ['', undefined, 'tagged'],
      ['', 'addr-ctr', 'tagged'],
      ['', 'tagged', 'tagged'],
      ['port-ctr', undefined, 'port-ctr'],
      ['tagged', undefined, 'tagged'],
      ['addr-ctr', undefined, 'addr-ctr'],
    ];
    for (let round = 0; round < 3; round++) {
      for (const [port, address] of contexts) send(e, line, port, address);
      send(e, `${line}|c:dog`, '', 'addr-ctr');
      send(e, 'x:1|c|#k:v', '', 'addr-ctr');
    }
    const points = flush(e);
    const totals = Object.fromEntries(points.map((p) => [seriesKey(p), p.value]));
    expect(totals).toEqual({
      'counter x{k=v}@tagged': 12,
      'counter x{k=v}@port-ctr': 3,
      'counter x{k=v}@addr-ctr': 6,
      'counter x{k=v}@dog': 3,
    });
  });

  it('series named by a tag expire and come back like any other', () => {
    const e = engine(); // idle TTL: 3 flushes
    send(e, 'g:5|g|#container_id:tagged', '', 'addr-ctr');
    expect(flush(e).map(seriesKey)).toEqual(['gauge g{}@tagged']);
    flush(e);
    flush(e);
    expect(flush(e)).toEqual([]); // freed
    send(e, 'g:+1|g|#container_id:tagged', '', 'addr-ctr');
    send(e, 'g:+1|g', 'tagged');
    expect(flush(e).map((p) => `${seriesKey(p)}=${p.value}`)).toEqual(['gauge g{}@tagged=2']);
    expect(e.aggregator.liveSeries).toBe(1);
  });

  it('the per-container cap counts series named by tags against their container', () => {
    const e = engine({ maxSeriesPerContainer: 2 });
    for (const name of ['a', 'b', 'c']) send(e, `${name}:1|c|#container_id:noisy`, '', 'addr-ctr');
    send(e, 'c:1|c', '', 'addr-ctr');
    expect(e.aggregator.dropped).toEqual({ cardinality_total: 0, cardinality_container: 1 });
    expect(flush(e).map(seriesKey).sort()).toEqual([
      'counter a{}@noisy',
      'counter b{}@noisy',
      'counter c{}@addr-ctr',
    ]);
  });
});

describe('unattributed lines', () => {
  it('are counted only when attribution by address was on and nothing named a container', () => {
    const e = engine();
    send(e, 'a:1|c', '', ''); // counted
    send(e, 'a:1:2:3|c', '', ''); // one line, counted once
    send(e, 'a:1|c|T1700000000', '', ''); // counted
    send(e, 'a:1|c|#k:v|#j:w', '', ''); // split tags, counted
    send(e, 'a:1|c|c:dog', '', '');
    send(e, 'a:1|c|#container_id:tagged', '', '');
    send(e, 'a,container_id=influx:1|c', '', '');
    send(e, 'a:1|c', '', 'addr-ctr');
    send(e, 'a:1|c', 'port-ctr', '');
    send(e, 'a:1|c'); // attribution off
    send(e, 'a:x|c', '', ''); // rejected, not counted
    e.ingestLines(Buffer.from('a:1|c\nb:1|c\n'), '', ''); // counted twice
    expect(e.aggregator.unattributed).toBe(6);
    expect(rejects(e)).toEqual({ not_a_number: 1 });
  });
});

describe('address attribution cache', () => {
  function counting(map: Record<string, string>) {
    const calls: string[] = [];
    const resolve = (ip: string) => {
      calls.push(ip);
      return map[ip];
    };
    return { calls, resolve };
  }

  it('asks the resolver once per address until the window ends or the generation moves', () => {
    const { calls, resolve } = counting({ '10.0.0.1': 'a', 'fd00::1': 'v6' });
    let generation = 7;
    const cache = new AddressAttribution(resolve, { generation: () => generation });
    const ipv4 = 0x0a000001;
    const ipv6 = new Uint32Array(5);
    new Uint8Array(ipv6.buffer, 4, 16).set([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    for (let i = 0; i < 100; i++) {
      cache.refresh();
      expect(cache.forIPv4(ipv4)).toBe('a');
      expect(cache.forText('10.0.0.2')).toBe('');
      expect(cache.forText('::ffff:10.0.0.1')).toBe('a');
      expect(cache.forIPv6(ipv6, 1)).toBe('v6');
      expect(cache.forIPv4(0x0a000002)).toBe('');
    }
    expect(calls).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.1', 'fd00::1', '10.0.0.2']);
    expect(cache.resolverCalls).toBe(5);

    cache.refresh(); // same generation: nothing asked again
    expect(cache.forIPv4(ipv4)).toBe('a');
    expect(calls).toHaveLength(5);
    generation++;
    cache.refresh();
    expect(cache.forIPv4(ipv4)).toBe('a');
    expect(cache.forIPv4(ipv4)).toBe('a');
    expect(calls).toHaveLength(6);
    cache.forget(); // what the TTL timer does
    expect(cache.forText('10.0.0.2')).toBe('');
    expect(calls).toHaveLength(7);
  });

  it('expires answers every ttlMs', async () => {
    const { calls, resolve } = counting({ '10.0.0.1': 'a' });
    const cache = new AddressAttribution(resolve, { ttlMs: 20 });
    cache.start();
    try {
      cache.forIPv4(0x0a000001);
      cache.forIPv4(0x0a000001);
      expect(calls).toHaveLength(1);
      // Polls: the answer goes when the window ends, and is asked for again once.
      const deadline = Date.now() + 5000;
      while (calls.length < 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        cache.forIPv4(0x0a000001);
      }
      expect(calls).toEqual(['10.0.0.1', '10.0.0.1']);
    } finally {
      cache.stop();
    }
  });

  it('holds at most maxAddresses; past it, new addresses are asked each time, old ones stay cached', () => {
    const { calls, resolve } = counting({});
    const cache = new AddressAttribution(resolve, { maxAddresses: 2 });
    for (let round = 0; round < 3; round++)
      for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) cache.forText(ip);
    expect(calls).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.3', '10.0.0.3']);
  });

  it('IPv4 senders that share a direct-mapped slot evict each other, but are not asked again', () => {
    const { calls, resolve } = counting({ '10.0.0.1': 'one' });
    const cache = new AddressAttribution(resolve);
    // 10.0.0.1 and 10.0.0.234 hash to the same slot: every lookup misses it, none the Map.
    const [a, b] = [0x0a000001, 0x0a0000ea];
    expect(Math.imul(a, 0x9e3779b1) >>> 24).toBe(Math.imul(b, 0x9e3779b1) >>> 24);
    for (let i = 0; i < 5; i++) {
      expect(cache.forIPv4(a)).toBe('one');
      expect(cache.forIPv4(b)).toBe('');
    }
    expect(calls).toEqual(['10.0.0.1', '10.0.0.234']);
  });

  it('asks in canonical form', () => {
    expect(formatIPv4(0xc0a80a01)).toBe('192.168.10.1');
    expect(canonicalIp('::FFFF:192.168.10.1')).toBe('192.168.10.1');
    expect(canonicalIp('FD00:0:0:0:0:0:0:0001')).toBe('fd00::1');
    expect(canonicalIp('10.1.2.3')).toBe('10.1.2.3');
    expect(canonicalIp('not-an-ip')).toBe('not-an-ip');
  });
});
