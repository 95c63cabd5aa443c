import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { CorralConfig } from '../lib/config/schema.js';
import { readBearerToken } from '../lib/http/bearer-token.js';
import { RateLimitedLog } from '../lib/log/rate-limited.js';
import type { Datapoint, DatapointSink } from '../lib/model/datapoint.js';
import { sinkNotReady } from './http/readiness.js';
import { startAgentHttp } from './http/server.js';
import { type RunningMetadata, startMetadata } from './metadata/start-metadata.js';
import { AlignedTicker } from './pipelines/aligned-ticker.js';
import { type Scraper, startScrapeLoop } from './pipelines/scrape-loop.js';
import { registerScrapeMetrics } from './pipelines/scrape-metrics.js';
import { StatsdEngine } from './pipelines/statsd-engine.js';
import { startKafkaSink } from './sinks/kafka/start-kafka-sink.js';
import { LatestStore } from './sinks/latest/latest-store.js';
import { NullSink } from './sinks/null/null-sink.js';
import { StdoutSink } from './sinks/stdout/stdout-sink.js';
import type { ContainerChange } from './sources/cgroup/container-set.js';
import { CgroupScraper } from './sources/cgroup/scraper.js';
import { NodeScraper } from './sources/node/scraper.js';
import { SelfScraper } from './sources/self/scraper.js';
import { openFileLimit } from './sources/shared/kept-files.js';
import { ContainerPorts } from './sources/statsd/container-ports/container-ports.js';
import { registerContainerPortMetrics, registerStatsdMetrics } from './sources/statsd/metrics.js';
import { rejectLogger, StatsdSource } from './sources/statsd/source.js';
import { attachDimensions } from './transforms/dimensions/attach-dimensions.js';

export interface RunningAgent {
  readonly registry: Registry;
  readonly statsd: StatsdSource | null;
  /** Where the agent HTTP API listens, or null when it is off. */
  readonly httpAddress: AddressInfo | null;
  /** Flushes what is aggregated to the sink and closes listeners. */
  stop(): Promise<void>;
}

async function createSink(
  config: CorralConfig,
  registry: Registry,
  logger: Logger,
  log: RateLimitedLog,
): Promise<DatapointSink> {
  switch (config.agent.sink) {
    case 'stdout':
      return new StdoutSink();
    case 'kafka':
      return startKafkaSink(config, registry, logger, log);
    case 'null':
      return new NullSink();
  }
}

/** StatsD listeners (shared and per-container) -> aggregation -> flushes on wall-clock boundaries. */
async function startStatsd(
  config: CorralConfig,
  registry: Registry,
  emit: (batch: Datapoint[]) => void,
  logger: Logger,
  log: RateLimitedLog,
  metadata: RunningMetadata,
) {
  const s = config.statsd;
  const engine = new StatsdEngine(
    {
      maxPacketSize: s.maxPacketSize,
      maxLineLength: s.maxLineLength,
      percentiles: s.percentiles,
      timerSampleCap: s.timerSampleCap,
      setExactCap: s.setExactCap,
      idleTtlMs: s.idleTtl,
      flushIntervalMs: s.flushInterval,
      maxSeries: s.maxSeries,
      maxSeriesPerContainer: s.maxSeriesPerContainer,
    },
    rejectLogger(log),
  );
  const aggregator = engine.aggregator;
  aggregator.onDrop = (reason, name, containerId) =>
    log.warn(reason, { reason, name, containerId }, 'dropped StatsD line: series cap reached');
  // Sender addresses name containers only when a provider reports container IPs.
  const byAddress = s.attributeByAddress === 'on' && metadata.service.provider !== 'none';
  const attribution = byAddress
    ? {
        containerForAddress: (ip: string) => metadata.registry.containerForAddress(ip),
        addressGeneration: () => metadata.registry.generation,
      }
    : {};
  const source = new StatsdSource({ ...s, ...attribution }, engine, logger, log);
  const ports =
    s.containerPorts === null
      ? null
      : new ContainerPorts({
          host: s.containerPortsHost,
          ports: s.containerPorts,
          stateFile: join(config.agent.stateDir, 'statsd-ports.json'),
          receiver: s.udpReceiver,
          maxPacketSize: s.maxPacketSize,
          recvBufferSize: s.containerPortsRecvBufferSize,
          consumer: engine,
          log,
          logger,
        });
  registerStatsdMetrics(registry, engine.stats, aggregator, () => ({
    shared: source.kernelDrops,
    container: ports?.kernelDrops() ?? null,
  }));
  if (ports !== null) {
    registerContainerPortMetrics(registry, ports);
    await ports.start();
    // The containers a successful refresh lists: a failed one must not close every port.
    metadata.onRefresh((ids) => {
      ports
        .sync(ids)
        .catch((error: unknown) =>
          log.error('statsd_ports_failed', { err: error }, 'per-container ports failed'),
        );
    });
  }
  // Flushes run in slices (the sockets are read in between) and emit in order, one at a time.
  let flushed: Promise<void> = Promise.resolve();
  const flushAndEmit = (boundary: number, length: number) => {
    flushed = flushed
      .then(() => aggregator.flushInSlices(boundary, length))
      .then(emit, (error: unknown) =>
        log.error('statsd_flush_failed', { err: error }, 'StatsD flush failed'),
      );
    return flushed;
  };
  const ticker = new AlignedTicker(s.flushInterval, (boundary, length) => {
    void flushAndEmit(boundary, length);
  });
  await source.start();
  ticker.start();
  return {
    source,
    ports,
    async stop() {
      ticker.stop();
      await source.stop();
      await ports?.close();
      // The interval in progress is flushed short: stamped now, rates over the time elapsed.
      const now = Date.now();
      await flushAndEmit(now, Math.max(1, now - ticker.intervalStart));
    },
  };
}

