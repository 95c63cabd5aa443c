import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { TimedAggregator } from '../../pipelines/statsd-engine.js';
import type { ContainerPorts } from './container-ports/container-ports.js';
import { REJECT_REASON_NAMES } from './reject-reason.js';
import type { StatsdStats } from './stats.js';

/** Kernel drops by port kind; null where the receiver cannot tell (node:dgram) or there is no such port. */
export interface KernelDrops {
  /** The shared StatsD port. */
  shared: number | null;
  /** The per-container ports together. */
  container: number | null;
}

/**
 * Self-metrics of the StatsD source and its aggregation. The hot path bumps plain numbers;
 * these read them when scraped, so counting costs nothing per line.
 */
export function registerStatsdMetrics(
  registry: Registry,
  stats: StatsdStats,
  aggregator: TimedAggregator,
  kernelDrops: () => KernelDrops,
): void {
  const read = (metric: Counter | Gauge, value: number) => {
    metric.reset();
    metric.inc(value);
  };
  new Counter({
    name: 'corral_statsd_packets_received_total',
    help: 'StatsD UDP datagrams received.',
    registers: [registry],
    collect() {
      read(this, stats.packets);
    },
  });
  new Counter({
    name: 'corral_statsd_bytes_received_total',
    help: 'StatsD bytes received over UDP.',
    registers: [registry],
    collect() {
      read(this, stats.bytes);
    },
  });
  new Counter({
    name: 'corral_statsd_lines_received_total',
    help: 'StatsD lines received over UDP and TCP, rejected ones included.',
    registers: [registry],
    collect() {
      read(this, stats.lines);
    },
  });
  new Counter({
    name: 'corral_statsd_lines_rejected_total',
    help: 'StatsD lines (or whole packets) rejected, by reason.',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (let code = 1; code < REJECT_REASON_NAMES.length; code++) {
        this.inc({ reason: REJECT_REASON_NAMES[code]! }, stats.rejected[code]!);
      }
    },
  });
  new Counter({
    name: 'corral_statsd_lines_dropped_total',
    help: 'StatsD lines dropped because a new series would pass a cardinality cap, by reason.',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(aggregator.dropped)) this.inc({ reason }, n);
    },
  });
  new Counter({
    name: 'corral_statsd_lines_unattributed_total',
    help: 'StatsD lines aggregated without a container although attribution by sender address was on: no port, c: field or container_id tag, and an address no container has.',
    registers: [registry],
    collect() {
      read(this, aggregator.unattributed);
    },
  });
  new Gauge({
    name: 'corral_statsd_live_series',
    help: 'StatsD series currently aggregated.',
    registers: [registry],
    collect() {
      this.set(aggregator.liveSeries);
    },
  });
  const flushDuration = new Histogram({
    name: 'corral_statsd_flush_duration_seconds',
    help: 'Wall time of a StatsD flush in seconds: every live series turned into datapoints, idle ones expired.',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  let flushed = 0;
  aggregator.onFlushed = (seconds, datapoints) => {
    flushDuration.observe(seconds);
    flushed += datapoints;
  };
  new Counter({
    name: 'corral_statsd_datapoints_flushed_total',
    help: 'Datapoints the StatsD flushes emitted.',
    registers: [registry],
    collect() {
      read(this, flushed);
    },
  });
  new Counter({
    name: 'corral_statsd_udp_kernel_drops_total',
    help: 'UDP datagrams the kernel dropped because a socket buffer was full (native receiver only), by port: shared (the shared StatsD port), container (the per-container ports together).',
    labelNames: ['port'],
    registers: [registry],
    collect() {
      this.reset();
      const { shared, container } = kernelDrops();
      this.inc({ port: 'shared' }, shared ?? 0);
      if (container !== null) this.inc({ port: 'container' }, container);
    },
  });
  new Gauge({
    name: 'corral_statsd_tcp_connections',
    help: 'Open StatsD TCP connections.',
    registers: [registry],
    collect() {
      this.set(stats.tcpConnections);
    },
  });
}

/** Self-metrics of the per-container StatsD ports, read from their plain counters when scraped. */
export function registerContainerPortMetrics(registry: Registry, ports: ContainerPorts): void {
  new Gauge({
    name: 'corral_statsd_container_ports',
    help: 'Containers with their own StatsD UDP port open now.',
    registers: [registry],
    collect() {
      this.set(ports.size);
    },
  });
  new Counter({
    name: 'corral_statsd_container_port_failures_total',
    help: 'Per-container StatsD port failures: exhausted (a container got no port: range full), port_in_use (a port held by another process, skipped), bind_error (a container got no port: other bind error), state_file (state file not read or written).',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      this.reset();
      const { stats } = ports;
      this.inc({ reason: 'exhausted' }, stats.exhausted);
      this.inc({ reason: 'port_in_use' }, stats.portInUse);
      this.inc({ reason: 'bind_error' }, stats.bindErrors);
      this.inc({ reason: 'state_file' }, stats.stateFileErrors);
    },
  });
}
