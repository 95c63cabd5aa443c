import type { Datapoint } from '../../../lib/model/datapoint.js';
import { resolveIdentity, type SeriesIdentity } from '../../sources/statsd/identity.js';
import type { KindCode, StatsdLine } from '../../sources/statsd/line-parser.js';
import { hashRawKey, KeyHasher } from '../../sources/statsd/raw-hash.js';
import { Reject, type RejectCode } from '../../sources/statsd/reject-reason.js';
import {
  CounterSeries,
  type FlushContext,
  GaugeSeries,
  type Series,
  type SeriesLimits,
  SeriesState,
  SetSeries,
  TimerSeries,
} from './series.js';
import { SeriesTable } from './series-table.js';

export interface AggregatorOptions {
  percentiles: readonly number[];
  timerSampleCap: number;
  setExactCap: number;
  /** Series idle for this long are freed; gauges are reported until then. */
  idleTtlMs: number;
  flushIntervalMs: number;
  maxSeries: number;
  maxSeriesPerContainer: number;
  sketchRelativeAccuracy?: number;
}

export type DropReason = 'cardinality_total' | 'cardinality_container';

type SeriesClass = new (name: string, tagsKey: string, containerId: string) => Series;
const SERIES_CLASSES: readonly SeriesClass[] = [CounterSeries, GaugeSeries, TimerSeries, SetSeries];

/** The series of one container (or of no container), by raw key. */
class Scope {
  readonly table = new SeriesTable<Series>();
  liveSeries = 0;
  constructor(readonly containerId: string) {}
}

interface TimestampedSeries {
  series: Series;
  scope: Scope;
  timeMs: number;
}

/** The canonical raw key of an identity: what a line would hash to if sent canonically. */
function canonicalKey(identity: SeriesIdentity, kind: KindCode): string {
  const key = `${identity.name}|${identity.tagsKey}|${kind}`;
  // Raw keys hold one char per byte; non-ASCII tags must be spelled as their UTF-8 bytes.
  return Buffer.byteLength(key) === key.length ? key : Buffer.from(key, 'utf8').toString('latin1');
}

/**
 * StatsD aggregation: folds parsed lines into per-series state and emits one datapoint per
 * series per flush. A repeated line finds its series with one probe of a hash table keyed by
 * its raw bytes; raw text that is not canonical (unsorted tags, characters to sanitize,
 * Influx tags) is resolved once and cached as an alias of the canonical series.
 */
export class StatsdAggregator {
  private readonly root = new Scope('');
  private readonly scopes = new Map<string, Scope>();
  /** The container of the last line with a container field, to skip decoding its id again. */
  private lastContainerKey = '';
  private lastContainerScope: Scope = this.root;
  private timestamped = new Map<string, TimestampedSeries>();
  private readonly limits: SeriesLimits;
  private readonly ttlGenerations: number;
  private readonly percentileKeys: string[];
  /** Interval number; a series' lastSeen is the generation of its last sample. */
  private generation = 0;
  private aliases = 0;
  private readonly hasher = new KeyHasher();

  liveSeries = 0;
  readonly dropped: Record<DropReason, number> = { cardinality_total: 0, cardinality_container: 0 };
  /** Called for each line dropped by a cardinality cap (rate-limit any logging in it). */
  onDrop: ((reason: DropReason, name: string, containerId: string) => void) | undefined;

  constructor(private readonly options: AggregatorOptions) {
    this.limits = {
      timerSampleCap: options.timerSampleCap,
      setExactCap: options.setExactCap,
      sketchRelativeAccuracy: options.sketchRelativeAccuracy ?? 0.01,
    };
    this.ttlGenerations = Math.max(1, Math.ceil(options.idleTtlMs / options.flushIntervalMs));
    this.percentileKeys = options.percentiles.map((p) => String(p));
  }

  /**
   * Adds one parsed line. contextContainer is the container the line arrived for (a
   * per-container port), overridden by the line's own container field.
   */
  ingest(line: StatsdLine, contextContainer: string): RejectCode {
    let scope = this.root;
    if (line.hasContainer) scope = this.lineScope(line);
    else if (contextContainer !== '') scope = this.scopeOf(contextContainer);
    if (line.timestampSec >= 0) return this.ingestTimestamped(scope, line);
    if (line.splitTags) return this.ingestUncached(scope, line);

    let series = scope.table.get(line.keyHash1, line.keyHash2);
    if (series === undefined || series.state === SeriesState.Dead) {
      const resolved = this.resolve(scope, line);
      if (typeof resolved === 'number') return resolved;
      if (resolved === null) return Reject.None;
      series = resolved;
    }
    series.lastSeen = this.generation;
    series.add(line, this.limits);
    return Reject.None;
  }

  private lineScope(line: StatsdLine): Scope {
    const key = this.lastContainerKey;
    const b = line.bytes;
    let same = key.length === line.containerEnd - line.containerStart;
    for (let i = 0; same && i < key.length; i++) same = key.charCodeAt(i) === b[line.containerStart + i];
    if (!same) {
      this.lastContainerKey = b.toString('latin1', line.containerStart, line.containerEnd);
      this.lastContainerScope = this.scopeOf(line.container());
    }
    return this.lastContainerScope;
  }

  private scopeOf(containerId: string): Scope {
    let scope = this.scopes.get(containerId);
    if (scope === undefined) {
      scope = new Scope(containerId);
      this.scopes.set(containerId, scope);
    }
    return scope;
  }

