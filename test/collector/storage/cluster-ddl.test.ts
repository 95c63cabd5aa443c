/**
 * The DDL the migrations render to, for one server and for a cluster. A cluster cannot run
 * here, so its DDL is checked as text: ON CLUSTER everywhere, Replicated engines with the
 * servers' {shard} and {replica} macros, a Distributed table over every table, views from
 * local table to local table.
 */
import { describe, expect, test } from 'vitest';
import { DdlTemplateError, renderDdl } from '../../../collector/storage/ddl-template.js';
import { loadMigrations, migrationsTableDdl } from '../../../collector/storage/migrations.js';
import { splitStatements, stripComments } from '../../../collector/storage/sql-statements.js';
import { testDdlContext } from './test-storage.js';

const TABLES = [
  'datapoints',
  'timer_summaries',
  'task_events',
  'task_terminations',
  'container_metadata',
  'datapoints_1m',
  'datapoints_1h',
  'timer_summaries_1m',
  'timer_summaries_1h',
  'insert_intents',
];
const VIEWS = [
  'task_terminations_mv',
  'datapoints_1m_mv',
  'datapoints_1h_mv',
  'timer_summaries_1m_mv',
  'timer_summaries_1h_mv',
];

function render(cluster: string): string[] {
  const context = testDdlContext('corral', { cluster });
  return loadMigrations().flatMap((m) => renderDdl(m.template, context).statements.map(stripComments));
}

/** The CREATE TABLE statement of a table (not its Distributed twin). */
function createOf(statements: readonly string[], table: string): string {
  const found = statements.find((s) =>
    new RegExp(`^CREATE TABLE IF NOT EXISTS corral\\.${table}\\s`).test(s),
  );
  if (found === undefined) throw new Error(`no CREATE TABLE for ${table}`);
  return found;
}

describe('one server', () => {
  const statements = render('');

  test('plain MergeTree engines, no cluster, no Distributed tables, nothing left unrendered', () => {
    for (const statement of statements) {
      expect(statement).not.toMatch(/ON CLUSTER|Replicated|Distributed|\$\{/);
    }
    for (const table of TABLES) expect(createOf(statements, table)).toMatch(/ENGINE = \w*MergeTree\(/);
    expect(createOf(statements, 'datapoints')).toContain('non_replicated_deduplication_window = 1000');
  });

  test('views read and write the tables by their own names', () => {
    const view = statements.find((s) => s.includes('datapoints_1m_mv'))!;
    expect(view).toContain('TO corral.datapoints_1m');
    expect(view).toContain('FROM corral.datapoints AS src');
  });
});

describe('cluster', () => {
  const statements = render('metrics-cluster');

  test('every statement runs ON CLUSTER', () => {
    expect(statements.length).toBeGreaterThan(TABLES.length * 2);
    for (const statement of statements) expect(statement).toContain("ON CLUSTER 'metrics-cluster'");
  });

  test('tables are <name>_local on Replicated engines with the {shard} and {replica} macros', () => {
    for (const table of TABLES) {
      const create = createOf(statements, `${table}_local`);
      expect(create, table).toMatch(
        /ENGINE = Replicated\w*MergeTree\('\/clickhouse\/tables\/\{shard\}\/\{database\}\/\{table\}', '\{replica\}'/,
      );
      expect(create).toContain('replicated_deduplication_window = 1000');
    }
    expect(createOf(statements, 'container_metadata_local')).toContain(
      "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', version)",
    );
    expect(createOf(statements, 'datapoints_1m_local')).toContain(
      "ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')",
    );
  });

  test('a Distributed table under each name, over its local table, with a deterministic sharding key', () => {
    for (const table of TABLES) {
      const distributed = statements.find((s) =>
        s.startsWith(`CREATE TABLE IF NOT EXISTS corral.${table} ON CLUSTER`),
      );
      expect(distributed, table).toBeDefined();
      expect(distributed).toContain(`AS corral.${table}_local`);
      expect(distributed).toMatch(
        new RegExp(`ENGINE = Distributed\\('metrics-cluster', 'corral', '${table}_local', cityHash64\\(`),
      );
    }
  });

  test('materialized views go from local table to local table', () => {
    for (const name of VIEWS) {
      const view = statements.find((s) => s.includes(`MATERIALIZED VIEW IF NOT EXISTS corral.${name} `))!;
      expect(view, name).toMatch(/TO corral\.\w+_local/);
      expect(view).toMatch(/FROM corral\.\w+_local AS src|FROM corral\.task_events_local/);
    }
  });

  test('schema_migrations is replicated to every server, shards included', () => {
    const [create] = migrationsTableDdl(testDdlContext('corral', { cluster: 'metrics-cluster' }));
    expect(create).toContain(
      "CREATE TABLE IF NOT EXISTS corral.schema_migrations ON CLUSTER 'metrics-cluster'",
    );
    expect(create).toContain(
      "ReplicatedReplacingMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}', applied)",
    );
  });

  test('the sketch quantile function is created on every server', () => {
    expect(statements.find((s) => s.includes('corral_sketch_quantile'))).toMatch(
      /CREATE OR REPLACE FUNCTION corral_sketch_quantile ON CLUSTER 'metrics-cluster'/,
    );
  });
});

describe('renderDdl', () => {
  const context = testDdlContext('corral');

  test('records the TTL of each table it creates', () => {
    const { ttls } = renderDdl(
      `CREATE TABLE \${database}.\${table a} (time DateTime) ENGINE = \${engine MergeTree()} ORDER BY time TTL \${ttl events}`,
      { ...context, cluster: 'c' },
    );
    expect(ttls).toEqual([{ table: 'a_local', expression: 'toDateTime(time) + toIntervalSecond(31536000)' }]);
  });

  test('refuses unknown placeholders, TTL keys, engines and bad names', () => {
    expect(() => renderDdl(`SELECT \${nope}`, context)).toThrow(DdlTemplateError);
    expect(() => renderDdl(`CREATE TABLE \${table t} TTL \${ttl forever}`, context)).toThrow(/TTL keys/);
    expect(() => renderDdl(`ENGINE = \${engine Log}`, context)).toThrow(/expected an engine/);
    expect(() => renderDdl(`\${table bad-name}`, context)).toThrow(/not a table name/);
    expect(() => renderDdl('SELECT 1', { ...context, database: 'bad;name' })).toThrow(/not an identifier/);
    expect(() => renderDdl('SELECT 1', { ...context, cluster: "x' OR 1" })).toThrow(/not a cluster name/);
  });
});

describe('splitStatements', () => {
  test('splits at semicolons outside quotes, identifiers and comments, and drops empty statements', () => {
    const script = `-- heading; with a semicolon
CREATE TABLE a (s String DEFAULT 'x;y', \`odd;name\` UInt8) ENGINE = Memory; /* block ; comment */
SELECT 'it\\'s; fine', "q;d";
-- only a comment;
;`;
    expect(splitStatements(script)).toEqual([
      "-- heading; with a semicolon\nCREATE TABLE a (s String DEFAULT 'x;y', `odd;name` UInt8) ENGINE = Memory",
      `/* block ; comment */\nSELECT 'it\\'s; fine', "q;d"`,
    ]);
  });
});
