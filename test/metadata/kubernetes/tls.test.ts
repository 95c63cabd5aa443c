import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetadataError } from '../../../agent/metadata/provider.js';
import { createKubeletProvider } from '../../../agent/metadata/providers/kubernetes/index.js';
import { HAS_OPENSSL, selfSignedCertificate } from '../../helpers/self-signed-cert.js';
import { EXPECTED, NODE_A7 } from './expected-snapshots.js';
import { KubeletServer } from './kubelet-server.js';
import { loadPod, podList } from './pod-fixtures.js';

// A kubelet's serving certificate is usually self-signed: this is the same, made by openssl.
const hasOpenssl = HAS_OPENSSL;

let tempDir: string;
let certificate: string;
let server: KubeletServer;
let url: string;
let tokenFile: string;

beforeAll(async () => {
  if (!hasOpenssl) return;
  tempDir = mkdtempSync(join(tmpdir(), 'corral-kubelet-tls-'));
  const made = selfSignedCertificate('node-a7@1715677200', ['node-a7']);
  certificate = made.cert;
  server = new KubeletServer({ key: made.key, cert: certificate });
  server.json(200, podList(loadPod('crashloop-oom')));
  url = await server.start();
  tokenFile = join(tempDir, 'token');
  writeFileSync(tokenFile, 'eyJhbGciOiJSUzI1NiJ9.tls');
});

afterAll(async () => {
  if (!hasOpenssl) return;
  await server.close();
  rmSync(tempDir, { recursive: true, force: true });
});

const expectedSnapshot = { node: NODE_A7, ...EXPECTED['crashloop-oom'] };

describe('kubelet over TLS', () => {
  it.skipIf(!hasOpenssl)('works with the certificate as tls.ca, and sends the token', async () => {
    const kubelet = createKubeletProvider({ url, tokenFile, tls: { ca: certificate }, timeoutMs: 2000 });
    const before = server.requests.length;
    expect(await kubelet.fetch(new AbortController().signal)).toStrictEqual(expectedSnapshot);
    expect(server.requests.slice(before).map((request) => request.authorization)).toEqual([
      'Bearer eyJhbGciOiJSUzI1NiJ9.tls',
    ]);
  });

  it.skipIf(!hasOpenssl)("fails with 'connect' when the certificate is not trusted", async () => {
    for (const tls of [undefined, {}]) {
      const kubelet = createKubeletProvider({ url, tokenFile, tls, timeoutMs: 2000 });
      const failure = await kubelet.fetch(new AbortController().signal).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(MetadataError);
      expect((failure as MetadataError).reason).toBe('connect');
      expect((failure as MetadataError).message).toMatch(/self.signed certificate/);
    }
  });

  it.skipIf(!hasOpenssl)('works with insecureSkipVerify', async () => {
    const kubelet = createKubeletProvider({
      url,
      tokenFile,
      tls: { insecureSkipVerify: true },
      timeoutMs: 2000,
    });
    expect(await kubelet.fetch(new AbortController().signal)).toStrictEqual(expectedSnapshot);
  });
});
