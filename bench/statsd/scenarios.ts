/**
 * The benchmark's load scenarios. Each offers the same load, byte for byte, to each server
 * in turn, with the server alone on its CPU and the senders on another.
 */
import { join } from 'node:path';
import { spawnPinned, stealSeconds, udpRcvbufErrors } from './proc.js';
import { type Load, send } from './sender.js';
import {
  type Paths,
  type Sample,
  type ServerKind,
  ServerProcess,
  type ServerSettings,
  sleep,
} from './servers.js';

export interface Bench {
  paths: Paths;
  server: ServerSettings;
  senderBinary: string;
  senderCpu: number | null;
  /** Seconds of load before the measured window (JIT warm-up, buffers filling). */
  warmupSeconds: number;
  /** Length of the measured window. */
  measureSeconds: number;
}

export interface LoadResult {
  server: ServerKind;
  mix: 'plain' | 'tagged';
  linesPerPacket: number;
  /** Offered packets/s; 0 = as fast as the senders go. */
  offeredPps: number;
  sent: { packets: number; lines: number; seconds: number; packetsPerSecond: number };
  received: { packets: number; lines: number; rejectedLines: number };
  /** Packets sent but never received, over the whole load (warm-up included), percent. */
  lossPercent: number;
  /** The measured window, while the load was on. */
  window: {
    seconds: number;
    linesPerSecond: number;
    packetsPerSecond: number;
    /** Lines per second of the server's own CPU time: its capacity per core when saturated. */
    linesPerCpuSecond: number;
    cpuSeconds: number;
    /** Share of cpuSeconds spent in the kernel (recvmsg and the socket), percent. */
    cpuSystemPercent: number;
    /** CPU seconds per second of the server process (1.0 = one core busy). */
    cpuUtilization: number;
    cpuSecondsPerMillionLines: number;
    /**
     * Kernel RcvbufErrors inside the window (system-wide): the loss once the server is warm,
     * where lossPercent also counts the warm-up of a fresh server.
     */
    kernelRcvbufDrops: number;
    /** Share of the window the hypervisor took the server's CPU away (steal), percent. */
    serverCpuStealPercent: number;
  };
  /** Kernel UDP RcvbufErrors during the load (system-wide; a cross-check of the loss). */
  kernelRcvbufDrops: number;
  /**
   * The same seen from the server's socket (SO_RXQ_OVFL), corral with the native receiver
   * only, else null. The kernel reports the count with each queued datagram, so drops after
   * the last datagram the socket took (the end of a load that overran it) are not in it.
   */
  socketDrops: number | null;
  /**
   * Steal on the server's and the sender's CPU over the whole load, percent: time the
   * hypervisor ran something else. Loss with the server's CPU short of busy points here.
   */
  stealPercent: { serverCpu: number; senderCpu: number };
  server_extra: Record<string, number>;
}

function mixOf(load: Load): 'plain' | 'tagged' {
  return load.tagged ? 'tagged' : 'plain';
}

/**
 * Offers one load to a running server. Throughput and CPU come from two samples inside the
 * sending window (after the warm-up); loss from everything sent versus everything received
 * once the socket buffer has drained.
 */
export async function offer(bench: Bench, server: ServerProcess, load: Load, warmupSeconds: number) {
  const kernelBefore = udpRcvbufErrors();
  const steal = () => ({ server: stealSeconds(bench.server.cpu), sender: stealSeconds(bench.senderCpu) });
  const stealBefore = steal();
  const base = await server.sample();
  const sending = send(bench.senderBinary, bench.senderCpu, server.port, load);
  await sleep(warmupSeconds * 1000);
  const kernelAtStart = udpRcvbufErrors();
  const stealAtStart = steal();
  const start = await server.sample();
  await sleep((load.seconds - warmupSeconds - 0.5) * 1000);
  const end = await server.sample();
  const windowDrops = udpRcvbufErrors() - kernelAtStart;
  const windowSteal = steal().server - stealAtStart.server;
  const sent = await sending;
  const stealAfter = steal();
  const final = await server.drained();
  return summarize(
    server.kind,
    load,
    sent,
    { base, start, end, final },
    {
      kernelDrops: { load: udpRcvbufErrors() - kernelBefore, window: windowDrops },
      stealSeconds: {
        window: windowSteal,
        serverCpu: stealAfter.server - stealBefore.server,
        senderCpu: stealAfter.sender - stealBefore.sender,
      },
    },
  );
}

function summarize(
  kind: ServerKind,
  load: Load,
  sent: Awaited<ReturnType<typeof send>>,
  { base, start, end, final }: { base: Sample; start: Sample; end: Sample; final: Sample },
  machine: {
    kernelDrops: { load: number; window: number };
    stealSeconds: { window: number; serverCpu: number; senderCpu: number };
  },
): LoadResult {
  const { kernelDrops, stealSeconds } = machine;
  const seconds = (end.timeMs - start.timeMs) / 1000;
  const percent = (part: number, of: number) => round((100 * part) / Math.max(of, 0.001), 2);
  const lines = end.lines - start.lines;
  const cpu = end.cpuSeconds - start.cpuSeconds;
  const receivedPackets = final.packets - base.packets;
  return {
    server: kind,
    mix: mixOf(load),
    linesPerPacket: load.linesPerPacket,
    offeredPps: load.pps,
    sent: {
      packets: sent.packets,
      lines: sent.lines,
      seconds: round(sent.seconds, 3),
      packetsPerSecond: Math.round(sent.packets / sent.seconds),
    },
    received: {
      packets: receivedPackets,
      lines: final.lines - base.lines,
      rejectedLines: final.rejected - base.rejected,
    },
    lossPercent: round((100 * (sent.packets - receivedPackets)) / Math.max(1, sent.packets), 4),
    window: {
      seconds: round(seconds, 3),
      linesPerSecond: Math.round(lines / seconds),
      packetsPerSecond: Math.round((end.packets - start.packets) / seconds),
      linesPerCpuSecond: Math.round(lines / Math.max(cpu, 0.01)),
      cpuSeconds: round(cpu, 2),
      cpuSystemPercent: round(
        (100 * (end.cpuSystemSeconds - start.cpuSystemSeconds)) / Math.max(cpu, 0.01),
        1,
      ),
      cpuUtilization: round(cpu / seconds, 3),
      cpuSecondsPerMillionLines: round((cpu / Math.max(1, lines)) * 1e6, 3),
      kernelRcvbufDrops: kernelDrops.window,
      serverCpuStealPercent: percent(stealSeconds.window, seconds),
    },
    kernelRcvbufDrops: kernelDrops.load,
    stealPercent: {
      serverCpu: percent(stealSeconds.serverCpu, sent.seconds),
      senderCpu: percent(stealSeconds.senderCpu, sent.seconds),
    },
    socketDrops:
      final.extra.kernelDrops === undefined ? null : final.extra.kernelDrops - (base.extra.kernelDrops ?? 0),
    server_extra: final.extra,
  };
}

