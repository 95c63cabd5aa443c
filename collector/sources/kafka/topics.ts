/** The topics the collector reads, and the one it writes poison messages to. */

/** What each consumed topic carries. */
export type TopicKind = 'metrics' | 'events' | 'metadata';

export interface CollectorTopics {
  metrics: string;
  events: string;
  metadata: string;
  deadLetter: string;
}

/** `<prefix>metrics|events|metadata`, and the dead-letter topic (`<prefix>deadletter` unless set). */
export function collectorTopics(topicPrefix: string, deadLetterTopic: string): CollectorTopics {
  return {
    metrics: `${topicPrefix}metrics`,
    events: `${topicPrefix}events`,
    metadata: `${topicPrefix}metadata`,
    deadLetter: deadLetterTopic === '' ? `${topicPrefix}deadletter` : deadLetterTopic,
  };
}

/** The consumed topic's kind, or undefined for a topic the collector does not read. */
export function topicKind(topics: CollectorTopics, topic: string): TopicKind | undefined {
  if (topic === topics.metrics) return 'metrics';
  if (topic === topics.events) return 'events';
  if (topic === topics.metadata) return 'metadata';
  return undefined;
}
