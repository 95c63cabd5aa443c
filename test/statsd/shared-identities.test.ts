/** Names and tag sets are held once, whatever the number of series that have them. */
import { describe, expect, it } from 'vitest';
import { SharedIdentities } from '../../agent/transforms/statsd-aggregate/shared-identities.js';
import { engine, feed, flush } from './helpers.js';

describe('SharedIdentities', () => {
  it('gives one frozen tags object per tag text, and none for no tags', () => {
    const shared = new SharedIdentities();
    const a = shared.tags('env:prod,status:200');
    expect(a).toEqual({ env: 'prod', status: '200' });
    expect(Object.isFrozen(a)).toBe(true);
    expect(shared.tags(`env:prod,${'status:200'}`)).toBe(a);
    expect(shared.tags('env:dev,status:200')).toEqual({ env: 'dev', status: '200' });
    expect(shared.tags('')).toEqual({});
    expect(shared.sizes).toEqual({ names: 0, tagSets: 2 });
  });

  it('gives the first copy of a name', () => {
    const shared = new SharedIdentities();
    const first = ['app', 'requests'].join('.');
    expect(shared.name(first)).toBe(first);
    expect(shared.name(['app', 'requests'].join('.'))).toBe(first);
    expect(shared.sizes.names).toBe(1);
  });

  it('starts a table over past its bound, and still answers right', () => {
    const shared = new SharedIdentities(3);
    for (let i = 0; i < 10; i++) {
      expect(shared.tags(`id:${i}`)).toEqual({ id: String(i) });
      expect(shared.name(`n${i}`)).toBe(`n${i}`);
    }
    expect(shared.sizes.tagSets).toBeLessThanOrEqual(3);
    expect(shared.sizes.names).toBeLessThanOrEqual(3);
  });
});

describe('series share their tag sets', () => {
  it('every datapoint of a tag set carries the same tags object, with the right tags', () => {
    const e = engine();
    feed(e, 'a:1|c|#env:prod,route:/x', 'b:2|ms|#route:/x,env:prod', 'c:3|g|#env:dev', 'a:1|c');
    const points = flush(e);
    const byName = (name: string, env?: string) => points.find((p) => p.name === name && p.tags.env === env)!;
    expect(byName('a', 'prod').tags).toEqual({ env: 'prod', route: '/x' });
    expect(byName('b', 'prod').tags).toBe(byName('a', 'prod').tags);
    expect(byName('c', 'dev').tags).toEqual({ env: 'dev' });
    expect(byName('a').tags).toEqual({});
  });
});
