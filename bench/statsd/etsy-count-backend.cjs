/**
 * A no-op backend for Etsy's StatsD (node_modules/statsd) in the benchmark: it discards the
 * flushed metrics and only keeps StatsD's own per-interval counters, so the runner can ask
 * over IPC how many packets and lines the server has taken in. Same messages as
 * agent-server.ts (see protocol.ts).
 */
'use strict';

const PACKETS = 'statsd.packets_received';
const LINES = 'statsd.metrics_received';
const BAD_LINES = 'statsd.bad_lines_seen';

exports.init = (_startupTime, _config, events) => {
  const totals = { packets: 0, lines: 0, rejected: 0, flushes: 0 };
  let flushMsMax = 0;
  // StatsD's live counters object: read between flushes for the interval in progress.
  let live = null;

  const counts = () => ({
    packets: totals.packets + (live?.[PACKETS] ?? 0),
    lines: totals.lines + (live?.[LINES] ?? 0),
    rejected: totals.rejected + (live?.[BAD_LINES] ?? 0),
    flushes: totals.flushes,
  });

  // Registered first, so it runs before StatsD's own listener zeroes the counters.
  events.on('flush', (_timestamp, metrics) => {
    const counters = metrics.counters;
    totals.packets += counters[PACKETS] ?? 0;
    totals.lines += counters[LINES] ?? 0;
    totals.rejected += counters[BAD_LINES] ?? 0;
    totals.flushes++;
    flushMsMax = Math.max(flushMsMax, metrics.statsd_metrics?.processing_time ?? 0);
    if (live === null && process.send) process.send({ type: 'ready', port: _config.port });
    live = counters;
  });

  process.on('message', (message) => {
    if (message.type !== 'stats' && message.type !== 'stop') return;
    const cpu = process.cpuUsage();
    process.send({
      type: 'stats',
      id: message.id,
      ...counts(),
      extra: {
        flushMsMax,
        cpuSecondsSelf: (cpu.user + cpu.system) / 1e6,
        maxRssBytesSelf: process.resourceUsage().maxRSS * 1024,
      },
    });
  });
  return true;
};
