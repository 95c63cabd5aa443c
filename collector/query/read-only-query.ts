/**
 * Read-only SQL for `corral query` and the collector's POST /v0/query: the configured storage,
 * queried under ClickHouse's readonly=2 (reads and settings only: no INSERT, DDL or change of
 * readonly itself), with a time limit. Results keep ClickHouse's column order and types.
 */
import { existsSync } from 'node:fs';
import { readSecretFile } from '../../lib/config/setting-file.js';
import type { CollectorSettings } from '../storage/create-storage.js';
import { quoteIdentifier } from '../storage/sql-text.js';

export interface QueryColumn {
  name: string;
  type: string;
}

export interface QueryResult {
  columns: QueryColumn[];
  /** One array per row, values as ClickHouse's JSONCompact gives them (64-bit integers as strings). */
  rows: unknown[][];
}

export interface ReadOnlyQuery {
  run(sql: string): Promise<QueryResult>;
  close(): Promise<void>;
}

/** A query may run this long. */
const MAX_EXECUTION_SECONDS = 60;

/** The data directory is held by another process (a running corral start or collector). */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
}

interface JsonCompact {
  meta: QueryColumn[];
  data: unknown[][];
}

function result(parsed: JsonCompact): QueryResult {
  return { columns: parsed.meta.map(({ name, type }) => ({ name, type })), rows: parsed.data };
}

/** The statement with its trailing semicolons and whitespace cut (a FORMAT clause of ours follows). */
function statement(sql: string): string {
  const trimmed = sql.trim().replace(/;+\s*$/, '');
  if (trimmed === '') throw new Error('empty query');
  return trimmed;
}

export async function openReadOnlyQuery(settings: CollectorSettings): Promise<ReadOnlyQuery> {
  return settings.storage === 'embedded' ? openEmbedded(settings) : openServer(settings);
}

async function openEmbedded(settings: CollectorSettings): Promise<ReadOnlyQuery> {
  // Reading must not create an empty data directory where the user expected data.
  if (!existsSync(settings.dataDir))
    throw new Error(`no data in ${settings.dataDir} (collector.dataDir): run corral start first`);
  const { Session } = await import('chdb');
  let session: InstanceType<typeof Session>;
  try {
    session = new Session(settings.dataDir);
  } catch (error) {
    const cause = String((error as { cause?: unknown }).cause ?? error);
    if (
      /Cannot lock file|Another server instance/.test(cause) ||
      /Failed to create connection/.test(String(error))
    )
      throw new DataDirInUseError(`${settings.dataDir} is in use by another process`, { cause: error });
    throw error;
  }
  try {
    await session.queryAsync(`USE ${quoteIdentifier(settings.database)}`);
    await session.queryAsync(`SET max_execution_time = ${MAX_EXECUTION_SECONDS}`);
    // As a server answers by default: 64-bit integers as strings, exact past 2^53.
    await session.queryAsync('SET output_format_json_quote_64bit_integers = 1');
    // Last: from here on the session cannot write, nor change readonly back.
    await session.queryAsync('SET readonly = 2');
  } catch (error) {
    session.close();
    throw error;
  }
  return {
    async run(sql) {
      const text = (await session.queryAsync(statement(sql), { format: 'JSONCompact' })).text();
      return result(JSON.parse(text) as JsonCompact);
    },
    async close() {
      session.close();
    },
  };
}

async function openServer(settings: CollectorSettings): Promise<ReadOnlyQuery> {
  const { createClient } = await import('@clickhouse/client');
  const client = createClient({
    url: settings.clickhouseUrl,
    username: settings.clickhouseUser,
    password: readSecretFile('collector.clickhousePasswordFile', settings.clickhousePasswordFile) ?? '',
    database: settings.database,
    application: 'corral-query',
    clickhouse_settings: {
      readonly: '2',
      max_execution_time: MAX_EXECUTION_SECONDS,
      output_format_json_quote_64bit_integers: 1,
    },
  });
  return {
    async run(sql) {
      const rows = await client.query({ query: statement(sql), format: 'JSONCompact' });
      return result((await rows.json()) as unknown as JsonCompact);
    },
    close: () => client.close(),
  };
}
