import { describe, expect, it } from 'vitest';
import { StatsdLine } from '../../agent/sources/statsd/line-parser.js';
import { hashRawKey, KeyHasher } from '../../agent/sources/statsd/raw-hash.js';
import { Reject } from '../../agent/sources/statsd/reject-reason.js';

// The parser hashes name and tags while scanning; the aggregator hashes canonical keys from
// strings. A series is found only if both agree, byte for byte.
describe('raw key hash', () => {
  const lines = [
    'a:1|c',
    'ab:1|c',
    'abc:1|g',
    'abcd:1|ms',
    'abcde:1|h|#x:1',
    'app.svc07.requests.metric007:3|c|#env:prod,service:api',
    'name with spaces:1|s|#k',
    'Ünïcode.naïve:1|d|#région:île-de-France',
    'x:1|c|@0.5|#t:1|c:container-1',
  ];

  it.each(lines)('parser and hashRawKey agree for %s', (text) => {
    const line = new StatsdLine();
    const bytes = Buffer.from(`${text}\nnext:1|c`);
    expect(line.parse(bytes, 0, bytes.length)).toBe(Reject.None);
    const fromString = hashRawKey(line.rawKey(), new KeyHasher());
    expect([line.keyHash1, line.keyHash2]).toEqual([fromString.h1, fromString.h2]);
  });

  it('separates keys that differ only in where name ends and tags begin, or in kind', () => {
    const hash = (key: string) => {
      const h = hashRawKey(key, new KeyHasher());
      return `${h.h1}/${h.h2}`;
    };
    const keys = ['ab|c|0', 'a|bc|0', 'abc||0', 'ab|c|1', '|abc|0'];
    expect(new Set(keys.map(hash)).size).toBe(keys.length);
  });
});
