/**
 * Memory per idle series, in its own process (run with --expose-gc): N distinct counter
 * series fed through StatsdEngine.ingestPacket in 20-line packets, flushed once so they are
 * idle but not expired, then measured after a full GC against the empty engine.
 * Arguments: plain|tagged, N. Prints a MemoryResult as JSON.
 */
import { StatsdEngine } from '../../agent/pipelines/statsd-engine.js';

const mix = process.argv[2] === 'tagged' ? 'tagged' : 'plain';
const series = Number(process.argv[3] ?? 1_000_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

function settle() {
  for (let i = 0; i < 3; i++) gc!();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, external: usage.external, rss: usage.rss };
}

/** plain: app.svc42.requests.metric123456:1|c; tagged: one name, a distinct id tag. */
function line(i: number): string {
  return mix === 'plain'
    ? `app.svc${i % 100}.requests.metric${i}:1|c`
    : `app.svc${i % 100}.requests.count:1|c|#env:prod,id:${i}`;
}

const flushIntervalMs = 10_000;
const engine = new StatsdEngine({
  maxPacketSize: 65_535,
  maxLineLength: 16_384,
  percentiles: [50, 90, 95, 99],
  timerSampleCap: 4096,
  setExactCap: 4096,
  idleTtlMs: 3_600_000,
  flushIntervalMs,
  maxSeries: series * 2,
  maxSeriesPerContainer: series * 2,
});
const before = settle();

const ingestStart = performance.now();
for (let i = 0; i < series; i += 20) {
  let text = '';
  for (let j = i; j < Math.min(series, i + 20); j++) text += `${line(j)}\n`;
  engine.ingestPacket(Buffer.from(text, 'latin1'));
}
const ingestSeconds = (performance.now() - ingestStart) / 1000;
const flushStart = performance.now();
engine.flush(Date.now(), flushIntervalMs);
const flushSeconds = (performance.now() - flushStart) / 1000;
const after = settle();

const retained = after.heap + after.external - (before.heap + before.external);
process.stdout.write(
  `${JSON.stringify({
    mix,
    series,
    liveSeries: engine.aggregator.liveSeries,
    bytesPerIdleSeries: Math.round(retained / series),
    rssBytesPerIdleSeries: Math.round((after.rss - before.rss) / series),
    heapUsedBytes: after.heap - before.heap,
    externalBytes: after.external - before.external,
    rssBytes: after.rss - before.rss,
    ingestSeconds: Math.round(ingestSeconds * 1000) / 1000,
    flushSeconds: Math.round(flushSeconds * 1000) / 1000,
  })}\n`,
);
