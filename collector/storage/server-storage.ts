/**
 * Storage on a ClickHouse server (or cluster) over HTTP, through @clickhouse/client. Payloads
 * are sent as the bytes the rows builder made, never re-encoded: a Native block as the body
 * of `INSERT INTO t (columns) SETTINGS ... FORMAT Native`, JSON lines as the body of
 *   INSERT INTO t (columns) SELECT * FROM input(structure) FORMAT JSONEachRow
 * the same statement the embedded engine runs on a file (input-structure.ts says why).
 */
import { Readable } from 'node:stream';
import { type ClickHouseClient, type ClickHouseClientConfigOptions, createClient } from '@clickhouse/client';
import { InputStructures, insertInto, insertSelect } from './input-structure.js';
import { insertSettings } from './insert-settings.js';
import { quoteIdentifier, sqlString } from './sql-text.js';
import type { InsertOptions, InsertPayload, Storage } from './storage.js';

/** A transport @clickhouse/client can use instead of its own HTTP connection. */
export type ClientConnection = NonNullable<ClickHouseClientConfigOptions['connection']>;

export interface ServerStorageOptions {
  url: string;
  username: string;
  password: string;
  database: string;
  /** Cluster name for ON CLUSTER and synchronous Distributed inserts, or ''. */
  cluster: string;
  /**
   * Send text rows as `INSERT ... SELECT * FROM input(...)` (the default, parsed without
   * LowCardinality) or, when false, as a plain `INSERT INTO t (columns) FORMAT ...`.
   * Native blocks always go plain: they carry their types.
   */
  insertThroughInput?: boolean;
  /** Longest time one request may take. */
  requestTimeoutMs?: number;
  /**
   * Makes another transport for each client this storage creates (tests: chdb's in-process
   * connection, which runs this class's code against the real engine without a server).
   */
  connection?: () => ClientConnection;
}

export class ServerStorage implements Storage {
  readonly kind = 'server' as const;
  private closed = false;
  private readonly structures = new InputStructures(this);

  private constructor(
    private readonly client: ClickHouseClient,
    readonly database: string,
    readonly cluster: string,
    private readonly throughInput: boolean,
  ) {}

  /** Connects and creates the database when missing (on every server of the cluster). */
  static async open(options: ServerStorageOptions): Promise<ServerStorage> {
    const connection = options.connection;
    const config = (): ClickHouseClientConfigOptions => ({
      url: options.url,
      username: options.username,
      password: options.password,
      request_timeout: options.requestTimeoutMs ?? 300_000,
      application: 'corral-collector',
      // Progress headers keep a long request (a big insert, DDL on a cluster) from looking
      // idle to proxies and load balancers on the way.
      clickhouse_settings: { send_progress_in_http_headers: 1, http_headers_progress_interval_ms: '60000' },
      ...(connection === undefined ? {} : { connection: connection() }),
    });
    // The database may not exist yet, and a client bound to it could not create it.
    const bootstrap = createClient(config());
    try {
      const onCluster = options.cluster === '' ? '' : ` ON CLUSTER '${options.cluster}'`;
      await bootstrap.command({
        query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(options.database)}${onCluster}`,
      });
    } finally {
      await bootstrap.close();
    }
    const client = createClient({ ...config(), database: options.database });
    return new ServerStorage(client, options.database, options.cluster, options.insertThroughInput ?? true);
  }

  async exec(sql: string): Promise<void> {
    await this.live().command({ query: sql });
  }

  async query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    const result = await this.live().query({ query: sql, format: 'JSONEachRow' });
    return result.json<T>();
  }

  async insert(payload: InsertPayload, options: InsertOptions): Promise<void> {
    if (payload.rows === 0) return;
    const settings = insertSettings(options, this.cluster);
    const values = Readable.from([payload.data], { objectMode: false });
    let query: string;
    if (payload.format === 'Native' || !this.throughInput) {
      query = `${insertInto(this.database, payload.table, payload.columns, settings)} FORMAT ${payload.format}`;
    } else {
      const structure = await this.structures.of(payload.table, payload.columns);
      const source = `input(${sqlString(structure)})`;
      query = `${insertSelect(this.database, payload.table, payload.columns, settings, source)} FORMAT ${payload.format}`;
    }
    const result = await this.live().exec({ query, values });
    // The response carries nothing for an insert; reading it to the end frees the socket.
    for await (const _ of result.stream) {
    }
  }

  async ping(): Promise<void> {
    const result = await this.live().ping();
    if (!result.success) throw result.error;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }

  private live(): ClickHouseClient {
    if (this.closed) throw new Error('server storage is closed');
    return this.client;
  }
}
