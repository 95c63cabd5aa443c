/**
 * The end-to-end load generator, a process of its own (forked by load-client.ts, driven over
 * IPC): builds the pool of datagrams (load-plan.ts) once, then sends it at a given rate of
 * StatsD lines per second over connected UDP sockets, one per destination port, with a
 * latency marker on the shared port every markerEveryMs. It reports exactly what it sent:
 * lines, packets, bytes, and the counter and timer totals the bench checks by SQL.
 */
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { buildPool, type GroupSpec, markerLine, type Pool } from './load-plan.js';

export type ToGenerator =
  | { type: 'setup'; groups: GroupSpec[]; ports: number[]; host: string }
  | { type: 'run'; linesPerSecond: number; seconds: number; markerEveryMs: number; markerSeq: number }
  | { type: 'exit' };

export interface SendReport {
  linesPerSecondOffered: number;
  seconds: number;
  lines: number;
  packets: number;
  bytes: number;
  counterTotal: number;
  timerSamples: number;
  markers: { seq: number; sentMs: number }[];
  /** Sends the kernel refused (not sent, not counted above). */
  sendErrors: number;
  /** Errors reported on the sockets afterwards (ECONNREFUSED: nothing listened), over the run. */
  socketErrors: number;
  cpuSeconds: number;
}

export type FromGenerator =
  | { type: 'ready'; lines: number; packets: number; bytes: number; series: number; kinds: Pool['kinds'] }
  | { type: 'done'; report: SendReport }
  | { type: 'error'; message: string };

let pool: Pool | undefined;
let sockets: Socket[] = [];
/** Where the next run continues in the pool, so every series gets its share over runs. */
let cursor = 0;
/** Asynchronous socket errors (ECONNREFUSED when nothing listens on the port any more). */
let socketErrors = 0;

const reply = (message: FromGenerator) => process.send!(message);

async function setup(groups: GroupSpec[], ports: number[], host: string): Promise<void> {
  pool = buildPool(groups);
  sockets = await Promise.all(
    ports.map(async (port) => {
      const socket = createSocket({ type: 'udp4', sendBufferSize: 4 * 1024 * 1024 });
      // ICMP port unreachable (the agent gone) comes back as an error on a connected socket.
      socket.on('error', () => {
        socketErrors++;
      });
      socket.connect(port, host);
      await once(socket, 'connect');
      return socket;
    }),
  );
  reply({
    type: 'ready',
    lines: pool.lines,
    packets: pool.packets.length,
    bytes: pool.bytes,
    series: pool.series,
    kinds: pool.kinds,
  });
}

async function run(linesPerSecond: number, seconds: number, markerEveryMs: number, markerSeq: number) {
  const packets = pool!.packets;
  const report: SendReport = {
    linesPerSecondOffered: linesPerSecond,
    seconds: 0,
    lines: 0,
    packets: 0,
    bytes: 0,
    counterTotal: 0,
    timerSamples: 0,
    markers: [],
    sendErrors: 0,
    socketErrors: 0,
    cpuSeconds: 0,
  };
  const socketErrorsBefore = socketErrors;
  let pending = 0;
  let drained: (() => void) | undefined;
  // A refused send takes back what it added.
  const sent = (lines: number, bytes: number, counter: number, timer: number) => (error: Error | null) => {
    if (error) {
      report.sendErrors++;
      report.lines -= lines;
      report.packets--;
      report.bytes -= bytes;
      report.counterTotal -= counter;
      report.timerSamples -= timer;
    }
    if (--pending === 0) drained?.();
  };
  const cpu = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  let nextMarker = start;
  let seq = markerSeq;
  for (;;) {
    const now = performance.now();
    if (now >= end) break;
    if (now >= nextMarker) {
      const sentMs = Date.now();
      const marker = { seq, sentMs };
      pending++;
      sockets[0]!.send(Buffer.from(markerLine(seq, sentMs)), (error) => {
        if (error) report.sendErrors++;
        else report.markers.push(marker);
        if (--pending === 0) drained?.();
      });
      seq++;
      nextMarker += markerEveryMs;
    }
    const due = ((now - start) / 1000) * linesPerSecond;
    // At most ~5 ms worth per turn, so that a late turn does not send a burst.
    let budget = Math.max(1, Math.ceil(linesPerSecond / 200));
    while (report.lines < due && budget > 0) {
      const p = packets[cursor]!;
      cursor = (cursor + 1) % packets.length;
      report.lines += p.lines;
      report.packets++;
      report.bytes += p.bytes.length;
      report.counterTotal += p.counterTotal;
      report.timerSamples += p.timerSamples;
      budget -= p.lines;
      pending++;
      sockets[p.destination]!.send(p.bytes, sent(p.lines, p.bytes.length, p.counterTotal, p.timerSamples));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  report.seconds = (performance.now() - start) / 1000;
  if (pending > 0) await new Promise<void>((resolve) => (drained = resolve));
  const used = process.cpuUsage(cpu);
  report.cpuSeconds = (used.user + used.system) / 1e6;
  report.socketErrors = socketErrors - socketErrorsBefore;
  return report;
}

process.on('message', (message: ToGenerator) => {
  const handle = async () => {
    if (message.type === 'setup') await setup(message.groups, message.ports, message.host);
    else if (message.type === 'run')
      reply({
        type: 'done',
        report: await run(message.linesPerSecond, message.seconds, message.markerEveryMs, message.markerSeq),
      });
    else {
      for (const socket of sockets) socket.close();
      process.disconnect();
    }
  };
  handle().catch((error: unknown) =>
    reply({ type: 'error', message: String((error as Error).stack ?? error) }),
  );
});
