/**
 * ServerStorage's own code (database creation, command, query, ping, insert with its
 * settings) run through @clickhouse/client on chdb's in-process connection: the real client
 * and engine without a server. chdb's connection inlines a request body into the statement
 * as UTF-8 text, which a binary Native body does not survive, so the connection here hands
 * such a body to the engine as a file instead (the statement otherwise as sent). Text rows go
 * as a plain INSERT ... FORMAT here (chdb cannot read an inlined body through input()); the
 * default input() insert runs whenever CLICKHOUSE_URL is set, when every other test of this
 * folder runs on that server.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drainPending } from 'chdb';
import { createChdbConnection } from 'chdb/connection';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { RowsBuilder } from '../../../collector/sinks/clickhouse/rows.js';
import { migrate } from '../../../collector/storage/migrations.js';
import { type ClientConnection, ServerStorage } from '../../../collector/storage/server-storage.js';
import { AWKWARD, BASE_MS, metrics, point } from './records.js';
import { acquireDataDir, releaseDataDir, testDdlContext, uniqueDatabase } from './test-storage.js';

const database = uniqueDatabase('corral_server');
const bodies = mkdtempSync(join(tmpdir(), 'corral-native-body-'));
let nativeInserts = 0;

/** `INSERT ... FORMAT Native` + body becomes `INSERT ... SELECT * FROM file(body, Native)`. */
function withNativeBodiesAsFiles(connection: ClientConnection): ClientConnection {
  const exec = connection.exec.bind(connection);
  connection.exec = async (params) => {
    if (params.values === undefined || !/ FORMAT Native$/.test(params.query)) return exec(params);
    const chunks: Buffer[] = [];
    for await (const chunk of params.values as AsyncIterable<Buffer>) chunks.push(chunk);
    const path = join(bodies, `${++nativeInserts}.native`);
    writeFileSync(path, Buffer.concat(chunks));
    const query = params.query.replace(/ FORMAT Native$/, ` SELECT * FROM file('${path}', Native)`);
    return exec({ ...params, query, values: undefined });
  };
  return connection;
}
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
    connection: () =>
      withNativeBodiesAsFiles(createChdbConnection({ path: dataDir }) as unknown as ClientConnection),
  });
});
afterAll(async () => {
  await storage?.exec(`DROP DATABASE IF EXISTS ${database}`);
  await storage?.close();
  await drainPending();
  releaseDataDir();
  rmSync(bodies, { recursive: true, force: true });
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
  expect(nativeInserts).toBe(2);
});
