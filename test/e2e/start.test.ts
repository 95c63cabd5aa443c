/**
 * `corral start` end to end, as a user runs it: StatsD in over real UDP (hot-shots), the
 * agent's Avro batches through the in-process log, the collector's pipeline, embedded
 * ClickHouse in ./data of the working directory; read back with `corral query` and the
 * collector's query route.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StatsD } from 'hot-shots';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { corralQuery, type StartProcess, startCorral } from '../helpers/start-process.js';
import { statsdClient } from '../helpers/statsd-client.js';

const FLUSH_MS = 2000;
/** Counters summed over every row stored for the name. */
const TOTAL_SQL = (name: string) =>
  `SELECT toUInt64(sum(value)) AS total, count() AS rows FROM datapoints WHERE name = '${name}'`;

let running: StartProcess | undefined;
let client: StatsD | undefined;
const dirs: string[] = [];

afterEach(async () => {
  client?.close();
  client = undefined;
  if (running !== undefined && running.child.exitCode === null && running.child.signalCode === null)
    await running.kill('SIGKILL');
  running = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'corral-start-'));
  dirs.push(dir);
  return dir;
}

/** Sends with a fresh hot-shots client and closes it once the datagrams are out. */
function send(port: number, lines: (c: StatsD) => void): Promise<void> {
  const sending = statsdClient(port);
  client = sending;
  lines(sending);
  return new Promise((resolve, reject) =>
    sending.close((error) => {
      client = undefined;
      if (error) reject(error);
      else resolve();
    }),
  );
}

/** Waits until the flush boundary is at least 300 ms behind and 500 ms ahead, so a burst lands in one flush. */
async function awayFromFlushBoundary(): Promise<void> {
  await vi.waitFor(
    () => {
      const phase = Date.now() % FLUSH_MS;
      if (phase < 300 || phase > FLUSH_MS - 500) throw new Error('near a flush boundary');
    },
    { timeout: FLUSH_MS, interval: 20 },
  );
}

async function total(corral: StartProcess, name: string): Promise<number> {
  const [row] = await corral.query<{ total: string }>(TOTAL_SQL(name));
  return Number(row?.total ?? 0);
}

const flags = ['--statsd-flush-interval', `${FLUSH_MS}ms`, '--collector-batch-interval', '100ms'];

describe('corral start', () => {
  it('stores StatsD metrics with one command, stores the last flush on Ctrl-C, and keeps the data across a restart', async () => {
    const cwd = workDir();
    running = await startCorral(cwd, flags);
    expect(running.stdout.join('\n')).toContain('corral query');
    expect(running.stdout.join('\n')).toContain(`embedded ClickHouse in data/clickhouse (database corral)`);
    const first = running;

    await awayFromFlushBoundary();
    await send(first.udpPort, (c) => {
      for (let i = 0; i < 10; i++) c.increment('shop.requests', 1, { route: '/cart' });
      for (const ms of [10, 20, 30, 40, 100]) c.timing('shop.latency', ms, { route: '/cart' });
      c.gauge('shop.queue', 7);
    });
    // A chunk's tables are inserted one after the other: wait for the last one too.
    const timerSql = `SELECT sum(count) AS count, sum(sum) AS sum, min(min) AS min, max(max) AS max, any(tags) AS tags
       FROM timer_summaries WHERE name = 'shop.latency'`;
    await vi.waitFor(
      async () => {
        expect(await total(first, 'shop.requests')).toBe(10);
        expect((await first.query<{ count: number }>(timerSql))[0]?.count).toBe(5);
      },
      { timeout: 20_000, interval: 200 },
    );
    const [timer] = await first.query(timerSql);
    expect(timer).toEqual({ count: 5, sum: 200, min: 10, max: 100, tags: { route: '/cart' } });
    const [gauge] = await first.query<{ value: number; kind: string }>(
      `SELECT value, kind FROM datapoints WHERE name = 'shop.queue' ORDER BY time DESC LIMIT 1`,
    );
    expect(gauge).toEqual({ value: 7, kind: 'gauge' });

    // Sent just before Ctrl-C: still aggregated when the signal comes, stored by the stop.
    const received = await first.metric('agent', 'corral_statsd_lines_received_total');
    await send(first.udpPort, (c) => {
      for (let i = 0; i < 5; i++) c.increment('shop.requests', 1, { route: '/cart' });
    });
    await vi.waitFor(
      async () =>
        expect(await first.metric('agent', 'corral_statsd_lines_received_total')).toBe(received + 5),
      { timeout: 5000, interval: 50 },
    );
    expect(await first.kill('SIGINT')).toEqual({ code: 0, signal: null });

    // Nothing runs now: corral query opens the data directory itself.
    const direct = corralQuery(cwd, ['-f', 'json', TOTAL_SQL('shop.requests')]);
    expect(direct.stderr).toBe('');
    expect(direct.status).toBe(0);
    expect(JSON.parse(direct.stdout)).toMatchObject({ total: '15' });

    running = await startCorral(cwd, flags);
    expect(await total(running, 'shop.requests')).toBe(15);
    // And through the running process (it holds the directory): a table, read-only.
    const table = corralQuery(cwd, [
      '--collector-http',
      running.collectorUrl.replace('http://', ''),
      "SELECT name, toUInt64(sum(value)) AS total FROM datapoints WHERE name = 'shop.requests' GROUP BY name",
    ]);
    expect(table.status).toBe(0);
    expect(table.stdout).toBe(
      ['name           total', '-------------  -----', 'shop.requests     15', '(1 row)', ''].join('\n'),
    );
    const write = corralQuery(cwd, [
      '--collector-http',
      running.collectorUrl.replace('http://', ''),
      "INSERT INTO datapoints (name) VALUES ('x')",
    ]);
    expect(write.status).toBe(1);
    expect(write.stderr).toMatch(/^corral: query failed: .*readonly/i);
    expect(await running.kill('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 90_000);

  it('killed between an insert and its acknowledgment, stores every flushed datapoint exactly once after a restart', async () => {
    const cwd = workDir();
    // The collector SIGKILLs the whole process right after its first data insert (fault-hook.ts).
    const crashing = await startCorral(cwd, flags, { CORRAL_COLLECTOR_CRASH_AFTER: 'insert' });
    running = crashing;
    await awayFromFlushBoundary();
    await send(crashing.udpPort, (c) => {
      for (let i = 0; i < 20; i++) c.increment('shop.orders', 1, { route: '/pay' });
    });
    expect(await crashing.exited).toEqual({ code: null, signal: 'SIGKILL' });

    running = await startCorral(cwd, flags);
    const restarted = running;
    // The log is empty again once the replayed range is stored and acknowledged.
    await vi.waitFor(
      async () => {
        expect(await restarted.metric('collector', 'corral_collector_resumed_ranges_total')).toBe(1);
        expect(await restarted.metric('agent', 'corral_spool_records')).toBe(0);
      },
      { timeout: 20_000, interval: 200 },
    );
    const [row] = await restarted.query<{ total: string; rows: string }>(TOTAL_SQL('shop.orders'));
    expect(row).toEqual({ total: '20', rows: '1' });
    // 40 and 2 rows if the replay had not been recognized (insert_intents) as the crashed insert.
  }, 90_000);
});
