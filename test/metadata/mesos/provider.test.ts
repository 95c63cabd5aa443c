import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RequestSettings } from '../../../agent/metadata/http-json.js';
import { MetadataError, type MetadataSnapshot } from '../../../agent/metadata/provider.js';
import { createMesosProvider } from '../../../agent/metadata/providers/mesos/index.js';
import { HAS_OPENSSL, selfSignedCertificate } from '../../helpers/self-signed-cert.js';
import {
  type AgentServer,
  closedPortUrl,
  deferred,
  type Handler,
  sendJson,
  sendText,
  startAgentServer,
} from './agent-server.js';
import { fixtureText, RICH_SNAPSHOT, RICH_SNAPSHOT_WITHOUT_CONTAINERS, SAMPLE_SNAPSHOT } from './expected.js';

const RICH_ROUTES: Record<string, Handler> = {
  '/state': sendJson(fixtureText('rich-agent-state.json')),
  '/containers': sendJson(fixtureText('rich-containers.json')),
};

let servers: AgentServer[] = [];

async function serve(routes: Record<string, Handler>, tls?: { key: string; cert: string }) {
  const server = await startAgentServer(routes, tls);
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(servers.map((server) => server.close()));
  servers = [];
});

/** Fetches once through a Mesos provider; the snapshot, or the MetadataError it threw. */
async function fetchFrom(
  url: string,
  settings: Partial<RequestSettings> = {},
  signal: AbortSignal = new AbortController().signal,
): Promise<{ snapshot?: MetadataSnapshot; error?: MetadataError; skipped: string[] }> {
  const skipped: string[] = [];
  const provider = createMesosProvider({
    endpoint: { url },
    settings: { timeoutMs: 5000, ...settings },
    clusterId: 'prod-east',
    onSkipped: (reason) => skipped.push(reason),
  });
  try {
    return { snapshot: await provider.fetch(signal), skipped };
  } catch (error) {
    if (!(error instanceof MetadataError)) throw error;
    return { error, skipped };
  }
}

