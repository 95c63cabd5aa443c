/**
 * A real Kafka wire-protocol broker for tests: librdkafka's mock cluster (mock_broker.c beside
 * this file, compiled on first use), or the real cluster named by KAFKA_BROKERS. See README.md.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { access, constants, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Kafka, logLevel } from 'kafkajs';

/** The repository: three levels up, four when compiled into dist/ (the benches import this). */
const REPO_ROOT = ((up) => (basename(up) === 'dist' ? dirname(up) : up))(
  join(import.meta.dirname, '..', '..', '..'),
);
const SOURCE = join(REPO_ROOT, 'test', 'helpers', 'kafka-broker', 'mock_broker.c');
const CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'corral-kafka-broker');
const CFLAGS = ['-O2'];
const LIBS = ['-lrdkafka'];
const STARTUP_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const STDERR_TAIL_CHARS = 4_000;

/** Kafka protocol request types (ApiKey), for requestErrors(). */
export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  ApiVersions: 18,
  InitProducerId: 22,
  AddPartitionsToTxn: 24,
  EndTxn: 26,
} as const;

/** Kafka protocol error codes, for requestErrors(). */
export const ErrorCode = {
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_FOR_PARTITION: 6,
  REQUEST_TIMED_OUT: 7,
  NETWORK_EXCEPTION: 13,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  NOT_ENOUGH_REPLICAS: 19,
  TOPIC_AUTHORIZATION_FAILED: 29,
} as const;

export interface KafkaBroker {
  /** `host:port` of each broker, as kafkajs takes them in `brokers`. */
  readonly bootstrap: string[];
  /** True for the librdkafka mock cluster, false for the real cluster named by KAFKA_BROKERS. */
  readonly mock: boolean;
  /** Disconnects broker `id` (1-based; -1 for all) and refuses new connections. No leader change. */
  down(id: number): Promise<void>;
  /** Lets broker `id` (-1 for all) accept connections again. */
  up(id: number): Promise<void>;
  /** Delays every response of broker `id` (-1 for all) by `ms`; 0 removes the delay. */
  rtt(id: number, ms: number): Promise<void>;
  /** The next `count` requests of `apiKey` (see ApiKey), to any broker, fail with `errorCode` (see ErrorCode). */
  requestErrors(apiKey: number, errorCode: number, count: number): Promise<void>;
  /** Creates a topic; rejects if it exists. */
  createTopic(name: string, partitions: number, replication: number): Promise<void>;
  /** Ends the broker and waits for it to exit (a no-op against a real Kafka). */
  stop(): Promise<void>;
}

export interface KafkaBrokerOptions {
  /** Brokers in the mock cluster, ids 1..brokers (default 1). Ignored with KAFKA_BROKERS. */
  brokers?: number;
}

/**
 * Starts a mock Kafka cluster on 127.0.0.1, or, when KAFKA_BROKERS is set (`host:port,...`),
 * returns a handle on that real cluster: the same bootstrap and createTopic, and fault
 * injection (down, up, rtt, requestErrors) throws.
 */
export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const external = process.env.KAFKA_BROKERS?.trim();
  if (external) return realKafka(external);
  const brokers = options.brokers ?? 1;
  if (!Number.isInteger(brokers) || brokers < 1 || brokers > 64) {
    throw new Error(`startKafkaBroker: brokers must be an integer in 1..64, got ${brokers}`);
  }
  return spawnMockBroker(await buildMockBroker(), brokers);
}

let build: Promise<string> | undefined;

/**
 * Compiles mock_broker.c once per process into node_modules/.cache/corral-kafka-broker/,
 * keyed by a hash of the source and the compile command; returns the binary's path.
 */
export function buildMockBroker(): Promise<string> {
  build ??= compile().catch((err: unknown) => {
    build = undefined;
    throw err;
  });
  return build;
}

