import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { NODE_FIELDS } from '../../agent/sources/node/fields.js';
import { readNodeSnapshot } from '../../agent/sources/node/snapshot.js';
import { FIXTURE, NOWHERE } from './helpers.js';

describe('readNodeSnapshot on the fixture', () => {
  it('gathers every reader', async () => {
    const statfs = async () => ({ bsize: 4096, blocks: 100, bfree: 40, bavail: 30, files: 10, ffree: 4 });
    const snapshot = await readNodeSnapshot(FIXTURE, { filesystems: { statfs } });
    expect(snapshot.problems).toStrictEqual([]);
    expect(snapshot.stat.cores).toBe(2);
    expect(snapshot.stat.cpu?.idle).toBe(18239.06);
    expect(snapshot.load).toStrictEqual({ load1: 0.25, load5: 0.2, load15: 0.18, running: 2, total: 345 });
    expect(snapshot.memory.swapUsed).toBe(268435456);
    expect(snapshot.network.map((i) => i.interface)).toStrictEqual(['eth0', 'docker0', 'veth3a1b2c4']);
    expect(snapshot.uptime).toBe(98765.43);
    expect(snapshot.processes).toBe(2);
    expect(snapshot.filesystems.map((fs) => [fs.mountpoint, fs.capacity, fs.used, fs.free])).toStrictEqual([
      ['/', 409600, 245760, 122880],
      ['/boot/efi', 409600, 245760, 122880],
      ['/mnt/data disk', 409600, 245760, 122880],
      ['/tank/builds', 409600, 245760, 122880],
    ]);
  });

  it('returns an empty snapshot and one problem per source when procRoot is missing', async () => {
    const snapshot = await readNodeSnapshot(NOWHERE);
    expect(snapshot).toStrictEqual({
      stat: {},
      load: {},
      memory: {},
      network: [],
      filesystems: [],
      problems: ['stat', 'loadavg', 'meminfo', 'net/dev', 'uptime', '', 'mounts'].map((file) => ({
        file: file === '' ? NOWHERE : `${NOWHERE}/${file}`,
        reason: 'missing',
        detail: 'ENOENT',
      })),
    });
  });
});

describe('readNodeSnapshot on this machine', () => {
  it('agrees with node:os', async () => {
    const snapshot = await readNodeSnapshot('/proc');
    expect(snapshot.stat.cores).toBe(os.cpus().length);
    const total = snapshot.memory.total ?? 0;
    expect(Math.abs(total - os.totalmem()) / os.totalmem()).toBeLessThan(0.01);
    for (const load of [snapshot.load.load1, snapshot.load.load5, snapshot.load.load15]) {
      expect(load).toBeGreaterThanOrEqual(0);
    }
    expect(snapshot.uptime).toBeGreaterThan(0);
    expect(snapshot.processes).toBeGreaterThan(0);
    // The root on a VM; in a container whose root is overlay, the bind-mounted /etc/hosts' disk.
    expect(snapshot.filesystems.filter((fs) => fs.capacity > 0).length).toBeGreaterThan(0);
    expect(snapshot.stat.cpu?.idle).toBeGreaterThan(0);
  });
});

describe('NODE_FIELDS', () => {
  it('lists every metric once, in doc order', () => {
    expect(NODE_FIELDS.map((f) => f.name)).toStrictEqual([
      'node.cpu.percent',
      'node.cpu.cores',
      'node.processes.forks',
      'node.processes.running',
      'node.processes.blocked',
      'node.load.1',
      'node.load.5',
      'node.load.15',
      'node.memory.total',
      'node.memory.free',
      'node.memory.available',
      'node.memory.buffers',
      'node.memory.cached',
      'node.swap.total',
      'node.swap.free',
      'node.swap.used',
      'node.filesystem.capacity',
      'node.filesystem.used',
      'node.filesystem.free',
      'node.filesystem.inodes.total',
      'node.filesystem.inodes.used',
      'node.filesystem.inodes.free',
      'node.network.rx.bytes',
      'node.network.rx.packets',
      'node.network.rx.errors',
      'node.network.rx.drops',
      'node.network.tx.bytes',
      'node.network.tx.packets',
      'node.network.tx.errors',
      'node.network.tx.drops',
      'node.uptime',
      'node.processes',
    ]);
  });

  it('describes the suggested metrics', () => {
    const byName = new Map(NODE_FIELDS.map((f) => [f.name, f]));
    expect(byName.get('node.cpu.percent')).toMatchObject({ unit: 'percent', tags: ['mode'], source: 'stat' });
    expect(byName.get('node.load.15')).toMatchObject({ unit: 'count', kind: 'gauge', source: 'loadavg' });
    expect(byName.get('node.swap.used')).toMatchObject({ unit: 'bytes', source: 'meminfo' });
    expect(byName.get('node.filesystem.inodes.free')).toMatchObject({
      unit: 'count',
      tags: ['mountpoint', 'device', 'fstype'],
    });
    expect(byName.get('node.network.tx.drops')).toMatchObject({
      unit: 'count',
      kind: 'cumulative',
      tags: ['interface'],
      source: 'net/dev',
    });
    expect(byName.get('node.uptime')).toMatchObject({ unit: 'seconds' });
    expect(byName.get('node.processes')).toMatchObject({ unit: 'count', kind: 'gauge' });
  });
});
