import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StatsdEngine } from '../../agent/pipelines/statsd-engine.js';
import {
  ContainerPorts,
  type ContainerPortsOptions,
  type PortRange,
  parseContainerPorts,
} from '../../agent/sources/statsd/container-ports/container-ports.js';
import { registerContainerPortMetrics } from '../../agent/sources/statsd/metrics.js';
import { engine, flush, seriesKey } from './helpers.js';
import { capturedLogs, closeClient, hotShots, sendFrom, waitFor } from './socket-helpers.js';

const HOST = '127.0.0.1';

function bindUdp(port: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', (error) => {
      socket.close();
      reject(error);
    });
    socket.bind(port, HOST, () => resolve(socket));
  });
}

function closeUdp(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

/** A range of `size` ports that are free right now (probed by binding each). */
async function freeRange(size: number): Promise<PortRange> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const from = 20_000 + Math.floor(Math.random() * 40_000);
    const held: dgram.Socket[] = [];
    try {
      for (let port = from; port < from + size; port++) held.push(await bindUdp(port));
      return { from, to: from + size - 1 };
    } catch {
      // taken: try elsewhere
    } finally {
      await Promise.all(held.map(closeUdp));
    }
  }
  throw new Error(`no ${size} free consecutive UDP ports`);
}

describe('per-container StatsD ports (real sockets)', () => {
  let dir: string;
  const opened: ContainerPorts[] = [];
  const held: dgram.Socket[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'corral-ports-'));
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((p) => p.close()));
    await Promise.all(held.splice(0).map(closeUdp));
    rmSync(dir, { recursive: true, force: true });
  });

  function ports(
    options: Partial<ContainerPortsOptions> & Pick<ContainerPortsOptions, 'ports'>,
    consumer: StatsdEngine = engine(),
  ) {
    const { logger, log, lines } = capturedLogs();
    const p = new ContainerPorts({
      host: HOST,
      stateFile: join(dir, 'statsd-ports.json'),
      receiver: 'auto',
      maxPacketSize: 65_535,
      recvBufferSize: 1 << 20,
      consumer,
      log,
      logger,
      ...options,
    });
    opened.push(p);
    return { ports: p, logs: lines };
  }

  for (const receiver of ['native', 'dgram'] as const) {
    it(`every line on a container's port is that container's, whatever its c: field or tag says (${receiver})`, async () => {
      const e = engine();
      const { ports: p } = ports({ ports: 'ephemeral', receiver, stateFile: null }, e);
      await p.sync(['ctr-1', 'ctr-2']);
      const port1 = p.portOf('ctr-1')!;
      const port2 = p.portOf('ctr-2')!;
      expect(new Set([port1, port2]).size).toBe(2);

      const plain = hotShots({ port: port1, globalTags: { env: 'test' } });
      const otherField = hotShots({ port: port1, globalTags: { env: 'test' }, containerId: 'other' });
      const otherTag = hotShots({ port: port1, globalTags: { env: 'test', container_id: 'tagged' } });
      const second = hotShots({ port: port2, globalTags: { env: 'test' }, containerId: 'other' });
      for (let i = 0; i < 10; i++) {
        plain.increment('hits');
        otherField.increment('hits');
        otherTag.increment('hits');
        second.increment('hits', 2);
      }
      await Promise.all([plain, otherField, otherTag, second].map(closeClient));
      await waitFor(() => e.stats.lines === 40, 'all 40 lines');
      const points = flush(e);
      expect(Object.fromEntries(points.map((d) => [seriesKey(d), d.value]))).toEqual({
        'counter hits{env=test}@ctr-1': 30,
        'counter hits{env=test}@ctr-2': 20,
      });
    });
  }

  it("counts the kernel's drops on container ports, closed ports' included (native receiver)", async () => {
    const e = engine();
    // 64 KiB (the kernel doubles it) holds about 60 of the flood's datagrams.
    const { ports: p } = ports(
      { ports: 'ephemeral', receiver: 'native', stateFile: null, recvBufferSize: 64 * 1024 },
      e,
    );
    await p.sync(['ctr-1']);
    const port = p.portOf('ctr-1')!;
    expect(p.kernelDrops()).toBe(0);
    // A child process floods the port while this process's event loop is blocked (spawnSync),
    // so nothing is read and the kernel drops what the buffer cannot hold.
    const flood = 500;
    const sender = `
      const socket = require('node:dgram').createSocket('udp4');
      let left = ${flood};
      const next = () => left-- > 0
        ? socket.send(Buffer.alloc(1000, 97), ${port}, '127.0.0.1', next)
        : socket.close();
      next();`;
    expect(spawnSync(process.execPath, ['-e', sender]).status).toBe(0);
    // The kernel reports a socket's drop count with the next datagram it delivers.
    const client = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) =>
      client.send('last:1|c', port, HOST, (error) => (error ? reject(error) : resolve())),
    );
    client.close();
    await waitFor(
      () => e.stats.packets + (p.kernelDrops() ?? 0) === flood + 1,
      'every datagram read or dropped',
    );
    const drops = p.kernelDrops()!;
    expect(drops).toBeGreaterThan(flood / 2);
    expect(e.stats.packets).toBe(flood + 1 - drops);
    // The port closes with its container; its drops stay counted.
    await p.sync([]);
    expect(p.kernelDrops()).toBe(drops);
  });

  it('has no kernel drop count with the dgram receiver, which cannot tell', async () => {
    const { ports: p } = ports({ ports: 'ephemeral', receiver: 'dgram', stateFile: null });
    await p.sync(['ctr-1']);
    expect(p.kernelDrops()).toBeNull();
  });

  it('hands out the lowest free ports of the range, skipping one another process holds', async () => {
    const range = await freeRange(4);
    held.push(await bindUdp(range.from));
    const { ports: p } = ports({ ports: range });
    await p.sync(['a', 'b']);
    expect(p.endpoints()).toEqual([
      { containerId: 'a', host: HOST, port: range.from + 1 },
      { containerId: 'b', host: HOST, port: range.from + 2 },
    ]);
    expect(p.stats).toMatchObject({ opened: 2, closed: 0, exhausted: 0, portInUse: 1, bindErrors: 0 });
  });

  it("releases a removed container's port, and gives it to the next container", async () => {
    const range = await freeRange(3);
    const { ports: p } = ports({ ports: range });
    await p.sync(['a', 'b']);
    expect(p.portOf('a')).toBe(range.from);
    await p.sync(['b']);
    expect(p.portOf('a')).toBeUndefined();
    // Really released: anyone may bind it now.
    await closeUdp(await bindUdp(range.from));
    await p.sync(['b', 'c']);
    expect(p.endpoints().map((e) => [e.containerId, e.port])).toEqual([
      ['b', range.from + 1],
      ['c', range.from],
    ]);
    expect(p.stats).toMatchObject({ opened: 3, closed: 1 });
  });

  it('keeps the ports across a restart through the state file', async () => {
    const range = await freeRange(5);
    const file = join(dir, 'state', 'statsd-ports.json');
    const first = ports({ ports: range, stateFile: file }).ports;
    await first.start();
    await first.sync(['x', 'y', 'z']);
    await first.sync(['x', 'z']); // y's port (from + 1) is free again
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      version: 1,
      endpoints: [
        { containerId: 'x', host: HOST, port: range.from },
        { containerId: 'z', host: HOST, port: range.from + 2 },
      ],
    });
    await first.close();

    const e = engine();
    const second = ports({ ports: range, stateFile: file }, e).ports;
    await second.start();
    // Serving again before the first sync: nothing a running container sends is lost.
    expect(second.endpoints()).toEqual([
      { containerId: 'x', host: HOST, port: range.from },
      { containerId: 'z', host: HOST, port: range.from + 2 },
    ]);
    await sendFrom(HOST, { host: HOST, port: range.from + 2 }, ['early:1|c']);
    await waitFor(() => e.stats.lines === 1, 'the line sent before the first sync');
    expect(flush(e).map(seriesKey)).toEqual(['counter early{}@z']);

    // New containers, listed first, do not take the ports of those that kept running.
    await second.sync(['new-1', 'z', 'new-2', 'x']);
    expect(second.endpoints().map((ep) => [ep.containerId, ep.port])).toEqual([
      ['new-1', range.from + 1],
      ['new-2', range.from + 3],
      ['x', range.from],
      ['z', range.from + 2],
    ]);
  });

  it('a remembered port another process took meanwhile: the container gets the lowest free one', async () => {
    const range = await freeRange(3);
    const file = join(dir, 'statsd-ports.json');
    writeFileSync(
      file,
      JSON.stringify({ version: 1, endpoints: [{ containerId: 'a', host: HOST, port: range.from }] }),
    );
    held.push(await bindUdp(range.from));
    const { ports: p } = ports({ ports: range, stateFile: file });
    await p.start();
    expect(p.size).toBe(0);
    await p.sync(['b', 'a']);
    expect(p.endpoints().map((e) => [e.containerId, e.port])).toEqual([
      ['a', range.from + 2], // its remembered port stayed reserved for it until it was tried
      ['b', range.from + 1],
    ]);
    expect(p.stats).toMatchObject({ opened: 2, portInUse: 2, bindErrors: 0 });
  });

  it('a bind error other than a taken port is counted once per container, which the shared port serves', async () => {
    // 192.0.2.1 (TEST-NET-1) is no address of this machine: EADDRNOTAVAIL.
    const { ports: p, logs } = ports({ ports: 'ephemeral', host: '192.0.2.1' });
    await p.sync(['a']);
    await p.sync(['a']);
    expect(p.size).toBe(0);
    expect(p.stats).toMatchObject({ opened: 0, bindErrors: 1, exhausted: 0 });
    expect(logs.filter((l) => l.reason === 'container_port_bind_error')).toHaveLength(1);
  });

  it('a state file that is not JSON is counted and logged; ports are handed out afresh', async () => {
    const range = await freeRange(2);
    const file = join(dir, 'statsd-ports.json');
    writeFileSync(file, '{"version": 1, "endpoi');
    const { ports: p, logs } = ports({ ports: range, stateFile: file });
    await p.start();
    await p.sync(['a']);
    expect(p.endpoints()).toEqual([{ containerId: 'a', host: HOST, port: range.from }]);
    expect(p.stats.stateFileErrors).toBe(1);
    expect(logs.filter((l) => l.reason === 'container_ports_state')).toHaveLength(1);
    expect(JSON.parse(readFileSync(file, 'utf8')).endpoints).toHaveLength(1);
  });

  it('counts an exhausted range once per container, which the shared port then serves, until a port frees', async () => {
    const range = await freeRange(2);
    const { ports: p, logs } = ports({ ports: range });
    await p.sync(['a', 'b', 'c']);
    expect(p.endpoints().map((e) => e.containerId)).toEqual(['a', 'b']);
    expect(p.stats.exhausted).toBe(1);
    expect(logs.filter((l) => l.reason === 'container_ports_exhausted')).toEqual([
      expect.objectContaining({ containerId: 'c', from: range.from, to: range.to, level: 40 }),
    ]);
    await p.sync(['a', 'b', 'c']);
    expect(p.stats.exhausted).toBe(1);
    await p.sync(['b', 'c']);
    expect(p.portOf('c')).toBe(range.from);
    expect(p.stats).toMatchObject({ exhausted: 1, opened: 3, closed: 1 });

    const registry = new Registry();
    registerContainerPortMetrics(registry, p);
    const text = await registry.metrics();
    expect(text).toContain('corral_statsd_container_ports 2');
    expect(text).toContain('corral_statsd_container_port_failures_total{reason="exhausted"} 1');
    expect(text).toContain('corral_statsd_container_port_failures_total{reason="port_in_use"} 0');
    expect(text).toContain('corral_statsd_container_port_failures_total{reason="bind_error"} 0');
  });

  it('closes every port on close, and serves nothing after', async () => {
    const range = await freeRange(2);
    const { ports: p } = ports({ ports: range });
    await p.sync(['a', 'b']);
    await p.close();
    expect(p.size).toBe(0);
    held.push(await bindUdp(range.from), await bindUdp(range.to));
    await p.sync(['c']);
    expect(p.size).toBe(0);
  });
});

describe('the container ports setting', () => {
  it.each([
    ['off', null],
    ['ephemeral', 'ephemeral'],
    ['8126-8999', { from: 8126, to: 8999 }],
    ['9000-9000', { from: 9000, to: 9000 }],
  ])('%s', (text, expected) => {
    expect(parseContainerPorts(text)).toEqual(expected);
  });

  it.each([['0-10'], ['10-9'], ['1-65536'], ['8126'], ['8126-'], [' 1-2'], ['on']])(
    '%s is refused',
    (text) => {
      expect(() => parseContainerPorts(text)).toThrow(/expected "off", "ephemeral" or a port range/);
    },
  );
});
