/** IPC messages between the benchmark runner and the server processes it starts. */

/** What the runner sends: a stats request (answered with Counts) or a stop. */
export type Request = { type: 'stats'; id: number } | { type: 'stop'; id: number };

/** A server's cumulative counts since it started. */
export interface Counts {
  packets: number;
  lines: number;
  /** Lines the server refused (our rejects; Etsy's bad_lines_seen). */
  rejected: number;
  flushes: number;
}

export type Reply =
  | { type: 'ready'; port: number }
  | ({ type: 'stats'; id: number } & Counts & { extra?: Record<string, number> });

export interface AgentServerConfig {
  flushIntervalMs: number;
  recvBufferSize: number;
  percentiles: number[];
  /** Which UDP receiver the agent uses (default auto: the recvmmsg addon when built). */
  udpReceiver?: 'auto' | 'native' | 'dgram';
}
