import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { MetadataError } from './provider.js';

/** How to reach an orchestrator API: a URL, or a unix socket (the Docker Engine). */
export type Endpoint = { url: string } | { socketPath: string };

export interface TlsOptions {
  /** PEM text of the CA that signed the server's certificate. */
  ca?: string;
  /** PEM text of a client certificate and its key (mutual TLS). */
  cert?: string;
  key?: string;
  /** Accept any server certificate (a kubelet's self-signed one); logged at start. */
  insecureSkipVerify?: boolean;
}

export type Auth = { basic: { user: string; password: string } } | { bearer: string } | undefined;

export interface RequestSettings {
  auth?: Auth;
  tls?: TlsOptions;
  timeoutMs: number;
  /** Bodies larger than this are refused (too_large); an agent's /state can be megabytes. */
  maxBytes?: number;
  headers?: Record<string, string>;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** The connection errors that mean the API is not there (as opposed to answering badly). */
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOENT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EPIPE',
  'EAI_AGAIN',
]);

function authHeader(auth: Auth): string | undefined {
  if (auth === undefined) return undefined;
  if ('bearer' in auth) return `Bearer ${auth.bearer}`;
  return `Basic ${Buffer.from(`${auth.basic.user}:${auth.basic.password}`).toString('base64')}`;
}

/**
 * Opens a GET to endpoint + path and resolves with the response once its status is known
 * (2xx only); the caller reads or streams the body. Every failure is a MetadataError with a
 * reason, and the timeout covers connecting and the headers.
 */
export function openGet(
  endpoint: Endpoint,
  path: string,
  settings: RequestSettings,
  signal?: AbortSignal,
): Promise<IncomingMessage> {
  const headers: Record<string, string> = { accept: 'application/json', ...settings.headers };
  const authorization = authHeader(settings.auth);
  if (authorization !== undefined) headers.authorization = authorization;
  let options: RequestOptions;
  let secure = false;
  if ('socketPath' in endpoint) {
    options = { socketPath: endpoint.socketPath, path, headers };
  } else {
    const url = new URL(path, endpoint.url);
    secure = url.protocol === 'https:';
    options = {
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port,
      path: `${url.pathname}${url.search}`,
      headers,
    };
    if (secure && settings.tls !== undefined) {
      const { ca, cert, key, insecureSkipVerify } = settings.tls;
      Object.assign(options, { ca, cert, key, rejectUnauthorized: insecureSkipVerify !== true });
    }
  }
  const where =
    'socketPath' in endpoint ? `unix:${endpoint.socketPath}${path}` : new URL(path, endpoint.url).href;
  return new Promise((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)({ ...options, method: 'GET', signal });
    const timer = setTimeout(() => {
      req.destroy(new MetadataError('timeout', `no response from ${where} within ${settings.timeoutMs} ms`));
    }, settings.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error instanceof MetadataError) reject(error);
      else if (error.name === 'AbortError')
        reject(new MetadataError('timeout', `request to ${where} aborted`));
      else if (
        CONNECT_CODES.has(error.code ?? '') ||
        error.code?.startsWith('ERR_TLS') ||
        error.code?.includes('CERT')
      )
        reject(new MetadataError('connect', `cannot reach ${where}: ${error.message}`, { cause: error }));
      else
        reject(
          new MetadataError('connect', `request to ${where} failed: ${error.message}`, { cause: error }),
        );
    });
    req.on('response', (res) => {
      clearTimeout(timer);
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        resolve(res);
        return;
      }
      res.resume();
      const reason = status === 401 || status === 403 ? 'auth' : 'http_status';
      reject(new MetadataError(reason, `${where} answered ${status}`));
    });
    req.end();
  });
}

/** GETs a JSON document: its parsed value, or a MetadataError. */
export async function getJson(
  endpoint: Endpoint,
  path: string,
  settings: RequestSettings,
  signal?: AbortSignal,
): Promise<unknown> {
  const res = await openGet(endpoint, path, settings, signal);
  const maxBytes = settings.maxBytes ?? DEFAULT_MAX_BYTES;
  const chunks: Buffer[] = [];
  let length = 0;
  const timer = setTimeout(
    () =>
      res.destroy(
        new MetadataError('timeout', `body of ${path} not complete within ${settings.timeoutMs} ms`),
      ),
    settings.timeoutMs,
  );
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > maxBytes) {
        res.destroy();
        throw new MetadataError('too_large', `body of ${path} is over ${maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof MetadataError) throw error;
    throw new MetadataError('connect', `reading ${path} failed: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new MetadataError('malformed', `${path} is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
