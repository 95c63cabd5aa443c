import { pino } from 'pino';
import { expect, it } from 'vitest';
import { runCollector } from '../../collector/run.js';
import type { Storage } from '../../collector/storage/storage.js';
import { inProcessCollector } from '../helpers/in-process-collector.js';

const prefix = `readyz${process.pid}.`;
const POLL = { timeout: 20_000, interval: 50 };
const collector = inProcessCollector(prefix, 1, 'corral-collector-readyz-');

async function readiness(base: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${base}/readyz`);
  return { status: response.status, body: await response.json() };
}

it('is ready in the group with storage answering, and names the storage while it does not', async () => {
  let storageDown = false;
  const running = await runCollector(
    collector.config({ http: { host: '127.0.0.1', port: 0 } }),
    pino({ level: 'silent' }),
    {
      env: {},
      wrapStorage: (inner) =>
        Object.create(inner, {
          ping: {
            value: () => (storageDown ? Promise.reject(new Error('connection refused')) : inner.ping()),
          },
        }) as Storage,
    },
  );
  collector.running = running;
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
