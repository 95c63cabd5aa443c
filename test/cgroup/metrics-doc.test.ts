import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRICS_END, METRICS_START, metricsReference } from '../../agent/docs/metrics-reference.js';

describe('docs/metrics.md', () => {
  it('holds the metric tables generated from the sources (run `npm run docs:metrics`)', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'metrics.md'), 'utf8');
    const block = doc
      .slice(doc.indexOf(METRICS_START) + METRICS_START.length, doc.indexOf(METRICS_END))
      .trim();
    expect(block).toBe(metricsReference());
    expect(block).toContain('`container.memory.working_set`');
    expect(block).toContain('`node.cpu.percent`');
  });
});
