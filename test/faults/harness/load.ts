/**
 * The fault suite's steady load: StatsD counters over real UDP (hot-shots), every line an
 * increment of 1, so a series' stored sum is the number of its lines stored.
 */
import { StatsD } from 'hot-shots';

/** A series of the load: one counter name in one container. */
export interface LoadSeries {
  name: string;
  container: string;
}

export interface SteadyLoadOptions {
  /** The `scenario` tag on every line, which the reconciliation selects by. */
  scenario: string;
  /** Distinct counters (default 8), spread over `containers` containers (default 4). */
  series?: number;
  containers?: number;
  /** Lines per tick (default 2) and the tick (default 10 ms): 200 lines/s. */
  linesPerTick?: number;
  tickMs?: number;
}

/**
 * Counters `faults.load.s<i>` in containers `ctr-<i % containers>` (the `container_id` tag,
 * so the agent keys their batches by container and they spread over the topic's partitions),
 * tagged `scenario:<name>`, sent round robin at a steady rate to whichever agent port it is
 * pointed at. Counts every line it hands to the socket, per series.
 */
export class SteadyLoad {
  readonly scenario: string;
  readonly series: readonly LoadSeries[];
  /** Lines sent so far, per series key (`name|container`). */
  readonly sentBySeries = new Map<string, number>();
  /** Lines sent so far. */
  sent = 0;
  /** Send errors (a closed socket); a non-zero count fails the reconciliation. */
  errors = 0;
  private client: StatsD | undefined;
  private timer: NodeJS.Timeout | undefined;
  private next = 0;
  private readonly linesPerTick: number;
  private readonly tickMs: number;

  constructor(options: SteadyLoadOptions) {
    this.scenario = options.scenario;
    const containers = options.containers ?? 4;
    this.series = Array.from({ length: options.series ?? 8 }, (_, i) => ({
      name: `faults.load.s${i}`,
      container: `ctr-${i % containers}`,
    }));
    this.linesPerTick = options.linesPerTick ?? 2;
    this.tickMs = options.tickMs ?? 10;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Starts (or resumes) sending to the agent's UDP `port`. */
  start(port: number): void {
    if (this.timer) throw new Error('SteadyLoad: already running');
    const client = new StatsD({
      host: '127.0.0.1',
      port,
      errorHandler: () => {
        this.errors++;
      },
    });
    this.client = client;
    this.timer = setInterval(() => {
      for (let i = 0; i < this.linesPerTick; i++) {
        const series = this.series[this.next++ % this.series.length]!;
        client.increment(series.name, 1, { scenario: this.scenario, container_id: series.container });
        const key = seriesKey(series.name, series.container);
        this.sentBySeries.set(key, (this.sentBySeries.get(key) ?? 0) + 1);
        this.sent++;
      }
    }, this.tickMs);
  }

  /** Stops sending; resolves once the socket is closed (every line handed to it is out). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    const client = this.client;
    this.client = undefined;
    if (client) await new Promise<void>((resolve) => client.close(() => resolve()));
  }
}

export function seriesKey(name: string, container: string): string {
  return `${name}|${container}`;
}
