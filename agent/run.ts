import type { Logger } from 'pino';
import type { CorralConfig } from '../lib/config/schema.js';

export interface RunningAgent {
  /** Flushes what is aggregated to the sink and closes listeners. */
  stop(): Promise<void>;
}

/** Starts the agent's sources, transforms and sinks as configured. */
export async function runAgent(config: CorralConfig, logger: Logger): Promise<RunningAgent> {
  void config;
  void logger;
  throw new Error('not implemented yet');
}
