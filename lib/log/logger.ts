/** The process logger. It writes to stderr because stdout carries the stdout sink's datapoints. */
import { createRequire } from 'node:module';
import { type DestinationStream, type Level, type Logger, pino } from 'pino';

// pino-pretty and its dependencies are loaded only when used: production logs are JSON, and
// every CLI start (even --help) would otherwise pay for them.
const require = createRequire(import.meta.url);

export interface LoggerOptions {
  level: Level | 'silent';
  /** auto: pretty when stderr is a terminal, JSON lines otherwise (for log collectors). */
  format: 'auto' | 'json' | 'pretty';
  /** Defaults to stderr; tests pass a stream. */
  destination?: DestinationStream | NodeJS.WritableStream;
  /** Defaults to process.stderr.isTTY. */
  isTTY?: boolean;
}

export function createLogger({ level, format, destination, isTTY }: LoggerOptions): Logger {
  const tty = isTTY ?? process.stderr.isTTY === true;
  const usePretty = format === 'pretty' || (format === 'auto' && tty);
  if (usePretty) {
    // A synchronous in-process stream, not a worker transport: lines written right before
    // process.exit() are not lost, and no extra thread is started.
    const pretty = require('pino-pretty') as typeof import('pino-pretty');
    const stream = pretty({
      destination: destination ?? 2,
      sync: true,
      colorize: destination === undefined && tty,
      ignore: 'pid,hostname',
      translateTime: 'SYS:HH:MM:ss.l',
    });
    return pino({ level }, stream);
  }
  // Synchronous for the same reason; log volume is kept low by RateLimitedLog on hot paths.
  return pino({ level }, destination ?? pino.destination({ dest: 2, sync: true }));
}
