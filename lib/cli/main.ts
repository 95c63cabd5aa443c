/**
 * `corral` entry point: parse the command line, load the configuration, start the agent or the
 * collector and stop it on SIGINT/SIGTERM. Usage and config errors are one line on stderr with
 * exit status 2.
 */
import { CommanderError } from 'commander';
import type { Logger } from 'pino';
import type { RunningAgent } from '../../agent/run.js';
import type { RunningCollector } from '../../collector/run.js';
import { ConfigError, loadConfig } from '../config/load.js';
import type { CorralConfig } from '../config/schema.js';
import { createLogger } from '../log/logger.js';
import { buildProgram, type Invocation } from './program.js';
import type { RunningStart } from './start.js';
import { startBanner } from './start-banner.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** Everything main touches in the outside world, so tests can run it in-process. */
export interface MainIO {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout(text: string): void;
  stderr(text: string): void;
  exit(code: number): void;
  onSignal(signal: 'SIGINT' | 'SIGTERM', listener: () => void): void;
  runAgent(config: CorralConfig, logger: Logger): Promise<RunningAgent>;
  /** `onFatal`: the collector cannot go on (its Kafka consumer gave up). */
  runCollector(
    config: CorralConfig,
    logger: Logger,
    onFatal: (error: Error) => void,
  ): Promise<RunningCollector>;
  /** `corral start`: both in one process over the in-process log. */
  runStart(config: CorralConfig, logger: Logger, onFatal: (error: Error) => void): Promise<RunningStart>;
  createLogger: typeof createLogger;
}

const processIO: MainIO = {
  env: process.env,
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  exit: (code) => process.exit(code),
  onSignal: (signal, listener) => process.on(signal, listener),
  // Imported lazily so --help does not load the whole agent.
  runAgent: async (config, logger) => (await import('../../agent/run.js')).runAgent(config, logger),
  runCollector: async (config, logger, onFatal) =>
    (await import('../../collector/run.js')).runCollector(config, logger, { env: process.env, onFatal }),
  runStart: async (config, logger, onFatal) => (await import('./start.js')).runStart(config, logger, onFatal),
  createLogger,
};

/** Runs `corral` with the arguments after the script name. */
export async function main(args: readonly string[], overrides: Partial<MainIO> = {}): Promise<void> {
  const io: MainIO = { ...processIO, ...overrides };
  const invocation = parseCommandLine(args, io);
  if (typeof invocation === 'number') return io.exit(invocation);

  let config: CorralConfig;
  try {
    config = loadConfig({ command: invocation.command, flags: invocation.flags, env: io.env, cwd: io.cwd });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr(`corral: config error: ${err.message}\n`);
    return io.exit(EXIT_USAGE);
  }
  if (invocation.query !== undefined) return io.exit(await query(config, invocation.query, io));
  const logger = io.createLogger(config.log);

  const what = invocation.command;
  const onFatal = (err: Error) => {
    logger.fatal({ err }, 'collector cannot go on');
    io.exit(EXIT_FAILURE);
  };
  let running: Stoppable;
  try {
    if (what === 'start') {
      const started = await io.runStart(config, logger, onFatal);
      io.stdout(startBanner(started, config));
      running = started;
    } else {
      running =
        what === 'collector'
          ? await io.runCollector(config, logger, onFatal)
          : await io.runAgent(config, logger);
    }
  } catch (err) {
    // A setting that names a file it cannot read is found only now; still a config error.
    if (err instanceof ConfigError) {
      io.stderr(`corral: config error: ${err.message}\n`);
      return io.exit(EXIT_USAGE);
    }
    logger.error({ err }, `${what} failed to start`);
    return io.exit(EXIT_FAILURE);
  }
  stopOnSignals(running, logger, io);
}

/** The invocation, or the exit status when commander already handled it (help, version, error). */
function parseCommandLine(args: readonly string[], io: MainIO): Invocation | number {
  if (args.length === 0) {
    io.stderr('corral: error: missing command: agent, collector or start (see corral --help)\n');
    return EXIT_USAGE;
  }
  let invocation: Invocation | undefined;
  const program = buildProgram(io, (parsed) => {
    invocation = parsed;
  });
  try {
    program.parse(args, { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    if (err.exitCode === 0) return EXIT_OK;
    // Commander's messages may span lines ("...\n(Did you mean --x?)"); users get one.
    const message = err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
    io.stderr(`corral: error: ${message}\n`);
    return EXIT_USAGE;
  }
  // Only reached without an action, e.g. "corral help"; commander printed the help.
  return invocation ?? EXIT_OK;
}

/** What a command runs until a signal. */
interface Stoppable {
  stop(): Promise<void>;
}

/**
 * First signal: stop gracefully (the agent flushes what is aggregated, the collector finishes
 * the insert in flight and commits it), then exit 0. Second: exit now.
 */
function stopOnSignals(running: Stoppable, logger: Logger, io: MainIO): void {
  let stopping = false;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    if (stopping) {
      logger.warn({ signal }, 'second signal, exiting without finishing the stop');
      return io.exit(EXIT_INTERRUPTED);
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    running.stop().then(
      () => {
        logger.info('stopped');
        io.exit(EXIT_OK);
      },
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        io.exit(EXIT_FAILURE);
      },
    );
  };
  io.onSignal('SIGINT', () => onSignal('SIGINT'));
  io.onSignal('SIGTERM', () => onSignal('SIGTERM'));
}

/** corral query: prints the result; a failed query is one line on stderr and exit 1. */
async function query(
  config: CorralConfig,
  request: NonNullable<Invocation['query']>,
  io: MainIO,
): Promise<number> {
  try {
    const { runQuery } = await import('./query.js');
    const { formatResult } = await import('./query-output.js');
    io.stdout(formatResult(await runQuery(config, request.sql), request.format));
    return EXIT_OK;
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`corral: config error: ${err.message}\n`);
      return EXIT_USAGE;
    }
    io.stderr(`corral: query failed: ${(err as Error).message.split('\n')[0]}\n`);
    return EXIT_FAILURE;
  }
}