  /**
   * First sight of a raw key: find or create the canonical series, and remember the raw
   * key as its alias. Returns null when a cardinality cap dropped the line.
   */
  private resolve(scope: Scope, line: StatsdLine): Series | RejectCode | null {
    const identity = resolveIdentity(line.rawName(), line.hasTags ? line.rawTags() : '');
    if (typeof identity === 'number') return identity;
    const canonical = canonicalKey(identity, line.kind);
    const isCanonical = canonical === line.rawKey();
    if (isCanonical) {
      this.hasher.h1 = line.keyHash1;
      this.hasher.h2 = line.keyHash2;
    } else hashRawKey(canonical, this.hasher);
    const series = this.canonicalSeries(scope, line.kind, identity, this.hasher.h1, this.hasher.h2);
    if (series !== null && !isCanonical && this.aliases < this.options.maxSeries) {
      // Aliases are only a cache: past the budget such lines still resolve, just uncached.
      if (scope.table.get(line.keyHash1, line.keyHash2) === undefined) this.aliases++;
      scope.table.set(line.keyHash1, line.keyHash2, series, true);
    }
    return series;
  }

  private canonicalSeries(
    scope: Scope,
    kind: KindCode,
    identity: SeriesIdentity,
    h1: number,
    h2: number,
  ): Series | null {
    let series = scope.table.get(h1, h2);
    if (series !== undefined && series.state !== SeriesState.Dead) return series;
    if (!this.mayCreate(scope, identity.name)) return null;
    series = new SERIES_CLASSES[kind]!(identity.name, identity.tagsKey, scope.containerId);
    scope.table.set(h1, h2, series, false);
    this.liveSeries++;
    scope.liveSeries++;
    return series;
  }

  /** Checks the cardinality caps before a new series is made. */
  private mayCreate(scope: Scope, name: string): boolean {
    let reason: DropReason | undefined;
    if (this.liveSeries >= this.options.maxSeries) reason = 'cardinality_total';
    else if (scope !== this.root && scope.liveSeries >= this.options.maxSeriesPerContainer) {
      reason = 'cardinality_container';
    }
    if (reason === undefined) return true;
    this.dropped[reason]++;
    this.onDrop?.(reason, name, scope.containerId);
    return false;
  }

  /** Lines whose tags are split over several "#" fields: resolved every time, uncached. */
  private ingestUncached(scope: Scope, line: StatsdLine): RejectCode {
    const identity = resolveIdentity(line.rawName(), line.rawTags());
    if (typeof identity === 'number') return identity;
    const hash = hashRawKey(canonicalKey(identity, line.kind), this.hasher);
    const series = this.canonicalSeries(scope, line.kind, identity, hash.h1, hash.h2);
    if (series !== null) {
      series.lastSeen = this.generation;
      series.add(line, this.limits);
    }
    return Reject.None;
  }

  /**
   * Lines with their own timestamp are aggregated per series and timestamp within the
   * interval, reported at that timestamp, and never touch the live series.
   */
  private ingestTimestamped(scope: Scope, line: StatsdLine): RejectCode {
    const identity = resolveIdentity(line.rawName(), line.hasTags ? line.rawTags() : '');
    if (typeof identity === 'number') return identity;
    const key = canonicalKey(identity, line.kind);
    const mapKey = `${scope.containerId}\n${key}\n${line.timestampSec}`;
    let entry = this.timestamped.get(mapKey);
    if (entry === undefined) {
      if (!this.mayCreate(scope, identity.name)) return Reject.None;
      const series = new SERIES_CLASSES[line.kind]!(identity.name, identity.tagsKey, scope.containerId);
      this.liveSeries++;
      scope.liveSeries++;
      entry = { series, scope, timeMs: line.timestampSec * 1000 };
      this.timestamped.set(mapKey, entry);
    }
    entry.series.lastSeen = this.generation;
    entry.series.add(line, this.limits);
    return Reject.None;
  }

  /**
   * Emits the interval that ends at timeMs (intervalMs long, for rates), frees series idle
   * past the TTL, and starts the next interval.
   */
  flush(timeMs: number, intervalMs: number = this.options.flushIntervalMs): Datapoint[] {
    const ctx: FlushContext = {
      generation: this.generation,
      timeMs,
      intervalSeconds: intervalMs / 1000,
      percentiles: this.options.percentiles,
      percentileKeys: this.percentileKeys,
      out: [],
    };
    this.flushScope(this.root, ctx);
    for (const [id, scope] of this.scopes) {
      this.flushScope(scope, ctx);
      if (scope.table.size === 0) this.scopes.delete(id);
    }
    if (this.lastContainerScope.table.size === 0) {
      this.lastContainerKey = '';
      this.lastContainerScope = this.root;
    }
    this.flushTimestamped(ctx);
    this.generation++;
    return ctx.out;
  }

  private flushScope(scope: Scope, ctx: FlushContext): void {
    const gone: number[] = [];
    let aliasesGone = 0;
    scope.table.forEach((series, isAlias, h1, h2) => {
      if (isAlias) {
        // Drop an alias once its series is gone (a new series gets a new alias).
        if (series.state === SeriesState.Dead) {
          gone.push(h1, h2);
          aliasesGone++;
        }
        return;
      }
      const expired = ctx.generation - series.lastSeen >= this.ttlGenerations;
      series.flush(ctx, !expired);
      if (!expired) return;
      series.state = SeriesState.Dead;
      this.liveSeries--;
      scope.liveSeries--;
      gone.push(h1, h2);
    });
    for (let i = 0; i < gone.length; i += 2) scope.table.delete(gone[i]!, gone[i + 1]!);
    this.aliases -= aliasesGone;
  }

  private flushTimestamped(ctx: FlushContext): void {
    if (this.timestamped.size === 0) return;
    for (const { series, scope, timeMs } of this.timestamped.values()) {
      series.flush({ ...ctx, timeMs }, true);
      this.liveSeries--;
      scope.liveSeries--;
    }
    this.timestamped = new Map();
  }
}
