import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { CorralConfig } from '../../lib/config/schema.js';
import { readSettingFile } from '../../lib/config/setting-file.js';
import type { DiscoveredContainer } from '../sources/cgroup/discovery.js';
import { type Auth, getJson, type TlsOptions } from './http-json.js';
import { MetadataError, type MetadataProvider, type SkipCounter } from './provider.js';
import { createDockerProvider } from './providers/docker/index.js';
import { createKubeletProvider } from './providers/kubernetes/index.js';
import { createMesosProvider } from './providers/mesos/index.js';
import { createNoneProvider } from './providers/none/none-provider.js';

export type ProviderName = MetadataProvider['name'];

/** What a provider needs besides the configuration. */
export interface ProviderContext {
  containers: () => readonly DiscoveredContainer[];
  onSkipped: SkipCounter;
  env?: NodeJS.ProcessEnv;
}

/** A setting's file, read now; a named file that cannot be read is a config error (exit 2). */
function mesosAuth(config: CorralConfig['metadata']): Auth {
  const token = readSettingFile('metadata.mesosTokenFile', config.mesosTokenFile)?.trim();
  if (token !== undefined) return { bearer: token };
  if (config.mesosUser === '') return undefined;
  const password = readSettingFile('metadata.mesosPasswordFile', config.mesosPasswordFile)?.trim() ?? '';
  return { basic: { user: config.mesosUser, password } };
}

function mesosTls(config: CorralConfig['metadata']): TlsOptions | undefined {
  const tls: TlsOptions = {};
  const ca = readSettingFile('metadata.mesosCaFile', config.mesosCaFile);
  const cert = readSettingFile('metadata.mesosCertFile', config.mesosCertFile);
  const key = readSettingFile('metadata.mesosKeyFile', config.mesosKeyFile);
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  return Object.keys(tls).length === 0 ? undefined : tls;
}

/** The configured provider (provider "auto" must be resolved with detectProvider first). */
export function createProvider(
  name: ProviderName,
  config: CorralConfig,
  context: ProviderContext,
): MetadataProvider {
  const m = config.metadata;
  const clusterId = m.clusterId === '' ? undefined : m.clusterId;
  const timeoutMs = m.timeout;
  switch (name) {
    case 'mesos': {
      const settings = { timeoutMs, auth: mesosAuth(m), tls: mesosTls(m) };
      return createMesosProvider({
        endpoint: { url: m.mesosUrl },
        settings,
        clusterId,
        onSkipped: context.onSkipped,
      });
    }
    case 'docker':
      return createDockerProvider({
        endpoint: { socketPath: m.dockerSocket },
        settings: { timeoutMs },
        clusterId,
        onSkipped: context.onSkipped,
      });
    case 'kubernetes': {
      // A missing CA file (not in a pod) falls back to the system CAs rather than failing.
      const ca =
        m.kubeletCaFile !== '' && existsSync(m.kubeletCaFile)
          ? readSettingFile('metadata.kubeletCaFile', m.kubeletCaFile)
          : undefined;
      const tls: TlsOptions = { insecureSkipVerify: m.kubeletInsecure === 'true' };
      if (ca !== undefined) tls.ca = ca;
      return createKubeletProvider({
        url: m.kubeletUrl,
        tokenFile: m.kubeletTokenFile,
        tls,
        timeoutMs,
        clusterId,
        nodeName: m.nodeName === '' ? undefined : m.nodeName,
        onSkipped: context.onSkipped,
      });
    }
    case 'none':
      return createNoneProvider({ hostname: hostname(), clusterId, containers: context.containers });
  }
}

/**
 * Provider "auto": the kubelet when running in a Kubernetes pod (its service account token
 * or KUBERNETES_SERVICE_HOST is there), a Mesos agent when one answers /version, the Docker
 * Engine when its socket exists, else none. Each probe is quick and local.
 */
export async function detectProvider(
  config: CorralConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ProviderName> {
  const m = config.metadata;
  if (
    env.KUBERNETES_SERVICE_HOST !== undefined ||
    (m.kubeletTokenFile !== '' && existsSync(m.kubeletTokenFile))
  ) {
    return 'kubernetes';
  }
  try {
    await getJson({ url: m.mesosUrl }, '/version', { timeoutMs: Math.min(1000, m.timeout) });
    return 'mesos';
  } catch (error) {
    // An agent that wants credentials is an agent all the same.
    if (error instanceof MetadataError && error.reason === 'auth') return 'mesos';
  }
  if (existsSync(m.dockerSocket)) return 'docker';
  return 'none';
}
