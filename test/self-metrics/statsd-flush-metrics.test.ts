import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { StatsdEngine } from '../../agent/pipelines/statsd-engine.js';
import { registerStatsdMetrics } from '../../agent/sources/statsd/metrics.js';

describe('StatsD flush self-metrics', () => {
  it('times every flush, whoever calls it, and counts the datapoints flushed', async () => {
    const engine = new StatsdEngine({
      maxPacketSize: 1000,
      maxLineLength: 100,
      percentiles: [50],
      timerSampleCap: 10,
      setExactCap: 10,
      idleTtlMs: 60_000,
      flushIntervalMs: 10_000,
      maxSeries: 100,
      maxSeriesPerContainer: 100,
    });
    const registry = new Registry();
    registerStatsdMetrics(registry, engine.stats, engine.aggregator, () => null);
    engine.ingestPacket(Buffer.from('a:1|c\nb:2|g\nc:3|ms'));
    // The run loop calls the aggregator's flush, the engine's goes through it too.
    const first = engine.aggregator.flush(10_000);
    const second = engine.flush(20_000);
    const json = await registry.getMetricsAsJSON();
    const histogram = json.find((m) => m.name === 'corral_statsd_flush_duration_seconds')!;
    const count = histogram.values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count'));
    expect(count?.value).toBe(2);
    const sum = histogram.values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_sum'));
    expect(sum?.value).toBeGreaterThan(0);
    expect(json.find((m) => m.name === 'corral_statsd_datapoints_flushed_total')?.values[0]?.value).toBe(
      first.length + second.length,
    );
    expect(first.length).toBe(3);
  });
});
