/**
 * The agent's /readyz on the real agent (runAgent in-process) with the Kafka sink against
 * librdkafka's mock broker: ready while the broker takes the agent's sends, 503 with the reason
 * once a send fails (broker down, or stopped), ready again when sends go through; before any
 * send, a broker that refuses connections makes it not ready. The null sink is always ready.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatsD } from 'hot-shots';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sinkNotReady } from '../../agent/http/readiness.js';
import { type RunningAgent, runAgent } from '../../agent/run.js';
import { StdoutSink } from '../../agent/sinks/stdout/stdout-sink.js';
import { loadConfig } from '../../lib/config/load.js';
import { selfMetrics } from '../helpers/agent-process.js';
import { type KafkaBroker, startKafkaBroker } from '../helpers/kafka-broker/index.js';

const POLL = { timeout: 20_000, interval: 50 };

interface Readiness {
  status: number;
  body: { status: string; reasons?: string[] };
}

describe('agent /readyz (real agent, Kafka sink, librdkafka mock broker)', () => {
  let dir = '';
  let agent: RunningAgent | undefined;
  let broker: KafkaBroker | undefined;
  const prefix = `readyz${process.pid}-${Date.now()}.`;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'corral-readyz-'));
  });
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
    await broker?.stop();
    broker = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string>): Promise<string> {
    const config = loadConfig({
      command: 'agent',
      env: {
        CORRAL_AGENT_SOURCES: 'statsd',
        CORRAL_AGENT_STATE_DIR: join(dir, 'state'),
        CORRAL_AGENT_HTTP: '127.0.0.1:0',
        CORRAL_METADATA_PROVIDER: 'none',
        CORRAL_STATSD_UDP: '127.0.0.1:0',
        CORRAL_STATSD_TCP: 'off',
        CORRAL_STATSD_FLUSH_INTERVAL: '200ms',
        CORRAL_KAFKA_TOPIC_PREFIX: prefix,
        CORRAL_KAFKA_SPOOL_DIR: join(dir, 'spool'),
        CORRAL_KAFKA_REQUEST_TIMEOUT: '2s',
        ...env,
      },
    });
    agent = await runAgent(config, pino({ level: 'silent' }));
    return `http://127.0.0.1:${agent.httpAddress!.port}`;
  }

  async function readiness(base: string): Promise<Readiness> {
    const response = await fetch(`${base}/readyz`);
    return { status: response.status, body: (await response.json()) as Readiness['body'] };
  }

  /**
   * A counter: reported in the one flush after it (counters report nothing while idle), so
   * each call makes exactly one send to Kafka and none is in flight once it has gone out.
   */
  async function sendCounter(): Promise<void> {
    const statsd = new StatsD({ host: '127.0.0.1', port: agent!.statsd!.udpAddress!.port });
    statsd.increment('readyz.requests', 1);
    await new Promise<void>((resolve) => statsd.close(() => resolve()));
  }

  /** A broker with the agent's topics, and an agent sending to it (its base URL). */
  async function startWithBroker(): Promise<{ base: string; kafka: KafkaBroker }> {
    const kafka = await startKafkaBroker();
    broker = kafka;
    for (const topic of ['metrics', 'events', 'metadata']) await kafka.createTopic(`${prefix}${topic}`, 1, 1);
    const base = await start({
      CORRAL_AGENT_SINK: 'kafka',
      CORRAL_KAFKA_BROKERS: kafka.bootstrap.join(','),
    });
    return { base, kafka };
  }

  const sent = async (base: string) => (await selfMetrics(base)).get('corral_kafka_records_sent_total') ?? 0;

  it('ready while the broker takes the sends; 503 with the reason while it is down; ready again once up', async () => {
    const { base, kafka } = await startWithBroker();
    // Before any send: the probe finds the broker.
    expect(await readiness(base)).toEqual({ status: 200, body: { status: 'ready' } });
    await sendCounter();
    await expect.poll(() => sent(base), POLL).toBeGreaterThan(0);
    expect(await readiness(base)).toEqual({ status: 200, body: { status: 'ready' } });

    await kafka.down(1);
    await sendCounter();
    await expect.poll(async () => (await readiness(base)).status, POLL).toBe(503);
    const down = await readiness(base);
    expect(down.body.status).toBe('not ready');
    expect(down.body.reasons).toHaveLength(1);
    expect(down.body.reasons![0]).toMatch(/^sink: the last Kafka send failed: \S/);

    await kafka.up(1);
    const before = await sent(base);
    await expect.poll(() => sent(base), POLL).toBeGreaterThan(before);
    await expect.poll(() => readiness(base), POLL).toEqual({ status: 200, body: { status: 'ready' } });
  });

  it('503 once the broker is stopped', async () => {
    const { base, kafka } = await startWithBroker();
    await sendCounter();
    await expect.poll(() => sent(base), POLL).toBeGreaterThan(0);
    expect((await readiness(base)).status).toBe(200);
    await kafka.stop();
    await sendCounter();
    await expect.poll(async () => (await readiness(base)).status, POLL).toBe(503);
    const stopped = await readiness(base);
    expect(stopped.body).toEqual({
      status: 'not ready',
      reasons: [expect.stringMatching(/^sink: the last Kafka send failed: \S/)],
    });
  });

  it('before any send, a broker that refuses connections makes it not ready', async () => {
    // A port nothing listens on any more.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    const base = await start({ CORRAL_AGENT_SINK: 'kafka', CORRAL_KAFKA_BROKERS: `127.0.0.1:${port}` });
    expect(await readiness(base)).toEqual({
      status: 503,
      body: {
        status: 'not ready',
        reasons: [`sink: no Kafka broker reachable (127.0.0.1:${port}: ECONNREFUSED)`],
      },
    });
  });

  it('the null and stdout sinks are always ready', async () => {
    const base = await start({ CORRAL_AGENT_SINK: 'null' });
    expect(await readiness(base)).toEqual({ status: 200, body: { status: 'ready' } });
    expect(await sinkNotReady(new StdoutSink(), { brokers: [] })()).toEqual([]);
  });
});
