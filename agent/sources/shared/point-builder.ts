import type { Datapoint } from '../../../lib/model/datapoint.js';
import type { CounterDeltas } from '../../transforms/counter-deltas/counter-deltas.js';

const NO_TAGS: Readonly<Record<string, string>> = Object.freeze({});

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
/** Fields by name, built once per source (a builder is made per container and scrape). */
export function fieldMap(fields: readonly FieldSpec[]): ReadonlyMap<string, FieldSpec> {
  return new Map(fields.map((f) => [f.name, f]));
}

export class PointBuilder {
  readonly points: Datapoint[] = [];

  constructor(
    private readonly fields: ReadonlyMap<string, FieldSpec>,
    private readonly deltas: CounterDeltas,
    private readonly timeMs: number,
    /** Monotonic time of the reading, for rates. */
    private readonly atMs: number,
    private readonly baseTags: Readonly<Record<string, string>>,
    private readonly containerId?: string,
  ) {}

  /** Adds one metric; undefined values (a file that could not be read) are skipped. */
  add(name: string, value: number | undefined, tags: Readonly<Record<string, string>> = NO_TAGS): void {
    if (value === undefined || !Number.isFinite(value)) return;
    const field = this.fields.get(name);
    if (field === undefined) throw new Error(`no field spec for ${name}`);
    // Points without tags of their own share the base tags object: tags are read-only downstream.
    const allTags = tags === NO_TAGS ? this.baseTags : { ...this.baseTags, ...tags };
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
      // The deltas are per source or per container, so the metric name (an interned constant)
      // is the whole key for a metric without tags of its own.
      let key = name;
      for (const k in tags) key += `\u0000${tags[k]}`;
      const increase = this.deltas.observe(key, value, this.atMs);
      if (increase === undefined) return;
      point.kind = 'counter';
      point.value = increase.increase;
      point.rate = increase.rate;
    }
    this.points.push(point);
  }
}
