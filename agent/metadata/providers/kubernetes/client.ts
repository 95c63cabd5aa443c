import { readFile } from 'node:fs/promises';
import { getJson, type TlsOptions } from '../../http-json.js';
import { MetadataError, type MetadataProvider } from '../../provider.js';
import { mapPodList } from './pod-list.js';

/** The kubelet's authenticated port; its certificate is usually self-signed (see tls). */
export const DEFAULT_KUBELET_URL = 'https://127.0.0.1:10250';
/** Where Kubernetes mounts a pod's service account token; rotated by the kubelet (~hourly). */
export const DEFAULT_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface KubeletProviderOptions {
  /** Default DEFAULT_KUBELET_URL; the read-only port 'http://127.0.0.1:10255' also works. */
  url?: string;
  /** Bearer token, read on every fetch since it rotates; a missing file (or '') means no auth header. */
  tokenFile?: string;
  tls?: TlsOptions;
  timeoutMs: number;
  /** '' means none. */
  clusterId?: string;
  /** The node's name; default (also for ''): the pods' spec.nodeName (absent while no pod is listed). */
  nodeName?: string;
  /** Called once per item left out of a snapshot, with a KubernetesSkipReason. */
  onSkipped?: (reason: string) => void;
}

/** Reads this node's pods from the kubelet's GET /pods. */
export function createKubeletProvider(options: KubeletProviderOptions): MetadataProvider {
  const endpoint = { url: baseUrl(options.url ?? DEFAULT_KUBELET_URL) };
  const tokenFile = options.tokenFile ?? DEFAULT_TOKEN_FILE;
  return {
    name: 'kubernetes',
    async fetch(signal) {
      const token = await readToken(tokenFile);
      // Relative 'pods' keeps a path prefix (an API server's /api/v1/nodes/<node>/proxy/).
      const body = await getJson(
        endpoint,
        'pods',
        {
          auth: token === undefined ? undefined : { bearer: token },
          tls: options.tls,
          timeoutMs: options.timeoutMs,
        },
        signal,
      );
      return mapPodList(body, {
        clusterId: options.clusterId,
        nodeName: options.nodeName,
        onSkipped: options.onSkipped,
      });
    },
  };
}

/** The URL with a trailing slash, so that 'pods' resolves under its path; rejects non-HTTP URLs. */
function baseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`kubelet url ${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(`kubelet url ${url} must be http:// or https://`);
  }
  if (!parsed.pathname.endsWith('/')) parsed.pathname += '/';
  return parsed.href;
}

/** The token, or undefined when there is no token file (outside a pod, the read-only port). */
async function readToken(tokenFile: string): Promise<string | undefined> {
  // '' is how the configuration says "no token".
  if (tokenFile === '') return undefined;
  let text: string;
  try {
    text = await readFile(tokenFile, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new MetadataError(
      'auth',
      `cannot read the kubelet token file ${tokenFile}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const token = text.trim();
  return token === '' ? undefined : token;
}
