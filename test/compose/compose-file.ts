/**
 * docker-compose.yml as the tests see it: parsed like Compose parses it (YAML merge keys
 * resolved), and the Compose Specification's JSON schema to check it against.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { REPO_ROOT } from '../helpers/agent-process.js';

export const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');

/** The parts of a service the tests read; the schema test checks the rest. */
export interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile_inline?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: (string | { type?: string; source?: string; target: string })[];
  ports?: (string | number | Record<string, unknown>)[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  depends_on?: string[] | Record<string, { condition: string }>;
  restart?: string;
  [key: string]: unknown;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Parses compose YAML; `<<: *anchor` merges as Compose does (YAML 1.1 merge keys). */
export function parseCompose(text: string): ComposeFile {
  return parse(text, { merge: true, maxAliasCount: -1 }) as ComposeFile;
}

export function readCompose(): ComposeFile {
  return parseCompose(readFileSync(COMPOSE_FILE, 'utf8'));
}

/**
 * The upstream Compose Specification schema (compose-spec/compose-spec, schema/compose-spec.json,
 * Apache-2.0) as the dclint package ships it: dclint's build downloads that file unchanged from
 * the spec repository's main branch into schemas/compose.schema.json.
 */
export const SCHEMA_PATH = join(
  dirname(createRequire(import.meta.url).resolve('dclint/package.json')),
  'schemas',
  'compose.schema.json',
);

export function readSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
}

/** Ajv's validator for the schema, with the draft the schema declares. */
export function composeValidator(): ValidateFunction {
  const schema = readSchema();
  // Strict about the schema's keywords (a misread schema fails loudly), not about its style: the
  // spec leaves "type" out beside object keywords and uses type unions, which strictTypes flags.
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, allowUnionTypes: true });
  const draft = String(schema.$schema);
  // The spec names draft-07 by its https address; Ajv knows the meta-schema by its http one.
  if (/^https?:\/\/json-schema\.org\/draft-07\/schema#?$/.test(draft) && !ajv.getSchema(draft)) {
    const meta = ajv.getSchema('http://json-schema.org/draft-07/schema')?.schema as object;
    ajv.addMetaSchema({ ...meta, $id: draft });
  }
  return ajv.compile(schema);
}

export function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`)
    .join('\n');
}

/** The command as Compose runs it: a list stays a list; a string is split on whitespace. */
export function commandOf(service: ComposeService): string[] {
  const { command } = service;
  if (command === undefined) return [];
  return Array.isArray(command) ? command : command.trim().split(/\s+/);
}

/** The service's environment as a map, list form (KEY=value) included. */
export function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const eq = entry.indexOf('=');
        return eq < 0 ? [entry, ''] : [entry.slice(0, eq), entry.slice(eq + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** Services that run the corral CLI (`node bin/corral.js <command> ...`). */
export function corralServices(compose: ComposeFile): [string, ComposeService][] {
  return Object.entries(compose.services).filter(([, s]) => commandOf(s)[1] === 'bin/corral.js');
}

/** A short-syntax volume's source, target and mode; long syntax as given. */
export function volumeMounts(service: ComposeService): { source: string; target: string; mode: string }[] {
  return (service.volumes ?? []).map((v) => {
    if (typeof v !== 'string') return { source: v.source ?? '', target: v.target, mode: '' };
    const [source = '', target = '', mode = ''] = v.split(':');
    return { source, target, mode };
  });
}

/** Published ports in short syntax as { host, published, target, protocol }. */
export function publishedPorts(
  service: ComposeService,
): { host: string; published: number; target: number; protocol: string }[] {
  return (service.ports ?? []).map((p) => {
    const text = String(p);
    const [mapping = '', protocol = 'tcp'] = text.split('/');
    const parts = mapping.split(':');
    const target = Number(parts.at(-1));
    const published = parts.length >= 2 ? Number(parts.at(-2)) : target;
    const host = parts.length === 3 ? parts[0]! : '0.0.0.0';
    return { host, published, target, protocol };
  });
}

/** Turns Compose's `$$` escapes back into the `$` the container sees. */
export function unescapeDollars(text: string): string {
  return text.replaceAll('$$', '$');
}
