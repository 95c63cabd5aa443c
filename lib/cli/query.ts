/**
 * `corral query "<SQL>"`: read-only SQL against the configured storage. A server is queried
 * directly. An embedded data directory is opened directly too, unless a running corral holds
 * it (chdb allows one process per directory): then the query goes to that process's collector
 * HTTP API (POST /v0/query), which runs it read-only on its own engine.
 */
import {
  DataDirInUseError,
  openReadOnlyQuery,
  type QueryResult,
} from '../../collector/query/read-only-query.js';
import type { CorralConfig } from '../config/schema.js';
import { readBearerToken } from '../http/bearer-token.js';

/** How long to wait for a running collector's answer. */
const HTTP_TIMEOUT_MS = 120_000;

export async function runQuery(config: CorralConfig, sql: string): Promise<QueryResult> {
  const c = config.collector;
  // A running corral holds the embedded directory: ask it first (chdb prints to stderr when
  // a second process tries the directory), and open the directory when nothing answers.
  if (c.storage === 'embedded' && c.http !== null) {
    const answered = await queryRunningCollector(config, sql);
    if (answered !== undefined) return answered;
  }
  let query: Awaited<ReturnType<typeof openReadOnlyQuery>>;
  try {
    query = await openReadOnlyQuery(c);
  } catch (error) {
    if (error instanceof DataDirInUseError)
      throw new Error(`${error.message} whose collector HTTP API (collector.http) is off or elsewhere`);
    throw error;
  }
  try {
    return await query.run(sql);
  } finally {
    await query.close();
  }
}

/** The running collector's answer, or undefined when none listens at collector.http. */
async function queryRunningCollector(config: CorralConfig, sql: string): Promise<QueryResult | undefined> {
  const http = config.collector.http;
  if (http === null) return undefined;
  // A wildcard listen address is reached on loopback.
  const host = http.host === '0.0.0.0' ? '127.0.0.1' : http.host === '::' ? '::1' : http.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${http.port}/v0/query`;
  const token = readBearerToken('collector.httpTokenFile', config.collector.httpTokenFile);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify({ sql }),
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
  } catch (error) {
    if (connectionRefused(error)) return undefined;
    throw new Error(`the collector HTTP API at ${url} did not answer: ${(error as Error).message}`);
  }
  // Something else listens there (no query route): open the directory instead.
  if (response.status === 404) return undefined;
  const body = (await response.json().catch(() => ({}))) as QueryResult & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `${url} answered ${response.status}`);
  return body;
}

/** fetch's "nothing listens there" (its cause is the socket error). */
function connectionRefused(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code === 'ECONNREFUSED';
}
