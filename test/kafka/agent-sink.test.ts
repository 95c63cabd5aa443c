import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AgentProcess, kafkaAgentFlags, startAgent } from '../helpers/agent-process.js';
import { type KafkaBroker, startKafkaBroker } from '../helpers/kafka-broker/index.js';
import { consumeMetrics, type MetricsConsumer } from '../helpers/kafka-consumer.js';
import { statsdClient } from '../helpers/statsd-client.js';

describe('agent -> Kafka (real CLI, librdkafka mock broker, kafkajs consumer decoding Avro)', () => {
  let broker: KafkaBroker;
  let spoolDir = '';
  let agent: AgentProcess | undefined;
  let consumer: MetricsConsumer | undefined;
  const prefix = `t${process.pid}-${Date.now()}.`;

  beforeEach(async () => {
    broker = await startKafkaBroker();
    await broker.createTopic(`${prefix}metrics`, 2, 1);
    await broker.createTopic(`${prefix}events`, 1, 1);
    spoolDir = mkdtempSync(join(tmpdir(), 'corral-spool-e2e-'));
    await consume(`g-${prefix}`);
  });

  /** (Re)starts the test's consumer in a fresh group from the beginning of the metrics topic. */
  async function consume(groupId: string): Promise<void> {
    await consumer?.disconnect();
    consumer = await consumeMetrics(broker.bootstrap, `${prefix}metrics`, groupId);
  }

  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
    await consumer?.disconnect();
    await broker.stop();
    rmSync(spoolDir, { recursive: true, force: true });
  });

  const start = () =>
    startAgent(kafkaAgentFlags({ brokers: broker.bootstrap, prefix, spoolDir, requestTimeout: '2s' }));

  /** Waits until the agent has logged at least n failed sends (it spools and retries). */
  const failedSends = (n: number) =>
    agent!.waitFor(
      () => agent!.logs.filter((l) => l.msg === 'Kafka send failed; batches stay spooled').length >= n,
      `${n} failed send(s)`,
      20_000,
    );

  const total = (name: string) => consumer!.total(name);
  const received = () => consumer!.received;

  it('delivers the flushed datapoints as Avro, field for field', async () => {
    agent = await start();
    const statsd = statsdClient(agent.udpPort);
    statsd.increment('orders', 5, { region: 'eu' });
    statsd.timing('checkout', 42, { region: 'eu' });
    await expect.poll(() => total('orders'), { timeout: 20_000 }).toBe(5);
    statsd.close(() => {});
    const orders = received()
      .flatMap((r) => r.datapoints)
      .find((p) => p.name === 'orders');
    expect(orders).toMatchObject({ kind: 'counter', value: 5, tags: { region: 'eu' } });
    expect(orders?.dimensions).toMatchObject({ hostname: expect.any(String) });
    await expect
      .poll(
        () =>
          received()
            .flatMap((r) => r.datapoints)
            .some((p) => p.name === 'checkout'),
        {
          timeout: 20_000,
        },
      )
      .toBe(true);
    const checkout = received()
      .flatMap((r) => r.datapoints)
      .find((p) => p.name === 'checkout');
    expect(checkout?.timer).toMatchObject({
      count: 1,
      sum: 42,
      min: 42,
      max: 42,
      percentiles: { '50': 42, '99': 42 },
    });
    // Each batch is sent once: batch ids are unique.
    expect(new Set(received().map((r) => r.batchId)).size).toBe(received().length);
  });

  it('spools while the broker is down and delivers everything, exactly once, when it is back', async () => {
    agent = await start();
    const statsd = statsdClient(agent.udpPort);
    statsd.increment('before', 1);
    await expect.poll(() => total('before'), { timeout: 20_000 }).toBe(1);
    await broker.down(1);
    for (let i = 0; i < 20; i++) statsd.increment('during', 1);
    // The agent tries, fails and spools: wait for it to say so.
    await failedSends(1);
    for (let i = 0; i < 20; i++) statsd.increment('during', 1);
    await broker.up(1);
    await expect.poll(() => total('during'), { timeout: 30_000 }).toBe(40);
    statsd.close(() => {});
    expect(total('before')).toBe(1);
    expect(new Set(received().map((r) => r.batchId)).size).toBe(received().length);
  });

  it('replays its spool after being killed with SIGKILL while Kafka was down', {
    timeout: 90_000,
  }, async () => {
    agent = await start();
    const statsd = statsdClient(agent.udpPort);
    statsd.increment('warmup', 1);
    await expect.poll(() => total('warmup'), { timeout: 20_000 }).toBe(1);
    await broker.down(1);
    for (let i = 0; i < 30; i++) statsd.increment('spooled', 1);
    await failedSends(1);
    // Let the flushed 30 reach the spool (a flush every 200 ms), then kill without any shutdown.
    await failedSends(2);
    statsd.close(() => {});
    const exited = new Promise((resolve) => agent!.child.once('exit', resolve));
    agent.child.kill('SIGKILL');
    await exited;
    agent = undefined;
    await broker.up(1);
    // A consumer that sat through the outage backs off for up to ~30 s: read with a fresh one.
    await consume(`g-${prefix}-after`);
    agent = await start();
    await expect.poll(() => total('spooled'), { timeout: 30_000 }).toBe(30);
    expect(total('warmup')).toBe(1);
    const restarted = agent.logs.find((l) => l.msg === 'Kafka sink');
    expect(Number(restarted?.spooled)).toBeGreaterThan(0);
  });
});
