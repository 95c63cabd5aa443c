/**
 * The schema migrations runner: renders schemas/clickhouse/NNNN_name.sql for this layout
 * (one server or a cluster), applies the ones not yet applied, in order, and records each in
 * schema_migrations. Safe to run at every start and from several collectors at once: every
 * statement is idempotent (IF NOT EXISTS, OR REPLACE), and a migration is recorded only after
 * all its statements ran. Retention settings changed since a table was created are applied.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../lib/wire/schemas.js';
import { type DdlContext, renderDdl, type TableTtl } from './ddl-template.js';
import type { Storage } from './storage.js';

export interface Migration {
  version: number;
  name: string;
  /** The template as written; its checksum is what the guard compares. */
  template: string;
  checksum: string;
}

export interface MigrationResult {
  /** Versions applied by this run. */
  applied: number[];
  /** Versions found already applied. */
  skipped: number[];
  /** Versions recorded in the database that this code does not know (a newer collector ran). */
  unknown: number[];
  /** Tables whose TTL was changed to the configured one. */
  ttlUpdated: string[];
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function migrationsDir(): string {
  return join(packageRoot(), 'schemas', 'clickhouse');
}

/** The migrations in a directory, by version; refuses misnamed files and repeated versions. */
export function loadMigrations(dir: string = migrationsDir()): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const match = FILE_NAME.exec(file);
    if (match === null)
      throw new MigrationError(`${join(dir, file)}: expected a name such as 0001_datapoints.sql`);
    const version = Number(match[1]);
    if (migrations.some((m) => m.version === version))
      throw new MigrationError(`${join(dir, file)}: version ${version} appears twice`);
    // Line endings do not change what a migration means (a checkout with CRLF).
    const template = readFileSync(join(dir, file), 'utf8').replace(/\r\n/g, '\n');
    migrations.push({ version, name: match[2]!, template, checksum: checksum(template) });
  }
  return migrations;
}

export function checksum(template: string): string {
  return createHash('sha256').update(template).digest('hex');
}

/** Where the runner records what it applied (not a migration itself: it must exist first). */
const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS \${database}.schema_migrations \${on_cluster}
(
  version UInt32,
  name String,
  checksum String,
  applied DateTime64(3)
)
ENGINE = \${engine_unsharded ReplacingMergeTree(applied)}
ORDER BY version`;

/** The statements creating schema_migrations: on a cluster, one replica set across every server. */
export function migrationsTableDdl(context: DdlContext): string[] {
  return renderDdl(MIGRATIONS_TABLE, context).statements;
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/** Applies what is missing; throws MigrationError when an applied migration was edited since. */
export async function migrate(
  storage: Storage,
  context: DdlContext,
  migrations: readonly Migration[] = loadMigrations(),
): Promise<MigrationResult> {
  for (const statement of migrationsTableDdl(context)) await storage.exec(statement);
  const db = context.database;
  const rows = await storage.query<AppliedRow>(
    `SELECT version, name, checksum FROM ${db}.schema_migrations FINAL ORDER BY version`,
  );
  const applied = new Map(rows.map((row) => [Number(row.version), row]));
  const result: MigrationResult = { applied: [], skipped: [], unknown: [], ttlUpdated: [] };
  const known = new Set(migrations.map((m) => m.version));
  result.unknown = [...applied.keys()].filter((v) => !known.has(v));

  const ttls: TableTtl[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    const rendered = renderDdl(migration.template, context);
    ttls.push(...rendered.ttls);
    const record = applied.get(migration.version);
    if (record !== undefined) {
      if (record.checksum !== migration.checksum)
        throw new MigrationError(
          `migration ${fileName(migration)} changed after it was applied to ${db} ` +
            `(checksum ${migration.checksum.slice(0, 12)}, applied ${record.checksum.slice(0, 12)}): ` +
            'restore it and put the change in a new migration',
        );
      result.skipped.push(migration.version);
      continue;
    }
    for (const statement of rendered.statements) {
      try {
        await storage.exec(statement);
      } catch (error) {
        throw new MigrationError(
          `migration ${fileName(migration)} failed: ${(error as Error).message}\nin: ${firstLine(statement)}`,
        );
      }
    }
    await storage.exec(
      `INSERT INTO ${db}.schema_migrations (version, name, checksum, applied) ` +
        `VALUES (${migration.version}, '${migration.name}', '${migration.checksum}', now64(3))`,
    );
    result.applied.push(migration.version);
  }
  result.ttlUpdated = await applyTtls(storage, context, ttls);
  return result;
}

/** Brings every table's TTL to the configured one (a table keeps the TTL it was created with). */
async function applyTtls(
  storage: Storage,
  context: DdlContext,
  ttls: readonly TableTtl[],
): Promise<string[]> {
  if (ttls.length === 0) return [];
  const db = context.database;
  const tables = await storage.query<{ name: string; engine_full: string }>(
    `SELECT name, engine_full FROM system.tables WHERE database = '${db}'`,
  );
  const engines = new Map(tables.map((t) => [t.name, t.engine_full]));
  const updated: string[] = [];
  // The latest migration that mentions a table decides its TTL.
  const latest = new Map(ttls.map((t) => [t.table, t.expression]));
  for (const [table, expression] of latest) {
    const engine = engines.get(table);
    if (engine === undefined || engine.includes(`TTL ${expression}`)) continue;
    const onCluster = context.cluster === '' ? '' : ` ON CLUSTER '${context.cluster}'`;
    await storage.exec(`ALTER TABLE ${db}.${table}${onCluster} MODIFY TTL ${expression}`);
    updated.push(table);
  }
  return updated;
}

function fileName(migration: Migration): string {
  return `${String(migration.version).padStart(4, '0')}_${migration.name}.sql`;
}

function firstLine(statement: string): string {
  return statement.split('\n').find((line) => line.trim() !== '' && !line.trim().startsWith('--')) ?? '';
}
