/**
 * An OpenAPI 3 document built from the fastify routes' own schemas (collected as they are
 * registered), so the document cannot leave a route out or describe a response the route does
 * not serialize.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import { OPEN_ROUTES } from '../../lib/http/bearer-token.js';

interface CollectedRoute {
  method: string;
  url: string;
  schema: Record<string, unknown>;
}

type Schema = Record<string, unknown>;

/** Starts collecting routes; call before registering them. */
export function collectRoutes(app: FastifyInstance): CollectedRoute[] {
  const routes: CollectedRoute[] = [];
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      // fastify adds a HEAD route for every GET.
      if (method === 'HEAD') continue;
      routes.push({ method: method.toLowerCase(), url: route.url, schema: (route.schema ?? {}) as Schema });
    }
  });
  return routes;
}

/** The document for the routes collected; `secured` adds the bearer token to every route but the probes. */
export function openApiDocument(
  routes: readonly CollectedRoute[],
  info: { title: string; version: string; description: string },
  secured: boolean,
): Schema {
  const paths: Record<string, Record<string, Schema>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const operation: Schema = {
      operationId: `${route.method}${route.url.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c?: string) => (c ?? '').toUpperCase())}`,
    };
    if (route.schema.summary !== undefined) operation.summary = route.schema.summary;
    if (route.schema.description !== undefined) operation.description = route.schema.description;
    const params = route.schema.params as Schema | undefined;
    if (params !== undefined) {
      const properties = (params.properties ?? {}) as Record<string, Schema>;
      operation.parameters = Object.entries(properties).map(([name, schema]) => {
        const { description, ...rest } = schema;
        return { name, in: 'path', required: true, description, schema: rest };
      });
    }
    const responses: Record<string, Schema> = {};
    for (const [code, response] of Object.entries((route.schema.response ?? {}) as Record<string, Schema>)) {
      responses[code] = openApiResponse(response);
    }
    if (Object.keys(responses).length === 0) responses['200'] = { description: 'OK' };
    if (secured && !OPEN_ROUTES.has(route.url)) {
      operation.security = [{ bearer: [] }];
      responses['401'] = { description: 'Missing or wrong bearer token' };
    }
    operation.responses = responses;
    paths[path] ??= {};
    paths[path][route.method] = operation;
  }
  const document: Schema = { openapi: '3.0.3', info, paths };
  if (secured) document.components = { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } };
  return document;
}

/** A fastify response schema as an OpenAPI response object. */
function openApiResponse(response: Schema): Schema {
  const { description = 'OK', content, ...schema } = response;
  if (content !== undefined) return { description, content };
  if (schema.type === 'null') return { description };
  return { description, content: { 'application/json': { schema: openApiSchema(schema) } } };
}

/** JSON Schema to OpenAPI 3.0's dialect: a type list with null becomes nullable. */
function openApiSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(openApiSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'type' && Array.isArray(value)) {
      const types = value.filter((t) => t !== 'null');
      out.type = types.length === 1 ? types[0] : types;
      if (types.length !== value.length) out.nullable = true;
    } else {
      out[key] = openApiSchema(value);
    }
  }
  return out;
}
