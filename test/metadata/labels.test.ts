import { describe, expect, it } from 'vitest';
import { globToRegExp, LabelFilter } from '../../agent/metadata/labels.js';

describe('LabelFilter', () => {
  const labels = {
    team: 'payments',
    'app.version': '1.4.2',
    'com.docker.compose.config-hash': 'ab12',
    'com.docker.compose.project': 'shop',
    'pod-template-hash': '7d9f8',
    'io.kubernetes.pod.name': 'web-1',
    note: 'x'.repeat(300),
  };

  it('drops bookkeeping labels and cuts long values by default', () => {
    const filter = new LabelFilter({ include: [], exclude: [], maxValueLength: 256 });
    expect(filter.apply(labels)).toEqual({
      'app.version': '1.4.2',
      'com.docker.compose.project': 'shop',
      note: 'x'.repeat(256),
      team: 'payments',
    });
  });

  it('keeps only included labels; an include names bookkeeping back in; excludes win', () => {
    const filter = new LabelFilter({
      include: ['team', 'app.*', 'pod-template-hash'],
      exclude: ['app.version'],
      maxValueLength: 256,
    });
    expect(filter.apply(labels)).toEqual({ team: 'payments', 'pod-template-hash': '7d9f8' });
  });

  it('keeps everything with keepBookkeeping, and gives undefined when nothing is left', () => {
    expect(
      Object.keys(
        new LabelFilter({ include: [], exclude: [], maxValueLength: 9, keepBookkeeping: true }).apply(
          labels,
        ) ?? {},
      ),
    ).toHaveLength(7);
    expect(
      new LabelFilter({ include: ['nothing'], exclude: [], maxValueLength: 9 }).apply(labels),
    ).toBeUndefined();
    expect(new LabelFilter({ include: [], exclude: [], maxValueLength: 9 }).apply(undefined)).toBeUndefined();
  });

  it('globs: * spans anything, the rest is literal', () => {
    expect(globToRegExp('app.*').test('app.version')).toBe(true);
    expect(globToRegExp('app.*').test('appXversion')).toBe(false);
    expect(globToRegExp('io.kubernetes.*').test('io.kubernetes.pod/name')).toBe(true);
    expect(globToRegExp('a+b').test('a+b')).toBe(true);
  });
});
