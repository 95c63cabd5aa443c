/**
 * Every Kafka broker down for 30 s under steady load: the agent spools every batch of the
 * outage and sends it once the broker is back; the collector stores every line once.
 */
import { describe, expect, it } from 'vitest';
import { metricTotal } from './harness/pipeline.js';
import {
  finish,
  pollUntil,
  sampleFor,
  startLoaded,
  usePipeline,
  waitForLoadStored,
} from './harness/scenario.js';

const OUTAGE_MS = 30_000;

describe('fault: every Kafka broker down for 30 s under steady load', () => {
  const pipeline = usePipeline('broker-down');

  it('spools everything, sends it once the broker is back, and stores every line exactly once', {
    timeout: 180_000,
  }, async (context) => {
    const running = await startLoaded(pipeline());
    const { agent } = running;
    const metric = async (name: string) => metricTotal(await agent.metrics(), name);

    const { broker } = pipeline();
    await broker.down(-1);
    const sentBefore = await metric('corral_kafka_records_sent_total');
    const downAt = performance.now();
    await pollUntil(
      () => metric('corral_kafka_send_failures_total'),
      (failures) => failures > 0,
      'a failed send',
      10_000,
    );
    // The spool holds every batch of the outage: it only grows, nothing leaves, nothing is dropped.
    const spooled = await sampleFor(OUTAGE_MS - (performance.now() - downAt), () =>
      metric('corral_spool_records'),
    );
    expect(spooled).toEqual(spooled.toSorted((a, b) => a - b));
    // A batch per container (4) every 500 ms flush for 30 s, give or take merged flushes.
    expect(spooled.at(-1)).toBeGreaterThanOrEqual(100);
    expect(await metric('corral_kafka_records_sent_total')).toBe(sentBefore);
    expect(await metric('corral_spool_dropped_records_total')).toBe(0);

    await broker.up(-1);
    const recoveryMs = await waitForLoadStored(running, 90_000);
    await finish(context, running, { recoveryMs });
  });
});
