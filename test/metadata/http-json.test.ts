import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getJson } from '../../agent/metadata/http-json.js';
import { MetadataError } from '../../agent/metadata/provider.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function serve(handler: Handler, socketPath?: string): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) =>
    socketPath ? server.listen(socketPath, resolve) : server.listen(0, '127.0.0.1', resolve),
  );
  const url = socketPath ?? `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, url };
}

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return error instanceof MetadataError ? error.reason : `not a MetadataError: ${String(error)}`;
  }
}

describe('getJson', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
  });
  const start = async (handler: Handler, socketPath?: string) => {
    const served = await serve(handler, socketPath);
    servers.push(served.server);
    return served.url;
  };

  it('parses the body and sends basic or bearer auth as configured', async () => {
    const seen: (string | undefined)[] = [];
    const url = await start((req, res) => {
      seen.push(req.headers.authorization);
      res.end(JSON.stringify({ path: req.url }));
    });
    expect(
      await getJson({ url }, '/state?x=1', {
        timeoutMs: 1000,
        auth: { basic: { user: 'u', password: 'p' } },
      }),
    ).toEqual({ path: '/state?x=1' });
    await getJson({ url }, '/state', { timeoutMs: 1000, auth: { bearer: 'tok' } });
    await getJson({ url }, '/state', { timeoutMs: 1000 });
    expect(seen).toEqual([`Basic ${Buffer.from('u:p').toString('base64')}`, 'Bearer tok', undefined]);
  });

  it('reads over a unix socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'corral-sock-'));
    try {
      const socketPath = await start((req, res) => res.end(JSON.stringify([req.url])), join(dir, 'api.sock'));
      expect(await getJson({ socketPath }, '/containers/json', { timeoutMs: 1000 })).toEqual([
        '/containers/json',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names each failure by reason', async () => {
    const url = await start((req, res) => {
      if (req.url === '/401') res.writeHead(401).end();
      else if (req.url === '/403') res.writeHead(403).end();
      else if (req.url === '/500') res.writeHead(500).end('oops');
      else if (req.url === '/garbage') res.end('{"frameworks": [');
      else if (req.url === '/big') res.end(JSON.stringify({ pad: 'x'.repeat(2000) }));
      else if (req.url === '/slow-body') res.write('{"a":'); // never ends
      // "/hang": never answers
    });
    const settings = { timeoutMs: 200 };
    expect(await reason(getJson({ url }, '/401', settings))).toBe('auth');
    expect(await reason(getJson({ url }, '/403', settings))).toBe('auth');
    expect(await reason(getJson({ url }, '/500', settings))).toBe('http_status');
    expect(await reason(getJson({ url }, '/garbage', settings))).toBe('malformed');
    expect(await reason(getJson({ url }, '/big', { ...settings, maxBytes: 1000 }))).toBe('too_large');
    expect(await reason(getJson({ url }, '/hang', settings))).toBe('timeout');
    expect(await reason(getJson({ url }, '/slow-body', settings))).toBe('timeout');
  });

  it('calls a refused connection and a missing socket "connect"', async () => {
    const url = await start((_req, res) => res.end('{}'));
    const closed = servers.pop()!;
    await new Promise((resolve) => closed.close(resolve));
    expect(await reason(getJson({ url }, '/', { timeoutMs: 500 }))).toBe('connect');
    expect(await reason(getJson({ socketPath: '/nonexistent/docker.sock' }, '/', { timeoutMs: 500 }))).toBe(
      'connect',
    );
  });
});
