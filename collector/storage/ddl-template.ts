/**
 * The placeholders of schemas/clickhouse/*.sql, rendered for one ClickHouse server or for a
 * cluster: one set of migration files, two layouts (schemas/clickhouse/README.md).
 *
 * On a cluster every table becomes `<name>_local`, a Replicated*MergeTree created ON CLUSTER,
 * with a Distributed table `<name>` over it, so inserts and queries use the same names in
 * both layouts. Materialized views stay on each server, from local table to local table.
 */
import { splitStatements } from './sql-statements.js';

/** The retention settings a template can refer to as `${ttl KEY}`. */
export const TTL_KEYS = ['datapoints', 'rollups_1m', 'rollups_1h', 'events'] as const;
export type TtlKey = (typeof TTL_KEYS)[number];

export interface DdlContext {
  database: string;
  /** Cluster name from the server's remote_servers, or '' for one server. */
  cluster: string;
  /** Seconds each kind of data is kept. */
  ttlSeconds: Readonly<Record<TtlKey, number>>;
  /** Inserted blocks whose tokens each table remembers (insert deduplication). */
  dedupWindow: number;
}

/** A TTL a table was created with, so a changed setting can be applied to it later. */
export interface TableTtl {
  /** The table holding the rows (`<name>_local` on a cluster). */
  table: string;
  /** As ClickHouse prints it in system.tables.engine_full after `TTL `. */
  expression: string;
}

export interface RenderedDdl {
  statements: string[];
  ttls: TableTtl[];
}

export class DdlTemplateError extends Error {
  override name = 'DdlTemplateError';
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CLUSTER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const PLACEHOLDER = /\$\{(\w+)(?:\s+([^}]*))?\}/g;
const ENGINE = /^(\w*MergeTree)\((.*)\)$/s;

/** ZooKeeper path of a sharded table's replicas; the macros are the server's own. */
export const REPLICA_PATH = "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'";
/** Replicas of a table every server holds in full (schema_migrations). */
export const UNSHARDED_REPLICA_PATH = "'/clickhouse/tables/all/{database}/{table}', '{replica}'";

/**
 * Renders a migration into the statements to run, in order.
 *
 * | placeholder | one server | cluster |
 * | --- | --- | --- |
 * | `${database}` | the database | the same |
 * | `${on_cluster}` | nothing | `ON CLUSTER 'name'` |
 * | `${table NAME}` | NAME | NAME_local |
 * | `${engine XMergeTree(args)}` | XMergeTree(args) | ReplicatedXMergeTree(path, replica, args) |
 * | `${engine_unsharded XMergeTree(args)}` | XMergeTree(args) | the same, replicated to every server |
 * | `${distributed NAME KEY}` (a statement) | nothing | Distributed table NAME over NAME_local, sharded by KEY |
 * | `${ttl KEY}` | `toDateTime(time) + toIntervalSecond(N)` | the same |
 * | `${dedup_window}` | `non_replicated_deduplication_window = N` | `replicated_deduplication_window = N` |
 */
export function renderDdl(template: string, context: DdlContext): RenderedDdl {
  checkContext(context);
  const statements: string[] = [];
  const ttls: TableTtl[] = [];
  for (const statement of splitStatements(template)) {
    // The table a statement creates is its first ${table}; a ${ttl} in it belongs to that table.
    let table: string | undefined;
    const sql = statement.replace(PLACEHOLDER, (whole, name: string, argument: string | undefined) => {
      const arg = argument?.trim() ?? '';
      const value = renderPlaceholder(name, arg, context, whole);
      if (name === 'table') table ??= value;
      if (name === 'ttl') {
        if (table === undefined) throw new DdlTemplateError(`${whole} before any \${table} in its statement`);
        ttls.push({ table, expression: value });
      }
      return value;
    });
    if (sql.trim() !== '') statements.push(sql.trim());
  }
  return { statements, ttls };
}

function renderPlaceholder(name: string, arg: string, context: DdlContext, whole: string): string {
  const clustered = context.cluster !== '';
  switch (name) {
    case 'database':
      return context.database;
    case 'on_cluster':
      return clustered ? `ON CLUSTER '${context.cluster}'` : '';
    case 'table':
      checkIdentifier(arg, whole);
      return clustered ? `${arg}_local` : arg;
    case 'engine':
      return clustered ? replicated(arg, REPLICA_PATH, whole) : checkEngine(arg, whole);
    case 'engine_unsharded':
      return clustered ? replicated(arg, UNSHARDED_REPLICA_PATH, whole) : checkEngine(arg, whole);
    case 'distributed':
      return clustered ? distributed(arg, context, whole) : '';
    case 'ttl':
      return ttlExpression(arg, context, whole);
    case 'dedup_window':
      return clustered
        ? `replicated_deduplication_window = ${context.dedupWindow}`
        : `non_replicated_deduplication_window = ${context.dedupWindow}`;
    default:
      throw new DdlTemplateError(`unknown placeholder ${whole}`);
  }
}

function replicated(engine: string, path: string, whole: string): string {
  const [, name, args] = ENGINE.exec(checkEngine(engine, whole))!;
  return `Replicated${name}(${path}${args!.trim() === '' ? '' : `, ${args}`})`;
}

function distributed(arg: string, context: DdlContext, whole: string): string {
  const space = arg.indexOf(' ');
  const table = space === -1 ? arg : arg.slice(0, space);
  const shardingKey = space === -1 ? '' : arg.slice(space + 1).trim();
  checkIdentifier(table, whole);
  if (shardingKey === '') throw new DdlTemplateError(`${whole} needs a sharding key`);
  const db = context.database;
  return (
    `CREATE TABLE IF NOT EXISTS ${db}.${table} ON CLUSTER '${context.cluster}' AS ${db}.${table}_local\n` +
    `ENGINE = Distributed('${context.cluster}', '${db}', '${table}_local', ${shardingKey})`
  );
}

/** The TTL clause's expression, spelled as ClickHouse prints it back. */
export function ttlExpression(key: string, context: DdlContext, whole = `\${ttl ${key}}`): string {
  if (!(TTL_KEYS as readonly string[]).includes(key))
    throw new DdlTemplateError(`${whole}: the TTL keys are ${TTL_KEYS.join(', ')}`);
  return `toDateTime(time) + toIntervalSecond(${context.ttlSeconds[key as TtlKey]})`;
}

function checkEngine(engine: string, whole: string): string {
  if (!ENGINE.test(engine)) throw new DdlTemplateError(`${whole}: expected an engine such as MergeTree()`);
  return engine;
}

function checkIdentifier(name: string, whole: string): void {
  if (!IDENTIFIER.test(name)) throw new DdlTemplateError(`${whole}: "${name}" is not a table name`);
}

function checkContext(context: DdlContext): void {
  if (!IDENTIFIER.test(context.database))
    throw new DdlTemplateError(`database "${context.database}" is not an identifier`);
  if (context.cluster !== '' && !CLUSTER_NAME.test(context.cluster))
    throw new DdlTemplateError(`cluster "${context.cluster}" is not a cluster name`);
  for (const key of TTL_KEYS) {
    const seconds = context.ttlSeconds[key];
    if (!Number.isInteger(seconds) || seconds <= 0)
      throw new DdlTemplateError(`TTL ${key} must be a whole number of seconds > 0, got ${seconds}`);
  }
}
