/** The collector's /readyz: ready in its consumer group with storage answering; every reason otherwise. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningCollector, runCollector } from '../../collector/run.js';
import type { Storage } from '../../collector/storage/storage.js';
import { defaultConfig } from '../../lib/config/schema.js';
import { startBrokerWithCollectorTopics } from '../helpers/collector-process.js';
import type { KafkaBroker } from '../helpers/kafka-broker/index.js';

const prefix = `readyz${process.pid}.`;
const POLL = { timeout: 20_000, interval: 50 };
let broker: KafkaBroker;
let dataDir: string;
let running: RunningCollector | undefined;

beforeAll(async () => {
  broker = await startBrokerWithCollectorTopics(prefix, 1);
  dataDir = mkdtempSync(join(tmpdir(), 'corral-collector-readyz-'));
});

afterAll(async () => {
  await running?.stop();
  await broker.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function readiness(base: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${base}/readyz`);
  return { status: response.status, body: await response.json() };
}

it('is ready in the group with storage answering, and names the storage while it does not', async () => {
  let storageDown = false;
  const config = defaultConfig();
  config.kafka.brokers = broker.bootstrap;
  config.kafka.topicPrefix = prefix;
  Object.assign(config.collector, {
    groupId: `collector-${prefix}`,
    dataDir,
    http: { host: '127.0.0.1', port: 0 },
  });
  running = await runCollector(config, pino({ level: 'silent' }), {
    env: {},
    wrapStorage: (inner) =>
      Object.create(inner, {
        ping: {
          value: () => (storageDown ? Promise.reject(new Error('connection refused')) : inner.ping()),
        },
      }) as Storage,
  });
  const base = `http://127.0.0.1:${running.httpAddress!.port}`;
  await expect.poll(() => readiness(base), POLL).toEqual({ status: 200, body: { status: 'ready' } });

  storageDown = true;
  expect(await readiness(base)).toEqual({
    status: 503,
    body: { status: 'not ready', reasons: ['storage: connection refused'] },
  });
  storageDown = false;
  expect(await readiness(base)).toEqual({ status: 200, body: { status: 'ready' } });
});
