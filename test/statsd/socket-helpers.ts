import dgram from 'node:dgram';
import net from 'node:net';
import { Writable } from 'node:stream';
import { StatsD } from 'hot-shots';
import type { Logger } from 'pino';
import { createLogger } from '../../lib/log/logger.js';
import { RateLimitedLog } from '../../lib/log/rate-limited.js';

/** Polls until check() is true (no fixed sleeps): fails with what was awaited after timeoutMs. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** A logger whose JSON lines are kept in memory, and the agent's rate-limited log over it. */
export function capturedLogs(): { logger: Logger; log: RateLimitedLog; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split('\n')) if (text !== '') lines.push(JSON.parse(text));
      done();
    },
  });
  const logger = createLogger({ level: 'info', format: 'json', destination });
  return { logger, log: new RateLimitedLog(logger), lines };
}

export interface ClientOptions {
  port: number;
  protocol?: 'udp' | 'tcp';
  /** Sent as DogStatsD's c: field (hot-shots' Datadog mode). */
  containerId?: string;
  globalTags?: Record<string, string>;
}

/** The real hot-shots client; its errors fail the test instead of being swallowed. */
export function hotShots({ port, protocol = 'udp', containerId, globalTags }: ClientOptions): StatsD {
  return new StatsD({
    host: '127.0.0.1',
    port,
    protocol,
    globalTags,
    ...(containerId === undefined
      ? { datadog: false }
      : { datadog: true, containerID: containerId, originDetection: false, includeDatadogTelemetry: false }),
    errorHandler: (error: Error) => {
      throw error;
    },
  });
}

export function closeClient(client: StatsD): Promise<void> {
  return new Promise((resolve, reject) => client.close((error) => (error ? reject(error) : resolve())));
}

/** Sends each payload as its own datagram from a socket bound to `from` (a loopback address). */
export async function sendFrom(
  from: string,
  to: { host: string; port: number },
  payloads: readonly string[],
): Promise<void> {
  const socket = dgram.createSocket(net.isIPv6(from) ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, from, () => resolve());
  });
  for (const payload of payloads) {
    await new Promise<void>((resolve, reject) =>
      socket.send(payload, to.port, to.host, (error) => (error ? reject(error) : resolve())),
    );
  }
  await new Promise<void>((resolve) => socket.close(() => resolve()));
}

/** Writes text over one TCP connection made from `from`, and closes it. */
export async function tcpSendFrom(from: string, port: number, text: string): Promise<void> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress: from });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('connect', () => resolve());
  });
  await new Promise<void>((resolve) => socket.end(text, () => resolve()));
}