describe('Mesos provider against a local agent', () => {
  it('reads /state and /containers into the snapshot', async () => {
    const agent = await serve(RICH_ROUTES);
    const provider = createMesosProvider({ endpoint: { url: agent.url }, settings: { timeoutMs: 5000 } });
    expect(provider.name).toBe('mesos');
    expect(await fetchFrom(agent.url)).toEqual({ snapshot: RICH_SNAPSHOT, skipped: ['unmatched_container'] });
    expect(agent.requests.map((request) => `${request.method} ${request.path}`).sort()).toEqual([
      'GET /containers',
      'GET /state',
    ]);
  });

  it('replays the shared agent samples', async () => {
    const agent = await serve({
      '/state': sendJson(fixtureText('agent-state.json')),
      '/containers': sendJson(fixtureText('container-metrics-no-statistics.json')),
    });
    expect(await fetchFrom(agent.url)).toEqual({
      snapshot: { ...SAMPLE_SNAPSHOT, node: { cluster_id: 'prod-east' } },
      skipped: ['unmatched_container'],
    });
  });

  it('asks for both documents at once: /state is answered only after /containers arrived', async () => {
    const containersAsked = deferred();
    const agent = await serve({
      '/state': (req, res) => {
        containersAsked.done.then(() => RICH_ROUTES['/state']!(req, res));
      },
      '/containers': (req, res) => {
        containersAsked.resolve();
        RICH_ROUTES['/containers']!(req, res);
      },
    });
    expect((await fetchFrom(agent.url)).snapshot).toEqual(RICH_SNAPSHOT);
  });

  it('asks under the path of the endpoint URL (an agent behind a proxy)', async () => {
    const agent = await serve({
      '/agent/S3/state': RICH_ROUTES['/state']!,
      '/agent/S3/containers': RICH_ROUTES['/containers']!,
    });
    expect((await fetchFrom(`${agent.url}/agent/S3/`)).snapshot).toEqual(RICH_SNAPSHOT);
    expect(agent.requests.map((request) => request.path).sort()).toEqual([
      '/agent/S3/containers',
      '/agent/S3/state',
    ]);
  });

  it('sends basic credentials on both requests', async () => {
    const agent = await serve(RICH_ROUTES);
    const result = await fetchFrom(agent.url, { auth: { basic: { user: 'corral', password: 's3cr:t' } } });
    expect(result.snapshot).toEqual(RICH_SNAPSHOT);
    const expected = `Basic ${Buffer.from('corral:s3cr:t').toString('base64')}`;
    expect(agent.requests.map((request) => request.authorization)).toEqual([expected, expected]);
  });

  it('sends a bearer token on both requests', async () => {
    const agent = await serve(RICH_ROUTES);
    const result = await fetchFrom(agent.url, { auth: { bearer: 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln' } });
    expect(result.snapshot).toEqual(RICH_SNAPSHOT);
    expect(agent.requests.map((request) => request.authorization)).toEqual([
      'Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln',
      'Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln',
    ]);
  });

  it('reports 401 as auth', async () => {
    const agent = await serve({
      '/state': sendText(401, 'Unauthorized'),
      '/containers': sendText(401, 'Unauthorized'),
    });
    const { error } = await fetchFrom(agent.url);
    expect(error?.reason).toBe('auth');
    expect(error?.message).toBe(`${agent.url}/state answered 401`);
  });

  it('reports 500 from /state as http_status', async () => {
    const agent = await serve({
      '/state': sendText(500, 'oops'),
      '/containers': RICH_ROUTES['/containers']!,
    });
    const { error } = await fetchFrom(agent.url);
    expect(error?.reason).toBe('http_status');
    expect(error?.message).toBe(`${agent.url}/state answered 500`);
  });

  it('reports a body that is not JSON as malformed', async () => {
    const agent = await serve({ '/state': sendJson('<html>gateway</html>'), '/containers': sendJson('[]') });
    const { error } = await fetchFrom(agent.url);
    expect(error?.reason).toBe('malformed');
    expect(error?.message).toMatch(/^\/state is not JSON: /);
  });

  it('reports JSON that is no agent state as malformed', async () => {
    const agent = await serve({ '/state': sendJson({ version: '1.11.0' }), '/containers': sendJson('[]') });
    const { error } = await fetchFrom(agent.url);
    expect(error?.reason).toBe('malformed');
    expect(error?.message).toBe('GET /state is not an agent state (no frameworks array)');
  });

  it('times out on an agent that accepts but never answers', async () => {
    const agent = await serve({ '/state': () => {}, '/containers': () => {} });
    const { error } = await fetchFrom(agent.url, { timeoutMs: 200 });
    expect(error?.reason).toBe('timeout');
    expect(error?.message).toBe(`no response from ${agent.url}/state within 200 ms`);
  });

  it('reports a closed port as connect', async () => {
    const url = await closedPortUrl();
    const { error } = await fetchFrom(url);
    expect(error?.reason).toBe('connect');
    expect(error?.message).toMatch(/ECONNREFUSED/);
  });

  it('stops when the caller aborts', async () => {
    const agent = await serve(RICH_ROUTES);
    const { error } = await fetchFrom(agent.url, {}, AbortSignal.abort());
    expect(error?.reason).toBe('timeout');
  });

  it('still returns the snapshot when /containers fails, and counts it', async () => {
    const agent = await serve({ '/state': RICH_ROUTES['/state']!, '/containers': sendText(500, 'oops') });
    expect(await fetchFrom(agent.url)).toEqual({
      snapshot: RICH_SNAPSHOT_WITHOUT_CONTAINERS,
      skipped: ['containers_unavailable'],
    });
  });

  it('cancels /containers when /state fails', async () => {
    const containersAsked = deferred();
    const containersClosed = deferred();
    const agent = await serve({
      '/state': (req, res) => {
        containersAsked.done.then(() => sendText(503, 'busy')(req, res));
      },
      '/containers': (_req, res) => {
        // Never answered: only the client giving up closes it (timeoutMs is far away).
        res.on('close', containersClosed.resolve);
        containersAsked.resolve();
      },
    });
    const { error } = await fetchFrom(agent.url, { timeoutMs: 60_000 });
    expect(error?.reason).toBe('http_status');
    await containersClosed.done;
    expect(agent.requests.map((request) => request.path).sort()).toEqual(['/containers', '/state']);
  });
});

const hasOpenssl = HAS_OPENSSL;

describe.skipIf(!hasOpenssl)('Mesos provider over TLS', () => {
  let tls = { key: '', cert: '' };

  beforeAll(() => {
    tls = selfSignedCertificate('mesos-agent.test');
  });

  it('reads the snapshot from an agent whose certificate the configured CA signed', async () => {
    const agent = await serve(RICH_ROUTES, tls);
    expect(agent.url.startsWith('https://')).toBe(true);
    expect(await fetchFrom(agent.url, { tls: { ca: tls.cert } })).toEqual({
      snapshot: RICH_SNAPSHOT,
      skipped: ['unmatched_container'],
    });
  });

  it('refuses an agent certificate no configured CA signed, as connect', async () => {
    const agent = await serve(RICH_ROUTES, tls);
    const { error } = await fetchFrom(agent.url, { tls: {} });
    expect(error?.reason).toBe('connect');
    expect(error?.message).toMatch(/self-signed certificate/);
    expect(agent.requests).toEqual([]);
  });
});
