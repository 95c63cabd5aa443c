import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MetadataError, type MetadataProvider } from '../../../agent/metadata/provider.js';
import {
  createKubeletProvider,
  type KubeletProviderOptions,
} from '../../../agent/metadata/providers/kubernetes/index.js';
import { EXPECTED, NODE_A7 } from './expected-snapshots.js';
import { KubeletServer } from './kubelet-server.js';
import { loadPod, POD_FIXTURES, podList } from './pod-fixtures.js';

let tempDir: string;
let missingTokenFile: string;
let server: KubeletServer;
let url: string;

beforeAll(() => {
  tempDir = mkdtempSync(join(tmpdir(), 'corral-kubelet-'));
  missingTokenFile = join(tempDir, 'no-such-token');
});

afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

beforeEach(async () => {
  server = new KubeletServer();
  url = await server.start();
});

afterEach(() => server.close());

function provider(options: Partial<KubeletProviderOptions> = {}): MetadataProvider {
  return createKubeletProvider({ url, tokenFile: missingTokenFile, timeoutMs: 2000, ...options });
}

async function fetchError(
  kubelet: MetadataProvider,
  signal = new AbortController().signal,
): Promise<MetadataError> {
  try {
    await kubelet.fetch(signal);
  } catch (error) {
    if (error instanceof MetadataError) return error;
    throw error;
  }
  throw new Error('fetch resolved; a MetadataError was expected');
}

describe('createKubeletProvider', () => {
  it('reads GET /pods into the exact snapshot', async () => {
    server.json(200, podList(...POD_FIXTURES.map(loadPod)));
    const kubelet = provider({ clusterId: 'prod-eu' });

    const snapshot = await kubelet.fetch(new AbortController().signal);

    expect(kubelet.name).toBe('kubernetes');
    expect(snapshot).toStrictEqual({
      node: { cluster_id: 'prod-eu', ...NODE_A7 },
      containers: POD_FIXTURES.flatMap((fixture) => EXPECTED[fixture].containers),
      tasks: POD_FIXTURES.flatMap((fixture) => EXPECTED[fixture].tasks),
    });
    expect(server.requests).toEqual([
      { method: 'GET', url: '/pods', authorization: undefined, accept: 'application/json' },
    ]);
  });

  it('uses the configured node name and reports skipped pods', async () => {
    const withoutUid = loadPod('pending');
    delete (withoutUid.metadata as Record<string, unknown>).uid;
    server.json(200, podList(withoutUid, loadPod('job-completed')));
    const skipped: string[] = [];
    const kubelet = provider({ nodeName: 'ip-10-0-3-17', onSkipped: (reason) => skipped.push(reason) });

    expect(await kubelet.fetch(new AbortController().signal)).toStrictEqual({
      node: { agent_id: 'ip-10-0-3-17', hostname: 'ip-10-0-3-17' },
      ...EXPECTED['job-completed'],
    });
    expect(skipped).toEqual(['pod_without_uid']);
  });

  it('keeps a path prefix of the URL (an API server node proxy)', async () => {
    server.json(200, podList());
    await provider({ url: `${url}/api/v1/nodes/node-a7/proxy` }).fetch(new AbortController().signal);
    expect(server.requests.map((request) => request.url)).toEqual(['/api/v1/nodes/node-a7/proxy/pods']);
  });

  it('sends the token file as a bearer token, read again on every fetch', async () => {
    server.json(200, podList());
    const tokenFile = join(tempDir, 'token-rotating');
    writeFileSync(tokenFile, 'eyJhbGciOiJSUzI1NiJ9.first\n');
    const kubelet = provider({ tokenFile });

    await kubelet.fetch(new AbortController().signal);
    writeFileSync(tokenFile, 'eyJhbGciOiJSUzI1NiJ9.second');
    await kubelet.fetch(new AbortController().signal);
    rmSync(tokenFile);
    await kubelet.fetch(new AbortController().signal);

    expect(server.requests.map((request) => request.authorization)).toEqual([
      'Bearer eyJhbGciOiJSUzI1NiJ9.first',
      'Bearer eyJhbGciOiJSUzI1NiJ9.second',
      undefined,
    ]);
  });

  it('sends no auth header for an empty token file', async () => {
    server.json(200, podList());
    const tokenFile = join(tempDir, 'token-empty');
    writeFileSync(tokenFile, '\n');
    await provider({ tokenFile }).fetch(new AbortController().signal);
    expect(server.requests.map((request) => request.authorization)).toEqual([undefined]);
  });

  it("sends no auth header when tokenFile is ''", async () => {
    server.json(200, podList());
    await provider({ tokenFile: '' }).fetch(new AbortController().signal);
    expect(server.requests.map((request) => request.authorization)).toEqual([undefined]);
  });

  it("fails with 'auth' when the token file cannot be read", async () => {
    server.json(200, podList());
    const error = await fetchError(provider({ tokenFile: tempDir }));
    expect(error.reason).toBe('auth');
    expect(server.requests).toEqual([]);
  });

  it.each([
    [401, 'auth'],
    [403, 'auth'],
    [500, 'http_status'],
    [404, 'http_status'],
  ] as const)('maps status %i to %s', async (status, reason) => {
    server.json(status, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: status });
    expect((await fetchError(provider())).reason).toBe(reason);
  });

  it("fails with 'malformed' on a body that is not JSON", async () => {
    server.handler = (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"items": [');
    expect((await fetchError(provider())).reason).toBe('malformed');
  });

  it("fails with 'malformed' on JSON that is not a PodList", async () => {
    server.json(200, { kind: 'NodeList', apiVersion: 'v1', nodes: [] });
    const error = await fetchError(provider());
    expect(error.reason).toBe('malformed');
    expect(error.message).toBe('the kubelet /pods answer is not a PodList (it has no items array)');
  });

  it("fails with 'timeout' when the kubelet never answers", async () => {
    server.handler = () => {};
    const error = await fetchError(provider({ timeoutMs: 200 }));
    expect(error.reason).toBe('timeout');
    expect(server.requests).toHaveLength(1);
  });

  it("fails with 'timeout' when the caller aborts", async () => {
    server.handler = () => {};
    const abort = new AbortController();
    const failed = fetchError(provider({ timeoutMs: 30_000 }), abort.signal);
    await server.nextRequest();
    abort.abort();
    expect((await failed).reason).toBe('timeout');
  });

  it("fails with 'connect' when nothing listens", async () => {
    const closed = new KubeletServer();
    const closedUrl = await closed.start();
    await closed.close();
    expect((await fetchError(provider({ url: closedUrl }))).reason).toBe('connect');
  });

  it('rejects a URL that is not http(s) when created', () => {
    expect(() => createKubeletProvider({ url: 'unix:///var/run/kubelet.sock', timeoutMs: 1000 })).toThrow(
      'kubelet url unix:///var/run/kubelet.sock must be http:// or https://',
    );
    expect(() => createKubeletProvider({ url: '127.0.0.1:10250', timeoutMs: 1000 })).toThrow(
      'kubelet url "127.0.0.1:10250" is not a URL',
    );
  });
});
