import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { NodeScraper } from '../../agent/sources/node/scraper.js';
import { RateLimitedLog } from '../../lib/log/rate-limited.js';
import type { Datapoint } from '../../lib/model/datapoint.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'proc');
const log = new RateLimitedLog(pino({ level: 'silent' }));
const noFilesystems = {
  filesystems: { statfs: async () => Promise.reject(Object.assign(new Error('no'), { code: 'EACCES' })) },
};

function find(points: Datapoint[], name: string, tags: Record<string, string> = {}): Datapoint | undefined {
  return points.find((p) => p.name === name && Object.entries(tags).every(([k, v]) => p.tags[k] === v));
}

describe('node scraper', () => {
  it('emits gauges as read, tagged with the host, stamped with the interval time', async () => {
    const scraper = new NodeScraper(FIXTURE, log, noFilesystems, 'node-1');
    const points = await scraper.scrape(1_000_000);
    expect(find(points, 'node.memory.total')).toEqual({
      name: 'node.memory.total',
      kind: 'gauge',
      value: 4_121_894_912,
      unit: 'bytes',
      timeMs: 1_000_000,
      tags: { host: 'node-1' },
    });
    expect(find(points, 'node.swap.used')?.value).toBe(268_435_456);
    expect(find(points, 'node.load.15')?.value).toBe(0.18);
    expect(find(points, 'node.cpu.cores')?.value).toBe(2);
    expect(find(points, 'node.uptime')?.value).toBe(98_765.43);
    expect(find(points, 'node.processes')?.value).toBe(2);
    // Cumulative counters and cpu percent need a previous reading.
    expect(find(points, 'node.network.rx.bytes')).toBeUndefined();
    expect(find(points, 'node.cpu.percent')).toBeUndefined();
    // Every filesystem's statfs failed: counted as problems, the rest went on.
    expect(points.some((p) => p.name.startsWith('node.filesystem.'))).toBe(false);
    expect([...scraper.problems.counts.values()]).toEqual([
      { source: 'node', reason: 'unreadable', count: 4 },
    ]);
  });

  it('sends network counters as the increase since the previous scrape, per interface', async () => {
    const scraper = new NodeScraper(FIXTURE, log, noFilesystems, 'node-1');
    await scraper.scrape(1_000_000);
    const points = await scraper.scrape(1_010_000);
    const rx = find(points, 'node.network.rx.bytes', { interface: 'eth0' });
    expect(rx).toMatchObject({
      kind: 'counter',
      value: 0,
      rate: 0,
      unit: 'bytes',
      tags: { host: 'node-1', interface: 'eth0' },
    });
    expect(points.filter((p) => p.name === 'node.network.tx.drops').map((p) => p.tags.interface)).toEqual([
      'eth0',
      'docker0',
      'veth3a1b2c4',
    ]);
    expect(find(points, 'node.network.rx.bytes', { interface: 'lo' })).toBeUndefined();
  });

  it('reads the live /proc of this machine', async () => {
    const scraper = new NodeScraper('/proc', log);
    await scraper.scrape(0);
    // Burn ~100 ms so the kernel's 10 ms cpu ticks advance between the two readings.
    const until = Date.now() + 100;
    while (Date.now() < until);
    const points = await scraper.scrape(10_000);
    const percents = points.filter((p) => p.name === 'node.cpu.percent');
    expect(percents.map((p) => p.tags.mode)).toEqual([
      'user',
      'nice',
      'system',
      'idle',
      'iowait',
      'irq',
      'softirq',
      'steal',
    ]);
    expect(percents.reduce((sum, p) => sum + p.value, 0)).toBeCloseTo(100, 6);
    expect(find(points, 'node.memory.total')!.value).toBeGreaterThan(0);
    expect(points.some((p) => p.name === 'node.filesystem.capacity' && p.value > 0)).toBe(true);
  });
});
