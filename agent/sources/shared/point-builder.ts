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

/** Fields by name, built once per source (a builder is made per container and scrape). */
export function fieldMap(fields: readonly FieldSpec[]): ReadonlyMap<string, FieldSpec> {
  return new Map(fields.map((f) => [f.name, f]));
}

/**
 * The tags of one device or interface of a container, merged with the container's tags once
 * and kept between scrapes, with the series key its counters are tracked under.
 */
export interface SeriesTags {
  tags: Readonly<Record<string, string>>;
  series: string;
}

/** Merges own tags (device, interface) into base tags; the series key is their values. */
export function seriesTags(
  base: Readonly<Record<string, string>>,
  own: Readonly<Record<string, string>>,
): SeriesTags {
  let series = '';
  for (const k in own) series += `\u0000${own[k]}`;
  return { tags: { ...base, ...own }, series };
}

/**
 * Builds the datapoints of one scrape from raw readings. Gauges go out as read; cumulative
 * counters go through CounterDeltas, so the first scrape after a counter appears emits
 * nothing for it and a reset never yields a negative rate.
 */
export class PointBuilder {
  readonly points: Datapoint[] = [];
  private readonly base: SeriesTags;

  constructor(
    private readonly fields: ReadonlyMap<string, FieldSpec>,
    private readonly deltas: CounterDeltas,
    private readonly timeMs: number,
    /** Monotonic time of the reading, for rates. */
    private readonly atMs: number,
    baseTags: Readonly<Record<string, string>>,
    private readonly containerId?: string,
  ) {
    this.base = { tags: baseTags, series: '' };
  }

  /** Adds one metric; undefined values (a file that could not be read) are skipped. */
  add(name: string, value: number | undefined, tags: Readonly<Record<string, string>> = NO_TAGS): void {
    if (value === undefined) return;
    this.addSeries(name, value, tags === NO_TAGS ? this.base : seriesTags(this.base.tags, tags));
  }

  /** Adds one metric of a device or interface whose merged tags the caller keeps. */
  addSeries(name: string, value: number | undefined, series: SeriesTags): void {
    if (value === undefined || !Number.isFinite(value)) return;
    const field = this.fields.get(name);
    if (field === undefined) throw new Error(`no field spec for ${name}`);
    const cumulative = field.kind === 'cumulative';
    if (cumulative && !this.deltas.observe(name, series.series, value, this.atMs)) return;
    // Every field in one literal, so all datapoints share one hidden class downstream.
    this.points.push({
      name,
      kind: cumulative ? 'counter' : 'gauge',
      value: cumulative ? this.deltas.increase : value,
      unit: field.unit,
      timeMs: this.timeMs,
      // Shared between the points of a series: tags are read-only downstream.
      tags: series.tags,
      containerId: this.containerId,
      rate: cumulative ? this.deltas.rate : undefined,
    });
  }
}
