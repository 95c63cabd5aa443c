import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProvider, detectProvider } from '../../agent/metadata/create-provider.js';
import { ConfigError } from '../../lib/config/errors.js';
import { type CorralConfig, configSchema } from '../../lib/config/schema.js';

function config(metadata: Record<string, string>): CorralConfig {
  return configSchema.parse({ metadata });
}

describe('metadata provider selection', () => {
  let dir = '';
  let server: Server | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'corral-detect-'));
  });
  afterEach(async () => {
    rmSync(dir, { recursive: true, force: true });
    if (server !== undefined) await new Promise((resolve) => server!.close(resolve));
    server = undefined;
  });

  /** A Mesos agent stand-in answering /version with the given status. */
  async function mesosAnswering(status: number): Promise<string> {
    server = createServer((req, res) =>
      res.writeHead(req.url === '/version' ? status : 404).end('{"version":"1.11.0"}'),
    );
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  const nowhere = (extra: Record<string, string> = {}) => ({
    kubeletTokenFile: join(dir, 'no-token'),
    mesosUrl: 'http://127.0.0.1:1',
    dockerSocket: join(dir, 'no-docker.sock'),
    ...extra,
  });

  it('auto: kubernetes in a pod (service host variable or token file)', async () => {
    expect(await detectProvider(config(nowhere()), { KUBERNETES_SERVICE_HOST: '10.96.0.1' })).toBe(
      'kubernetes',
    );
    writeFileSync(join(dir, 'token'), 'abc');
    expect(await detectProvider(config(nowhere({ kubeletTokenFile: join(dir, 'token') })), {})).toBe(
      'kubernetes',
    );
  });

  it('auto: mesos when an agent answers /version, even one asking for credentials', async () => {
    expect(await detectProvider(config(nowhere({ mesosUrl: await mesosAnswering(200) })), {})).toBe('mesos');
    await new Promise((resolve) => server!.close(resolve));
    expect(await detectProvider(config(nowhere({ mesosUrl: await mesosAnswering(401) })), {})).toBe('mesos');
  });

  it('auto: docker when its socket exists, else none', async () => {
    expect(await detectProvider(config(nowhere()), {})).toBe('none');
    writeFileSync(join(dir, 'docker.sock'), '');
    expect(await detectProvider(config(nowhere({ dockerSocket: join(dir, 'docker.sock') })), {})).toBe(
      'docker',
    );
  });

  it('a credentials file that cannot be read is a config error naming the key', () => {
    const context = { containers: () => [], onSkipped: () => {} };
    const bad = config({ mesosUser: 'ops', mesosPasswordFile: join(dir, 'missing') });
    expect(() => createProvider('mesos', bad, context)).toThrow(ConfigError);
    expect(() => createProvider('mesos', bad, context)).toThrow('metadata.mesosPasswordFile');
    writeFileSync(join(dir, 'password'), 'secret\n');
    expect(
      createProvider('mesos', config({ mesosUser: 'ops', mesosPasswordFile: join(dir, 'password') }), context)
        .name,
    ).toBe('mesos');
  });

  it('none: the cgroup containers with names from their paths', async () => {
    const provider = createProvider('none', config({ clusterId: 'lab' }), {
      onSkipped: () => {},
      containers: () => [
        { runtime: 'systemd', id: 'nginx.service', path: '/system.slice/nginx.service', dirs: {} },
        { runtime: 'kubernetes', id: 'a'.repeat(64), pod: 'pod-uid', path: '/kubepods/x', dirs: {} },
      ],
    });
    const snapshot = await provider.fetch(new AbortController().signal);
    expect(snapshot.node).toMatchObject({ cluster_id: 'lab' });
    expect(snapshot.containers).toEqual([
      {
        containerId: 'nginx.service',
        dimensions: { framework_name: 'systemd', task_id: 'nginx.service', task_name: 'nginx' },
        ips: [],
      },
      {
        containerId: 'a'.repeat(64),
        dimensions: {
          framework_name: 'kubernetes',
          task_id: 'a'.repeat(64),
          task_name: 'aaaaaaaaaaaa',
          executor_id: 'pod-uid',
        },
        ips: [],
      },
    ]);
    expect(snapshot.tasks).toEqual([]);
  });
});