/** The scraped sources the configuration asks for. */
function createScrapers(
  config: CorralConfig,
  registry: Registry,
  log: RateLimitedLog,
  onContainers: (change: ContainerChange) => void,
): { scraper: Scraper; intervalMs: number }[] {
  const scrapers: { scraper: Scraper; intervalMs: number }[] = [];
  if (config.agent.sources.includes('cgroup')) {
    const { root, interval, systemdServices, patterns, openFiles, rescan } = config.cgroup;
    const options = {
      root,
      systemdServices,
      patterns,
      rescan,
      onContainers,
      procRoot: config.node.procRoot,
      // Leave the other half of the descriptors to sockets and everything else.
      openFiles: Math.min(openFiles, Math.floor(openFileLimit() / 2)),
    };
    scrapers.push({
      scraper: new CgroupScraper(options, log),
      intervalMs: interval,
    });
  }
  if (config.agent.sources.includes('node')) {
    scrapers.push({ scraper: new NodeScraper(config.node.procRoot, log), intervalMs: config.node.interval });
  }
  // The agent's own metrics are node-level data: read on the node source's interval.
  if (config.agent.sources.includes('self')) {
    scrapers.push({ scraper: new SelfScraper(registry), intervalMs: config.node.interval });
  }
  return scrapers;
}

/** The per-container endpoints for the HTTP API, or undefined when they are off. */
function endpointsOf(ports: ContainerPorts | null) {
  return ports === null ? undefined : () => ports.endpoints();
}

export interface RunAgentOptions {
  /** The sink to write to instead of agent.sink's (`corral start`'s in-process log). */
  sink?: (registry: Registry, log: RateLimitedLog) => DatapointSink;
}

/** Starts the agent's sources, transforms and sinks as configured. */
export async function runAgent(
  config: CorralConfig,
  logger: Logger,
  options: RunAgentOptions = {},
): Promise<RunningAgent> {
  // Read before anything starts: a bad token file stops the agent before it binds a port.
  const httpToken =
    config.agent.http === null
      ? undefined
      : readBearerToken('agent.httpTokenFile', config.agent.httpTokenFile);
  const registry = new Registry();
  // One rate limiter for the whole agent: a flood of one reason is summarized once.
  const log = new RateLimitedLog(logger);
  const sink = options.sink?.(registry, log) ?? (await createSink(config, registry, logger, log));
  // Sinks buffer or spool what they cannot deliver; a write that still fails is logged, not fatal.
  const deliver = (write: void | Promise<void>) =>
    Promise.resolve(write).catch((error: unknown) =>
      log.error('sink_write_failed', { err: error }, 'sink write failed'),
    );
  let metadata: RunningMetadata | undefined;
  // The latest interval of each source, for the node metrics API (agent/sinks/latest/).
  const latest = new LatestStore({ directory: () => metadata?.registry, appTtlMs: config.statsd.idleTtl });
  const emit = (batch: Datapoint[]) => {
    if (batch.length === 0) return;
    if (metadata !== undefined) attachDimensions(batch, metadata.registry);
    deliver(sink.write(batch));
  };
  const scrapers = createScrapers(config, registry, log, (change) =>
    metadata?.containersChanged(change.added),
  );
  const cgroup = scrapers.map((s) => s.scraper).find((s) => s instanceof CgroupScraper);
  metadata = await startMetadata(config, {
    logger,
    log,
    metrics: registry,
    containers: () => cgroup?.containerSet.list ?? [],
    onEvents: (events) => deliver(sink.writeEvents?.(events)),
    onMetadata: (updates) => deliver(sink.writeMetadata?.(updates)),
  });
  const statsd = config.agent.sources.includes('statsd')
    ? await startStatsd(config, registry, latest.tee('statsd', emit), logger, log, metadata)
    : null;
  const scrapes = scrapers.map(({ scraper, intervalMs }) => {
    logger.info({ source: scraper.name, intervalMs }, 'scraping');
    return { scraper, loop: startScrapeLoop(intervalMs, scraper, latest.tee(scraper.name, emit), log) };
  });
  registerScrapeMetrics(registry, scrapes);
  const http =
    config.agent.http === null
      ? null
      : await startAgentHttp({
          address: config.agent.http,
          token: httpToken,
          registry,
          logger,
          statsdEndpoints: endpointsOf(statsd?.ports ?? null),
          latest,
          notReady: sinkNotReady(sink, config.kafka),
        });
  if (http !== null) logger.info({ address: http.server.address() }, 'agent HTTP API listening');
  const running = metadata;
  return {
    registry,
    statsd: statsd?.source ?? null,
    httpAddress: http === null ? null : (http.server.address() as AddressInfo),
    async stop() {
      await http?.close();
      await Promise.all([statsd?.stop(), ...scrapes.map((s) => s.loop.stop()), running.service.stop()]);
      for (const { scraper } of scrapes) scraper.close?.();
      await sink.close();
    },
  };
}
