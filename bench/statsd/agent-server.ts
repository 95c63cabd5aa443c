/**
 * Our StatsD server for the benchmark, as a child process of run.ts: the real StatsdSource
 * (UDP, with the receiver the config names) feeding a StatsdEngine, flushed every interval to
 * nowhere. Answers stats requests over IPC. Argument: an AgentServerConfig as JSON.
 */
import { StatsdEngine } from '../../agent/pipelines/statsd-engine.js';
import { StatsdSource } from '../../agent/sources/statsd/source.js';
import { createLogger } from '../../lib/log/logger.js';
import { RateLimitedLog } from '../../lib/log/rate-limited.js';
import type { AgentServerConfig, Reply, Request } from './protocol.js';

const config = JSON.parse(process.argv[2] ?? '{}') as AgentServerConfig;
const logger = createLogger({ level: 'warn', format: 'json' });
const engine = new StatsdEngine({
  maxPacketSize: 65_535,
  maxLineLength: 16_384,
  percentiles: config.percentiles,
  timerSampleCap: 4096,
  setExactCap: 4096,
  idleTtlMs: 300_000,
  flushIntervalMs: config.flushIntervalMs,
  maxSeries: 10_000_000,
  maxSeriesPerContainer: 10_000_000,
});
const source = new StatsdSource(
  {
    udp: { host: '127.0.0.1', port: 0 },
    tcp: null,
    maxPacketSize: 65_535,
    maxLineLength: 16_384,
    recvBufferSize: config.recvBufferSize,
    tcpMaxConnections: 1,
    udpReceiver: config.udpReceiver ?? 'auto',
  },
  engine,
  logger,
  new RateLimitedLog(logger),
);

let flushes = 0;
let datapoints = 0;
let flushMsMax = 0;
const flushTimer = setInterval(() => {
  const started = performance.now();
  datapoints += engine.flush(Date.now(), config.flushIntervalMs).length;
  flushMsMax = Math.max(flushMsMax, performance.now() - started);
  flushes++;
}, config.flushIntervalMs);

function send(reply: Reply): void {
  process.send?.(reply);
}

/** Kept after stop: the source forgets its listener, and with it the drop count. */
let kernelDropsAtStop: number | null = null;

function stats(id: number): Reply {
  const cpu = process.cpuUsage();
  const kernelDrops = kernelDropsAtStop ?? source.kernelDrops;
  return {
    type: 'stats',
    id,
    packets: engine.stats.packets,
    lines: engine.stats.lines,
    rejected: engine.stats.rejectedTotal,
    flushes,
    extra: {
      datapoints,
      liveSeries: engine.aggregator.liveSeries,
      flushMsMax: Math.round(flushMsMax * 10) / 10,
      cpuSecondsSelf: (cpu.user + cpu.system) / 1e6,
      maxRssBytesSelf: process.resourceUsage().maxRSS * 1024,
      nativeReceiver: source.udpReceiver === 'native' ? 1 : 0,
      // Datagrams the kernel dropped at this socket (SO_RXQ_OVFL; native receiver only).
      ...(kernelDrops === null ? {} : { kernelDrops }),
    },
  };
}

process.on('message', (message: Request) => {
  if (message.type === 'stats') send(stats(message.id));
  else if (message.type === 'stop') {
    clearInterval(flushTimer);
    kernelDropsAtStop = source.kernelDrops;
    void source.stop().then(() => {
      send(stats(message.id));
      process.disconnect?.();
    });
  }
});

await source.start();
send({ type: 'ready', port: source.udpAddress!.port });
