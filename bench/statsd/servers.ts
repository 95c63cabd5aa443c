/**
 * The servers under test as child processes pinned to one CPU: ours (agent-server.ts, once
 * with the native recvmmsg receiver and once with node:dgram) and Etsy's reference StatsD
 * (node_modules/statsd/stats.js with etsy-count-backend.cjs). All answer the same IPC
 * requests; CPU and peak RSS are read from /proc for all.
 */
import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { cpuTimes, peakRssBytes, spawnPinned, udpReceiveBuffer } from './proc.js';
import type { AgentServerConfig, Counts, Reply, Request } from './protocol.js';

/**
 * corral: our agent with the native recvmmsg receiver (what a user gets when the addon is
 * built); corral-dgram: the same agent on node:dgram. dgram-floor is not a StatsD server: a
 * bare node:dgram socket, Node's own receive cost.
 */
export type ServerKind = 'corral' | 'corral-dgram' | 'etsy' | 'dgram-floor';

export interface ServerSettings {
  flushIntervalMs: number;
  percentiles: number[];
  /** What our server asks for with SO_RCVBUF (the kernel doubles it); Etsy gets rmem_default. */
  recvBufferSize: number;
  cpu: number | null;
  /** Write a V8 CPU profile of our server into this directory. */
  cpuProfileDir?: string;
}

export interface Paths {
  root: string;
  dist: string;
  tmp: string;
}

export interface Sample extends Counts {
  timeMs: number;
  cpuSeconds: number;
  /** The kernel's part of cpuSeconds (receiving datagrams, mostly). */
  cpuSystemSeconds: number;
  extra: Record<string, number>;
}

const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 30_000;

export class ServerProcess {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (reply: Reply & { type: 'stats' }) => void; reject: (error: Error) => void }
  >();
  private exitCode: number | null | undefined;
  private readonly exited: Promise<void>;
  /** The socket receive buffer the kernel gave the server (ss rb), bytes. */
  receiveBuffer: number | null = null;

  private constructor(
    readonly kind: ServerKind,
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.exitCode = code;
        // A server that dies mid-run fails the run rather than leaving a request unanswered.
        for (const { reject } of this.pending.values())
          reject(new Error(`${kind} server exited with ${code}`));
        this.pending.clear();
        resolve();
      }),
    );
    child.on('message', (reply: Reply) => {
      if (reply.type !== 'stats') return;
      this.pending.get(reply.id)?.resolve(reply);
      this.pending.delete(reply.id);
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  static async start(kind: ServerKind, settings: ServerSettings, paths: Paths): Promise<ServerProcess> {
    const [command, args] =
      kind === 'etsy' ? await etsyCommand(settings, paths) : nodeCommand(kind, settings, paths);
    const child = spawnPinned(settings.cpu, command, args, {
      cwd: paths.root,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${kind} server not ready: ${stderr}`)),
        READY_TIMEOUT_MS,
      );
      child.on('message', (reply: Reply) => {
        if (reply.type !== 'ready') return;
        clearTimeout(timer);
        resolve(reply.port);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${kind} server exited with ${code}: ${stderr}`));
      });
    });
    const server = new ServerProcess(kind, child, port);
    server.receiveBuffer = udpReceiveBuffer(port);
    return server;
  }

  private request(type: Request['type']): Promise<Reply & { type: 'stats' }> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.exitCode !== undefined)
        return reject(new Error(`${this.kind} server exited with ${this.exitCode}`));
      this.pending.set(id, { resolve, reject });
      this.child.send({ type, id } satisfies Request);
    });
  }

  /** Counts as the server sees them, with its CPU time from /proc, now. */
  async sample(): Promise<Sample> {
    const reply = await this.request('stats');
    const cpu = cpuTimes(this.pid);
    return {
      timeMs: performance.now(),
      cpuSeconds: cpu.user + cpu.system,
      cpuSystemSeconds: cpu.system,
      packets: reply.packets,
      lines: reply.lines,
      rejected: reply.rejected,
      flushes: reply.flushes,
      extra: reply.extra ?? {},
    };
  }

  /** Samples until the packet count stops moving: the socket buffer has been drained. */
  async drained(quietMs = 300): Promise<Sample> {
    let last = await this.sample();
    for (;;) {
      await sleep(quietMs);
      const next = await this.sample();
      if (next.packets === last.packets) return next;
      last = next;
    }
  }

  peakRss(): number {
    return peakRssBytes(this.pid);
  }

  /** Stops the server; ours closes its socket and exits on its own (writing any CPU profile). */
  async stop(): Promise<void> {
    if (this.exitCode !== undefined) return;
    if (this.kind !== 'etsy') await this.request('stop');
    else this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const NODE_ENTRIES = {
  corral: 'agent-server.js',
  'corral-dgram': 'agent-server.js',
  'dgram-floor': 'dgram-floor.js',
} as const;

function nodeCommand(
  kind: Exclude<ServerKind, 'etsy'>,
  settings: ServerSettings,
  paths: Paths,
): [string, string[]] {
  const config: AgentServerConfig = {
    flushIntervalMs: settings.flushIntervalMs,
    recvBufferSize: settings.recvBufferSize,
    percentiles: settings.percentiles,
    ...(kind === 'corral'
      ? { udpReceiver: 'native' }
      : kind === 'corral-dgram'
        ? { udpReceiver: 'dgram' }
        : {}),
  };
  const profile = settings.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', settings.cpuProfileDir] : [];
  const entry = join(paths.dist, 'bench/statsd', NODE_ENTRIES[kind]);
  return [process.execPath, [...profile, entry, JSON.stringify(config)]];
}

async function etsyCommand(settings: ServerSettings, paths: Paths): Promise<[string, string[]]> {
  const port = await freePort('udp');
  const config = {
    port,
    address: '127.0.0.1',
    mgmt_port: await freePort('tcp'),
    mgmt_address: '127.0.0.1',
    flushInterval: settings.flushIntervalMs,
    percentThreshold: settings.percentiles,
    backends: [join(paths.root, 'bench/statsd/etsy-count-backend.cjs')],
    automaticConfigReload: false,
  };
  const file = join(paths.tmp, 'etsy-config.js');
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return [process.execPath, [join(paths.root, 'node_modules/statsd/stats.js'), file]];
}

/** A port free right now on 127.0.0.1 (Etsy's StatsD cannot bind port 0 and report it). */
function freePort(protocol: 'udp' | 'tcp'): Promise<number> {
  return new Promise((resolve, reject) => {
    if (protocol === 'udp') {
      const socket = dgram.createSocket('udp4');
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        const { port } = socket.address();
        socket.close(() => resolve(port));
      });
    } else {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address() as net.AddressInfo;
        server.close(() => resolve(address.port));
      });
    }
  });
}
