/**
 * `corral start`: the agent and the collector in one process, joined by the in-process log
 * (lib/local-log) instead of Kafka. The agent writes the same Avro records it would send to
 * Kafka; the collector reads them with the same pipeline into embedded ClickHouse (or the
 * configured server). Nothing else needs to run.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type RunningAgent, runAgent } from '../../agent/run.js';
import { AvroRecordEncoder } from '../../agent/sinks/kafka/avro-encoder.js';
import { singleObjectWriters } from '../../agent/sinks/kafka/wire-writers.js';
import { LocalLogSink } from '../../agent/sinks/local-log/local-log-sink.js';
import { type RunningCollector, runCollector } from '../../collector/run.js';
import { collectorTopics } from '../../collector/sources/kafka/topics.js';
import { DeadLetterFile } from '../../collector/sources/local-log/dead-letter-file.js';
import { LocalLogSource } from '../../collector/sources/local-log/local-log-source.js';
import type { CorralConfig } from '../config/schema.js';
import { LocalLog } from '../local-log/local-log.js';
import { RateLimitedLog } from '../log/rate-limited.js';
import { collectedCounter } from '../metrics/collected.js';
import { registerSpoolMetrics } from '../spool/metrics.js';

export interface RunningStart {
  readonly agent: RunningAgent;
  readonly collector: RunningCollector;
  /** Where the in-process log keeps its spools and the dead letters. */
  readonly logDir: string;
  /** The agent stops first (its last flush goes into the log), then the collector stores the log. */
  stop(): Promise<void>;
}

/** The in-process log's directory: the agent's spool directory, since it plays the spool's part. */
export function localLogDir(config: CorralConfig): string {
  return join(config.kafka.spoolDir, 'local');
}

export async function runStart(
  config: CorralConfig,
  logger: Logger,
  onFatal: (error: Error) => void,
): Promise<RunningStart> {
  const k = config.kafka;
  const topics = collectorTopics(k.topicPrefix, config.collector.deadLetterTopic);
  const logDir = localLogDir(config);
  const log = await LocalLog.open(
    {
      dir: logDir,
      maxBytes: k.spoolMaxBytes,
      fsync: k.spoolFsync,
      logger,
      log: new RateLimitedLog(logger),
    },
    [topics.metrics, topics.events, topics.metadata],
  );
  let collector: RunningCollector | undefined;
  try {
    const deadLetters = new DeadLetterFile(join(logDir, 'deadletters.jsonl'));
    collector = await runCollector(config, logger, {
      onFatal,
      transport: {
        source: (handler, sourceLogger) =>
          new LocalLogSource({ log, handler, logger: sourceLogger, onFatal }),
        deadLetters,
        deadLetterDestination: deadLetters.path,
      },
    });
    const host = hostname();
    const agent = await runAgent(config, logger, {
      sink: (registry, rateLimited) => {
        registerSpoolMetrics(registry, () => log.stats());
        const encoder = new AvroRecordEncoder(
          { topicPrefix: k.topicPrefix, agentId: host, hostname: host },
          singleObjectWriters(),
        );
        const sink = new LocalLogSink(log, encoder, rateLimited);
        collectedCounter(
          registry,
          'corral_local_log_encode_errors_total',
          'Batches that could not be encoded for the in-process log (dropped).',
          () => sink.encodeErrors,
        );
        return sink;
      },
    });
    const running = collector;
    return {
      agent,
      collector: running,
      logDir,
      async stop() {
        await agent.stop();
        await running.stop();
        await log.close();
      },
    };
  } catch (error) {
    await collector?.stop().catch(() => {});
    await log.close();
    throw error;
  }
}
