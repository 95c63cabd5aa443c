import type { Datapoint } from '../../../lib/model/datapoint.js';
import type { CounterDeltas } from '../../transforms/counter-deltas/counter-deltas.js';

/** What a scraper knows about each metric it emits: one table per source (docs/metrics.md). */
export interface FieldSpec {
  name: string;
  unit: string;
  /** gauge: the value now; cumulative: a counter the kernel keeps, sent as increase + rate. */
  kind: 'gauge' | 'cumulative';
}

/**
 * Builds the datapoints of one scrape from raw readings. Gauges go out as read; cumulative
 * counters go through CounterDeltas, so the first scrape after a counter appears emits
 * nothing for it and a reset never yields a negative rate.
 */
export class PointBuilder {
  readonly points: Datapoint[] = [];
  private readonly fields: ReadonlyMap<string, FieldSpec>;

  constructor(
    fields: readonly FieldSpec[],
    private readonly deltas: CounterDeltas,
    private readonly timeMs: number,
    /** Monotonic time of the reading, for rates. */
    private readonly atMs: number,
    private readonly baseTags: Readonly<Record<string, string>>,
    private readonly containerId?: string,
  ) {
    this.fields = new Map(fields.map((f) => [f.name, f]));
  }

  /** Adds one metric; undefined values (a file that could not be read) are skipped. */
  add(name: string, value: number | undefined, tags: Record<string, string> = {}): void {
    if (value === undefined || !Number.isFinite(value)) return;
    const field = this.fields.get(name);
    if (field === undefined) throw new Error(`no field spec for ${name}`);
    const allTags = { ...this.baseTags, ...tags };
    const point: Datapoint = {
      name,
      kind: 'gauge',
      value,
      unit: field.unit,
      timeMs: this.timeMs,
      tags: allTags,
    };
    if (this.containerId !== undefined) point.containerId = this.containerId;
    if (field.kind === 'cumulative') {
      const key = `${this.containerId ?? ''}\u0000${name}\u0000${JSON.stringify(tags)}`;
      const increase = this.deltas.observe(key, value, this.atMs);
      if (increase === undefined) return;
      point.kind = 'counter';
      point.value = increase.increase;
      point.rate = increase.rate;
    }
    this.points.push(point);
  }
}