export interface ScenarioRun extends LoadResult {
  peakRssBytes: number;
  receiveBufferBytes: number | null;
}

/** A fresh server for one load: start, offer, read its peak RSS, stop. */
export async function runOnFreshServer(bench: Bench, kind: ServerKind, load: Load): Promise<ScenarioRun> {
  const server = await ServerProcess.start(kind, bench.server, bench.paths);
  try {
    const result = await offer(bench, server, load, bench.warmupSeconds);
    return { ...result, peakRssBytes: server.peakRss(), receiveBufferBytes: server.receiveBuffer };
  } finally {
    await server.stop();
  }
}

/** Full-length load: warm-up, measured window, half a second of tail. */
export function loadFor(bench: Bench, load: Omit<Load, 'seconds'>): Load {
  return { ...load, seconds: bench.warmupSeconds + bench.measureSeconds + 0.5 };
}

export interface RampStep {
  offeredPps: number;
  sentPps: number;
  receivedPackets: number;
  lossPercent: number;
  cpuUtilization: number;
  /** Kernel RcvbufErrors during the step (system-wide). */
  kernelRcvbufDrops: number;
  socketDrops: number | null;
  /** Steal on the server's and sender's CPU during the step, percent (see LoadResult). */
  stealPercent: { serverCpu: number; senderCpu: number };
  pass: boolean;
}

export interface RampResult {
  server: ServerKind;
  stepSeconds: number;
  steps: RampStep[];
  /** The highest offered rate the server took with less than maxLossPercent loss; 0 if none. */
  maxPps: number;
  /**
   * What ended the ramp: a step with too much loss (maxPps is the server's limit), a step
   * the senders could not deliver (the server's limit is above maxPps, past what the sender's
   * core can offer), or the last step passed.
   */
  endedBy: 'loss' | 'sender' | 'steps';
}

/**
 * Single-line packets at rising fixed rates on one server (warmed up first) until a step
 * loses maxLossPercent or more. A step the senders could not deliver (below 98% of offered)
 * is neither a pass nor a failure of the server, and ends the ramp.
 */
export async function ramp(
  bench: Bench,
  kind: ServerKind,
  steps: number[],
  stepSeconds: number,
  maxLossPercent: number,
): Promise<RampResult> {
  const server = await ServerProcess.start(kind, bench.server, bench.paths);
  const base: Omit<Load, 'pps' | 'seconds'> = { linesPerPacket: 1, tagged: false, series: 1000, senders: 1 };
  const result: RampResult = { server: kind, stepSeconds, steps: [], maxPps: 0, endedBy: 'steps' };
  try {
    await offer(bench, server, { ...base, pps: steps[0]!, seconds: 2.5 }, 1);
    for (const pps of steps) {
      const r = await offer(bench, server, { ...base, pps, seconds: stepSeconds }, 1);
      const senderLimited = r.sent.packetsPerSecond < pps * 0.98;
      const pass = !senderLimited && r.lossPercent < maxLossPercent;
      result.steps.push({
        offeredPps: pps,
        sentPps: r.sent.packetsPerSecond,
        receivedPackets: r.received.packets,
        lossPercent: r.lossPercent,
        cpuUtilization: r.window.cpuUtilization,
        kernelRcvbufDrops: r.kernelRcvbufDrops,
        socketDrops: r.socketDrops,
        stealPercent: r.stealPercent,
        pass,
      });
      if (!pass) {
        result.endedBy = senderLimited ? 'sender' : 'loss';
        break;
      }
      result.maxPps = pps;
    }
  } finally {
    await server.stop();
  }
  return result;
}

export interface MemoryResult {
  mix: 'plain' | 'tagged';
  series: number;
  liveSeries: number;
  bytesPerIdleSeries: number;
  rssBytesPerIdleSeries: number;
  heapUsedBytes: number;
  externalBytes: number;
  rssBytes: number;
  ingestSeconds: number;
  flushSeconds: number;
}

/** memory.ts in its own process (with --expose-gc) on the server CPU. */
export function memory(bench: Bench, mix: 'plain' | 'tagged', series: number): Promise<MemoryResult> {
  const entry = join(bench.paths.dist, 'bench/statsd/memory.js');
  return new Promise((resolve, reject) => {
    const child = spawnPinned(
      bench.server.cpu,
      process.execPath,
      ['--expose-gc', entry, mix, String(series)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`memory scenario exited with ${code}`));
      else resolve(JSON.parse(out) as MemoryResult);
    });
  });
}

export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