async function compile(): Promise<string> {
  const cc = process.env.CC || 'cc';
  const source = await readFile(SOURCE);
  const key = createHash('sha256')
    .update(source)
    .update(JSON.stringify([cc, CFLAGS, LIBS]))
    .digest('hex')
    .slice(0, 16);
  const binary = join(CACHE_DIR, `mock_broker-${key}`);
  try {
    await access(binary, constants.X_OK);
    return binary;
  } catch {
    // Not built yet.
  }
  await mkdir(CACHE_DIR, { recursive: true });
  // Another test process may compile at the same time: each writes its own file, and the
  // rename makes whichever finishes last the (identical) binary.
  const tmp = `${binary}.${process.pid}.tmp`;
  const { code, output, spawnError } = await run(cc, [...CFLAGS, '-o', tmp, SOURCE, ...LIBS]);
  if (spawnError?.code === 'ENOENT') {
    throw new Error(
      `kafka-broker: no C compiler: \`${cc}\` was not found. Install one ` +
        '(Debian/Ubuntu: `apt-get install -y build-essential`) or set CC, or run against a real Kafka ' +
        'with KAFKA_BROKERS=host:port (test/helpers/kafka-broker/README.md).',
    );
  }
  if (spawnError) throw new Error(`kafka-broker: could not run ${cc}: ${spawnError.message}`);
  if (code !== 0) {
    await rm(tmp, { force: true });
    if (/rdkafka(_mock)?\.h|cannot find -lrdkafka|undefined reference to .?rd_kafka_mock/.test(output)) {
      throw new Error(
        "kafka-broker: librdkafka's development files (librdkafka/rdkafka_mock.h, -lrdkafka) are missing. " +
          'Install them (Debian/Ubuntu: `apt-get install -y librdkafka-dev`; .ci/run does this), or run ' +
          `against a real Kafka with KAFKA_BROKERS=host:port.\n${cc} said:\n${output.trim()}`,
      );
    }
    throw new Error(`kafka-broker: compiling ${SOURCE} failed (exit ${code}):\n${output.trim()}`);
  }
  await rename(tmp, binary);
  return binary;
}

