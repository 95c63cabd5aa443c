/**
 * An optional bearer token on an HTTP API (agent.httpTokenFile, collector.httpTokenFile):
 * every route but the health checks then wants `Authorization: Bearer <token>`, so probes keep
 * working without the secret. The token lives in a file, like the other secrets.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { ConfigError } from '../config/errors.js';
import { readSecretFile } from '../config/setting-file.js';

/** Routes answered without the token: liveness and readiness probes. */
export const OPEN_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

/** The token in `path` (its final line break dropped), or undefined when no file is set. */
export function readBearerToken(key: string, path: string): string | undefined {
  const token = readSecretFile(key, path);
  if (token !== undefined && token.trim() === '')
    throw new ConfigError(key, `${key}: ${path} is empty; a token is needed`);
  return token;
}

/**
 * Refuses requests without the token with 401, counted in
 * corral_http_unauthorized_requests_total. Compared as SHA-256 digests in constant time: how
 * long a comparison takes tells nothing about the token.
 */
export function requireBearerToken(app: FastifyInstance, token: string, registry: Registry): void {
  const expected = digest(token);
  const rejected = new Counter({
    name: 'corral_http_unauthorized_requests_total',
    help: 'HTTP API requests refused for a missing or wrong bearer token.',
    registers: [registry],
  });
  app.addHook('onRequest', async (request, reply) => {
    if (OPEN_ROUTES.has(request.url.split('?')[0]!)) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer (.+)$/i.exec(header);
    if (match !== null && timingSafeEqual(digest(match[1]!), expected)) return;
    rejected.inc();
    reply.code(401).header('www-authenticate', 'Bearer');
    return reply.send({ error: 'a bearer token is required (Authorization: Bearer <token>)' });
  });
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
