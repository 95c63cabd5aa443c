import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { StatsdEngine } from '../../agent/pipelines/statsd-engine.js';
import { registerStatsdMetrics } from '../../agent/sources/statsd/metrics.js';

/** An engine whose series caps are `maxSeries` (the cardinality case wants them low). */
function engineWithCaps(maxSeries: number): StatsdEngine {
  return new StatsdEngine({
    maxPacketSize: 1000,
    maxLineLength: 100,
    percentiles: [50],
    timerSampleCap: 10,
    setExactCap: 10,
    idleTtlMs: 60_000,
    flushIntervalMs: 10_000,
    maxSeries,
    maxSeriesPerContainer: maxSeries,
  });
}

describe('StatsD self-metrics', () => {
  it('exposes received, rejected-by-reason, dropped and live-series counts', async () => {
    const engine = engineWithCaps(2);
    const registry = new Registry();
    registerStatsdMetrics(registry, engine.stats, engine.aggregator, () => ({ shared: 7, container: 3 }));
    engine.ingestPacket(Buffer.from('a:1|c\nb:x|c\nc:1|q\nd:1|c\ne:1|c\n'));
    engine.ingestPacket(Buffer.alloc(1001, 97));
    engine.ingestPacket(Buffer.from('d:1|c\nd:2|c'), '', ''); // attribution on, no container
    const text = await registry.metrics();
    expect(text).toContain('corral_statsd_packets_received_total 3');
    expect(text).toContain('corral_statsd_lines_received_total 7');
    expect(text).toContain('corral_statsd_lines_unattributed_total 2');
    expect(text).toContain('corral_statsd_lines_rejected_total{reason="not_a_number"} 1');
    expect(text).toContain('corral_statsd_lines_rejected_total{reason="unknown_type"} 1');
    expect(text).toContain('corral_statsd_lines_rejected_total{reason="packet_too_large"} 1');
    expect(text).toContain('corral_statsd_lines_dropped_total{reason="cardinality_total"} 1');
    expect(text).toContain('corral_statsd_live_series 2');
    expect(text).toContain('corral_statsd_udp_kernel_drops_total{port="shared"} 7');
    expect(text).toContain('corral_statsd_udp_kernel_drops_total{port="container"} 3');
  });

  it('times every flush, whoever calls it, and counts the datapoints flushed', async () => {
    const engine = engineWithCaps(100);
    const registry = new Registry();
    registerStatsdMetrics(registry, engine.stats, engine.aggregator, () => ({
      shared: null,
      container: null,
    }));
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