function run(
  command: string,
  args: string[],
): Promise<{ code: number | null; output: string; spawnError?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', (spawnError: NodeJS.ErrnoException) => resolve({ code: null, output, spawnError }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

interface Reply {
  ok: boolean;
  error?: string;
}

async function spawnMockBroker(binary: string, brokers: number): Promise<KafkaBroker> {
  const child: ChildProcessWithoutNullStreams = spawn(binary, [String(brokers)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL_CHARS);
  });
  // Writes after the broker died fail with EPIPE; the exit handler reports that instead.
  child.stdin.on('error', () => {});

  let exited: Error | undefined;
  const exitedPromise = once(child, 'exit').catch(() => undefined);
  const pending: { command: string; resolve: () => void; reject: (err: Error) => void }[] = [];
  let onBootstrap: ((line: string) => void) | undefined;
  let failStartup: ((err: Error) => void) | undefined;

  const describeExit = (code: number | null, signal: NodeJS.Signals | null): Error =>
    new Error(
      `kafka-broker: the mock broker exited (${signal ?? `code ${code}`})` +
        (/librdkafka\.so/.test(stderr)
          ? ' (librdkafka is missing: `apt-get install -y librdkafka-dev`)'
          : '') +
        (stderr.trim() ? `; its stderr:\n${stderr.trim()}` : ''),
    );
  child.on('error', (err) => {
    exited ??= new Error(`kafka-broker: could not start ${binary}: ${err.message}`);
    failStartup?.(exited);
    for (const p of pending.splice(0)) p.reject(exited);
  });
  child.on('exit', (code, signal) => {
    exited ??= describeExit(code, signal);
    failStartup?.(exited);
    for (const p of pending.splice(0)) p.reject(exited);
  });

  createInterface({ input: child.stdout }).on('line', (line) => {
    if (onBootstrap) {
      onBootstrap(line);
      return;
    }
    const waiting = pending.shift();
    if (!waiting) return;
    let reply: Reply;
    try {
      reply = JSON.parse(line) as Reply;
    } catch {
      waiting.reject(new Error(`kafka-broker: unexpected answer to "${waiting.command}": ${line}`));
      return;
    }
    if (reply.ok) waiting.resolve();
    else waiting.reject(new Error(`kafka-broker: ${waiting.command}: ${reply.error ?? 'failed'}`));
  });

  const bootstrapLine = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`kafka-broker: no bootstrap line within ${STARTUP_TIMEOUT_MS} ms; stderr:\n${stderr}`),
      );
    }, STARTUP_TIMEOUT_MS);
    onBootstrap = (line) => {
      clearTimeout(timer);
      resolve(line);
    };
    failStartup = (err) => {
      clearTimeout(timer);
      reject(err);
    };
  }).finally(() => {
    onBootstrap = undefined;
    failStartup = undefined;
  });
  const { bootstrap } = JSON.parse(bootstrapLine) as { bootstrap: string };

  const command = (...words: (string | number)[]): Promise<void> => {
    const line = words.join(' ');
    if (exited) return Promise.reject(exited);
    return new Promise<void>((resolve, reject) => {
      pending.push({ command: line, resolve, reject });
      child.stdin.write(`${line}\n`);
    });
  };
  const int = (name: string, value: number, min: number): number => {
    if (!Number.isInteger(value) || value < min) {
      throw new Error(`kafka-broker: ${name} must be an integer >= ${min}, got ${value}`);
    }
    return value;
  };

  let stopping: Promise<void> | undefined;
  return {
    bootstrap: bootstrap.split(','),
    mock: true,
    down: async (id) => command('down', int('broker id', id, -1)),
    up: async (id) => command('up', int('broker id', id, -1)),
    rtt: async (id, ms) => command('rtt', int('broker id', id, -1), int('rtt ms', ms, 0)),
    requestErrors: async (apiKey, errorCode, count) =>
      command(
        'errors',
        int('api key', apiKey, 0),
        int('error code', errorCode, -32768),
        int('error count', count, 1),
      ),
    createTopic: async (name, partitions, replication) => {
      if (!/^[A-Za-z0-9._-]{1,249}$/.test(name)) {
        throw new Error(`kafka-broker: invalid topic name ${JSON.stringify(name)}`);
      }
      return command('topic', name, int('partitions', partitions, 1), int('replication', replication, 1));
    },
    stop: () => {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        // End of stdin makes it destroy the cluster and exit 0.
        child.stdin.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exitedPromise;
        clearTimeout(timer);
        if (child.exitCode !== 0) throw describeExit(child.exitCode, child.signalCode);
      })();
      return stopping;
    },
  };
}

function realKafka(list: string): KafkaBroker {
  const bootstrap = list
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const unsupported = (what: string) => async (): Promise<void> => {
    throw new Error(
      `kafka-broker: ${what} is not supported against a real Kafka (KAFKA_BROKERS=${list}); ` +
        'it needs the librdkafka mock broker (unset KAFKA_BROKERS).',
    );
  };
  return {
    bootstrap,
    mock: false,
    down: unsupported('down (taking a broker down)'),
    up: unsupported('up (bringing a broker up)'),
    rtt: unsupported('rtt (injecting latency)'),
    requestErrors: unsupported('requestErrors (injecting request errors)'),
    createTopic: async (name, numPartitions, replicationFactor) => {
      const admin = new Kafka({
        clientId: 'corral-test-admin',
        brokers: bootstrap,
        logLevel: logLevel.NOTHING,
      }).admin();
      await admin.connect();
      try {
        const created = await admin.createTopics({
          waitForLeaders: true,
          topics: [{ topic: name, numPartitions, replicationFactor }],
        });
        if (!created) throw new Error(`kafka-broker: topic ${name} already exists on ${list}`);
      } finally {
        await admin.disconnect();
      }
    },
    stop: async () => {},
  };
}
