/**
 * ServerStorage's own code (database creation, command, query, ping, insert with its
 * settings) run through @clickhouse/client on chdb's in-process connection: the real client
 * and engine without a server. chdb cannot read an inlined body through input(), so rows go
 * as a plain INSERT ... FORMAT here; the default input() insert runs whenever CLICKHOUSE_URL
 * is set, when every other test of this folder runs on that server.
 */
import { drainPending } from 'chdb';
import { createChdbConnection } from 'chdb/connection';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { RowsBuilder } from '../../../collector/sinks/clickhouse/rows.js';
import { migrate } from '../../../collector/storage/migrations.js';
import { type ClientConnection, ServerStorage } from '../../../collector/storage/server-storage.js';
import { AWKWARD, BASE_MS, metrics, point } from './records.js';
import { acquireDataDir, releaseDataDir, testDdlContext, uniqueDatabase } from './test-storage.js';

const database = uniqueDatabase('corral_server');
let storage: ServerStorage;

beforeAll(async () => {
  const dataDir = acquireDataDir();
  storage = await ServerStorage.open({
    url: 'http://127.0.0.1:8123',
    username: 'default',
    password: '',
    database,
    cluster: '',
    insertThroughInput: false,
    // chdb types the connection against its own copy of @clickhouse/client-common.
    connection: () => createChdbConnection({ path: dataDir }) as unknown as ClientConnection,
  });
});
afterAll(async () => {
  await storage?.exec(`DROP DATABASE IF EXISTS ${database}`);
  await storage?.close();
  await drainPending();
  releaseDataDir();
});

test('creates the database, migrates, inserts once under a repeated token, reads back', async () => {
  await migrate(storage, testDdlContext(database));
  await storage.ping();
  const builder = new RowsBuilder();
  builder.add(metrics([point(`x.${AWKWARD}`, 'gauge', 2.5, BASE_MS, { tags: { k: AWKWARD } })]));
  const [payload] = builder.payloads();
  await storage.insert(payload!, { dedupToken: 'server:1' });
  await storage.insert(payload!, { dedupToken: 'server:1' });
  // chdb's connection does not apply the client's database setting: names are qualified here.
  const rows = await storage.query<{ name: string; tags: Record<string, string>; n: number }>(
    `SELECT name, tags, toUInt32(count() OVER ()) AS n FROM ${database}.datapoints`,
  );
  expect(rows).toEqual([{ name: `x.${AWKWARD}`, tags: { k: AWKWARD }, n: 1 }]);
});
