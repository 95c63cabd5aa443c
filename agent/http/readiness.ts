import type { DatapointSink } from '../../lib/model/datapoint.js';
import { KafkaSink, kafkaBrokerProbe } from '../sinks/kafka/kafka-sink.js';

/**
 * The agent's readiness, for /readyz: the reasons it cannot deliver what it collects, none
 * when it can. A Kafka sink is not ready while its last send failed or, before its first
 * send, while no broker accepts a connection (probed within 1 s, the answer kept 5 s); the
 * stdout and null sinks always are.
 */
export function sinkNotReady(
  sink: DatapointSink,
  kafka: { readonly brokers: readonly string[] },
): () => Promise<string[]> {
  if (!(sink instanceof KafkaSink)) return async () => [];
  const probe = kafkaBrokerProbe(kafka.brokers, { timeoutMs: 1_000, cacheMs: 5_000 });
  return async () => {
    const reason = await sink.notReady(probe);
    return reason === undefined ? [] : [`sink: ${reason}`];
  };
}
