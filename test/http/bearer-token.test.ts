/**
 * The optional bearer token of the agent and collector HTTP APIs, on the real servers: probes
 * answer without it, every other route wants it, refusals are counted; a token file that is
 * missing or empty is a configuration error naming its key.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, test } from 'vitest';
import { startAgentHttp } from '../../agent/http/server.js';
import { startCollectorHttp } from '../../collector/http/server.js';
import { ConfigError } from '../../lib/config/errors.js';
import { readBearerToken } from '../../lib/http/bearer-token.js';

const TOKEN = 'pr3tty-s3cret token';
const dir = mkdtempSync(join(tmpdir(), 'corral-bearer-'));
const servers: FastifyInstance[] = [];
afterAll(async () => {
  for (const server of servers) await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const logger = pino({ level: 'silent' });
const address = { host: '127.0.0.1', port: 0 };

function baseOf(server: FastifyInstance): string {
  const bound = server.server.address();
  if (bound === null || typeof bound === 'string') throw new Error('not listening on TCP');
  return `http://127.0.0.1:${bound.port}`;
}

async function status(url: string, authorization?: string): Promise<number> {
  const response = await fetch(url, authorization === undefined ? {} : { headers: { authorization } });
  await response.arrayBuffer();
  return response.status;
}

async function refusedCount(base: string): Promise<number> {
  const text = await (
    await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
  ).text();
  return Number(/^corral_http_unauthorized_requests_total (\S+)$/m.exec(text)?.[1]);
}

describe.each([
  {
    name: 'collector',
    start: (registry: Registry, token: string | undefined) =>
      startCollectorHttp({ address, registry, logger, notReady: async () => [], token }),
    guarded: '/metrics',
  },
  {
    name: 'agent',
    start: (registry: Registry, token: string | undefined) =>
      startAgentHttp({ address, registry, logger, token, statsdEndpoints: () => [] }),
    guarded: '/v0/statsd/endpoints',
  },
])('$name HTTP API', ({ start, guarded }) => {
  test('with a token: probes open, other routes want it, refusals counted', async () => {
    const server = await start(new Registry(), TOKEN);
    servers.push(server);
    const base = baseOf(server);
    expect(await status(`${base}/healthz`)).toBe(200);
    expect(await status(`${base}/readyz?verbose=1`)).toBe(200);
    expect(await status(`${base}${guarded}`)).toBe(401);
    expect(await status(`${base}/metrics`, `Bearer ${TOKEN}x`)).toBe(401);
    expect(await status(`${base}/metrics`, TOKEN)).toBe(401);
    expect(await status(`${base}${guarded}`, `Bearer ${TOKEN}`)).toBe(200);
    expect(await status(`${base}${guarded}`, `bearer ${TOKEN}`)).toBe(200);
    const refused = await fetch(`${base}${guarded}`);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    expect(await refused.json()).toEqual({
      error: 'a bearer token is required (Authorization: Bearer <token>)',
    });
    expect(await refusedCount(base)).toBe(4);
  });

  test('without a token every route is open', async () => {
    const server = await start(new Registry(), undefined);
    servers.push(server);
    expect(await status(`${baseOf(server)}${guarded}`)).toBe(200);
  });
});

describe('readBearerToken', () => {
  test('the file without its final line break; nothing without a file', () => {
    const file = join(dir, 'token');
    writeFileSync(file, `${TOKEN}\n`);
    expect(readBearerToken('agent.httpTokenFile', file)).toBe(TOKEN);
    expect(readBearerToken('agent.httpTokenFile', '')).toBeUndefined();
  });

  test('a missing or empty file is a configuration error naming the key', () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    for (const [path, message] of [
      [join(dir, 'missing'), `collector.httpTokenFile: cannot read ${join(dir, 'missing')} (ENOENT)`],
      [empty, `collector.httpTokenFile: ${empty} is empty; a token is needed`],
    ] as const) {
      let error: unknown;
      try {
        readBearerToken('collector.httpTokenFile', path);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).key).toBe('collector.httpTokenFile');
      expect((error as ConfigError).message).toBe(message);
    }
  });
});
