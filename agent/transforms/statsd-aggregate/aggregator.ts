import type { Datapoint } from '../../../lib/model/datapoint.js';
import { type PercentileRecordMaker, percentileRecordMaker } from '../../../lib/model/percentile-record.js';
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
import { SharedIdentities } from './shared-identities.js';

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

/** Series flushed between checks of the clock. */
const SERIES_PER_STEP = 256;
/** How long a flush may hold the event loop before it lets the sockets be read. */
const DEFAULT_SLICE_MS = 5;

type SeriesClass = new (name: string, tags: Readonly<Record<string, string>>, containerId: string) => Series;
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
 *
 * Each container has its own table (a scope). The container is picked before the lookup,
 * from what the line came with, in this order: the container's own port, the line's "c:"
 * field, its container_id tag (cut out of the raw key by the parser), the container of the
 * sender's address. So a table only ever holds keys of its own container's series, and an
 * alias can never point into another container.
 */
export class StatsdAggregator {
  private readonly root = new Scope('');
  private readonly scopes = new Map<string, Scope>();
  /** The container of the last line that named one (c: or tag), to skip decoding its id again. */
  private lastContainerKey = '';
  private lastContainerScope: Scope = this.root;
  /** The last port or address container, to skip the Map lookup for the lines of a packet. */
  private lastContextId = '';
  private lastContextScope: Scope = this.root;
  private timestamped = new Map<string, TimestampedSeries>();
  private readonly limits: SeriesLimits;
  private readonly ttlGenerations: number;
  private readonly percentileRecord: PercentileRecordMaker;
  /** Interval number; a series' lastSeen is the generation of its last sample. */
  private generation = 0;
  private aliases = 0;
  private readonly hasher = new KeyHasher();
  private readonly shared = new SharedIdentities();

  liveSeries = 0;
  readonly dropped: Record<DropReason, number> = { cardinality_total: 0, cardinality_container: 0 };
  /**
   * Lines aggregated without a container although attribution by address was on for them
   * (they came in on a shared listener with a resolver that knew no container for the sender).
   */
  unattributed = 0;
  /** Called for each line dropped by a cardinality cap (rate-limit any logging in it). */
  onDrop: ((reason: DropReason, name: string, containerId: string) => void) | undefined;

  constructor(private readonly options: AggregatorOptions) {
    this.limits = {
      timerSampleCap: options.timerSampleCap,
      setExactCap: options.setExactCap,
      sketchRelativeAccuracy: options.sketchRelativeAccuracy ?? 0.01,
    };
    this.ttlGenerations = Math.max(1, Math.ceil(options.idleTtlMs / options.flushIntervalMs));
    this.percentileRecord = percentileRecordMaker(options.percentiles.map((p) => String(p)));
  }

  /**
   * Adds one parsed line. portContainer is the container whose own port the line came in on
   * ("" on the shared listeners). addressContainer is the container of the sender's address
   * on the shared listeners: "" when the resolver knows none, undefined when attribution by
   * address is off (then a line without a container is not counted as unattributed).
   */
  ingest(line: StatsdLine, portContainer: string, addressContainer?: string): RejectCode {
    if (line.timestampSec >= 0 || line.splitTags)
      return this.ingestResolved(line, portContainer, addressContainer);
    let scope: Scope;
    // A port belongs to one container: what the line says cannot move it to another.
    if (portContainer !== '') scope = this.contextScope(portContainer);
    else if (line.hasContainer) scope = this.lineScope(line, line.containerStart, line.containerEnd);
    else if (line.hasContainerTag)
      scope = this.lineScope(line, line.containerTagValueStart, line.containerTagEnd);
    else if (addressContainer !== undefined && addressContainer !== '')
      scope = this.contextScope(addressContainer);
    else scope = this.root;

    let series = scope.table.get(line.keyHash1, line.keyHash2);
    if (series === undefined || series.state === SeriesState.Dead) {
      // Only an Influx-style container_id tag is left to find, and only when nothing above named one.
      const tagMayPick = portContainer === '' && !line.hasContainer && !line.hasContainerTag;
      const resolved = this.resolve(scope, line, tagMayPick);
      if (typeof resolved === 'number') return resolved;
      if (resolved === null) return Reject.None;
      series = resolved;
    }
    series.lastSeen = this.generation;
    series.add(line, this.limits);
    if (addressContainer === '' && series.containerId === '') this.unattributed++;
    return Reject.None;
  }

  /** The scope of the container id in bytes [start, end) of the line (a c: field or a tag). */
  private lineScope(line: StatsdLine, start: number, end: number): Scope {
    const key = this.lastContainerKey;
    const b = line.bytes;
    let same = key.length === end - start;
    for (let i = 0; same && i < key.length; i++) same = key.charCodeAt(i) === b[start + i];
    if (!same) {
      this.lastContainerKey = b.toString('latin1', start, end);
      this.lastContainerScope = this.scopeOf(b.toString('utf8', start, end));
    }
    return this.lastContainerScope;
  }

  /** The scope of a port's or an address's container; the same string comes for a packet's lines. */
  private contextScope(containerId: string): Scope {
    if (containerId !== this.lastContextId) {
      this.lastContextId = containerId;
      this.lastContextScope = this.scopeOf(containerId);
    }
    return this.lastContextScope;
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
   * key as its alias. Returns null when a cardinality cap dropped the line. tagMayPick: the
   * line named no container before its tags were resolved, so a container_id tag found now
   * (Influx style, "name,container_id=x") picks the scope.
   */
  private resolve(scope: Scope, line: StatsdLine, tagMayPick: boolean): Series | RejectCode | null {
    const identity = resolveIdentity(line.rawName(), line.hasTags ? line.rawTags() : '');
    if (typeof identity === 'number') return identity;
    if (tagMayPick && identity.containerId !== '') {
      // Not cached: the raw key would be cached in the table it was looked up in, which is
      // not this container's, and a table must only point at its own container's series.
      const hash = hashRawKey(canonicalKey(identity, line.kind), this.hasher);
      return this.canonicalSeries(this.scopeOf(identity.containerId), line.kind, identity, hash.h1, hash.h2);
    }
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
    series = this.newSeries(kind, identity, scope);
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

  /**
   * Lines resolved every time, uncached: timestamped ones, and those whose tags are split
   * over several "#" fields (then every field's container_id tag counts, the last winning).
   * The same precedence as ingest(), on the resolved identity.
   */
  private ingestResolved(line: StatsdLine, portContainer: string, addressContainer?: string): RejectCode {
    const identity = resolveIdentity(line.rawName(), line.hasTags ? line.rawTags() : '');
    if (typeof identity === 'number') return identity;
    let containerId = portContainer;
    if (containerId === '') {
      if (line.hasContainer) containerId = line.container();
      else if (line.hasContainerTag && !line.splitTags) containerId = line.containerTag();
      else containerId = identity.containerId || addressContainer || '';
    }
    const scope = containerId === '' ? this.root : this.scopeOf(containerId);
    const series =
      line.timestampSec >= 0
        ? this.timestampedSeries(scope, line, identity)
        : this.uncachedSeries(scope, line, identity);
    if (series === null) return Reject.None;
    series.lastSeen = this.generation;
    series.add(line, this.limits);
    if (addressContainer === '' && containerId === '') this.unattributed++;
    return Reject.None;
  }

  private newSeries(kind: KindCode, identity: SeriesIdentity, scope: Scope): Series {
    const { shared } = this;
    return new SERIES_CLASSES[kind]!(
      shared.name(identity.name),
      shared.tags(identity.tagsKey),
      scope.containerId,
    );
  }

  private uncachedSeries(scope: Scope, line: StatsdLine, identity: SeriesIdentity): Series | null {
    const hash = hashRawKey(canonicalKey(identity, line.kind), this.hasher);
    return this.canonicalSeries(scope, line.kind, identity, hash.h1, hash.h2);
  }

  /**
   * Lines with their own timestamp are aggregated per series and timestamp within the
   * interval, reported at that timestamp, and never touch the live series.
   */
  private timestampedSeries(scope: Scope, line: StatsdLine, identity: SeriesIdentity): Series | null {
    const key = canonicalKey(identity, line.kind);
    const mapKey = `${scope.containerId}\n${key}\n${line.timestampSec}`;
    let entry = this.timestamped.get(mapKey);
    if (entry === undefined) {
      if (!this.mayCreate(scope, identity.name)) return null;
      const series = this.newSeries(line.kind, identity, scope);
      this.liveSeries++;
      scope.liveSeries++;
      entry = { series, scope, timeMs: line.timestampSec * 1000 };
      this.timestamped.set(mapKey, entry);
    }
    return entry.series;
  }

  /**
   * Emits the interval that ends at timeMs (intervalMs long, for rates), frees series idle
   * past the TTL, and starts the next interval. All at once: see flushInSlices for the agent's.
   */
  flush(timeMs: number, intervalMs: number = this.options.flushIntervalMs): Datapoint[] {
    const steps = this.flushSteps(timeMs, intervalMs);
    for (let step = steps.next(); ; step = steps.next()) if (step.done === true) return step.value;
  }

  /**
   * flush(), a slice of series at a time, yielding to the event loop whenever a slice has run
   * `sliceMs`: the sockets are read between slices, so a flush of many series never stalls
   * them long enough for the kernel's receive buffer to overflow. Lines that arrive meanwhile
   * belong to the next interval, except for series not flushed yet, which still report them
   * in this one (nothing is lost or counted twice). One flush at a time (see StatsdEngine).
   */
  async flushInSlices(
    timeMs: number,
    intervalMs: number = this.options.flushIntervalMs,
    sliceMs = DEFAULT_SLICE_MS,
  ): Promise<Datapoint[]> {
    const steps = this.flushSteps(timeMs, intervalMs);
    let sliceStart = performance.now();
    for (let step = steps.next(); ; step = steps.next()) {
      if (step.done === true) return step.value;
      if (performance.now() - sliceStart >= sliceMs) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
  }

  /**
   * The flush, yielding after every SERIES_PER_STEP series. It ends the interval before its
   * first yield (the generation moves on, the series to flush are listed, timestamped lines
   * start a new map), and frees expired series and empty scopes after its last one, each
   * only if no line reached it in between.
   */
  private *flushSteps(timeMs: number, intervalMs: number): Generator<void, Datapoint[]> {
    const ctx: FlushContext = {
      generation: this.generation,
      timeMs,
      intervalSeconds: intervalMs / 1000,
      percentiles: this.options.percentiles,
      percentileRecord: this.percentileRecord,
      out: [],
    };
    this.generation++;
    const scopes = [this.root, ...this.scopes.values()];
    const listed = scopes.map((scope) => listEntries(scope));
    const timestamped = this.timestamped;
    this.timestamped = new Map();

    const expiredSeries: ExpiredEntry[] = [];
    const deadAliases: ExpiredEntry[] = [];
    let sinceYield = 0;
    for (let s = 0; s < scopes.length; s++) {
      const scope = scopes[s]!;
      const entries = listed[s]!;
      for (let i = 0; i < entries.series.length; i++) {
        const series = entries.series[i]!;
        const h1 = entries.hashes[2 * i]!;
        const h2 = entries.hashes[2 * i + 1]!;
        if (entries.aliases[i] === 1) {
          // Drop an alias once its series is gone (a new series gets a new alias).
          if (series.state === SeriesState.Dead) deadAliases.push({ scope, series, h1, h2 });
          continue;
        }
        const expired = ctx.generation - series.lastSeen >= this.ttlGenerations;
        series.flush(ctx, !expired);
        // Lines since the interval ended that this datapoint took in count as this interval's.
        if (series.lastSeen > ctx.generation) series.lastSeen = ctx.generation;
        if (expired) expiredSeries.push({ scope, series, h1, h2 });
        if (++sinceYield === SERIES_PER_STEP) {
          sinceYield = 0;
          yield;
        }
      }
    }
    for (const { series, scope, timeMs: stampMs } of timestamped.values()) {
      series.flush({ ...ctx, timeMs: stampMs }, true);
      this.liveSeries--;
      scope.liveSeries--;
    }
    this.free(ctx.generation, expiredSeries, deadAliases);
    return ctx.out;
  }

  /** The end of a flush: frees what expired (unless a line came since) and scopes left empty. */
  private free(generation: number, expiredSeries: ExpiredEntry[], deadAliases: ExpiredEntry[]): void {
    for (const { scope, series, h1, h2 } of expiredSeries) {
      if (generation - series.lastSeen < this.ttlGenerations || scope.table.get(h1, h2) !== series) continue;
      series.state = SeriesState.Dead;
      this.liveSeries--;
      scope.liveSeries--;
      scope.table.delete(h1, h2);
    }
    for (const { scope, series, h1, h2 } of deadAliases) {
      // Still this dead series' alias: a line since may have pointed the key at a new series.
      if (scope.table.get(h1, h2) === series && scope.table.delete(h1, h2)) this.aliases--;
    }
    for (const [id, scope] of this.scopes) if (scope.table.size === 0) this.scopes.delete(id);
    // Scopes left empty were deleted: forget them, so no line lands in one that is not flushed.
    if (this.lastContainerScope.table.size === 0) {
      this.lastContainerKey = '';
      this.lastContainerScope = this.root;
    }
    if (this.lastContextScope.table.size === 0) {
      this.lastContextId = '';
      this.lastContextScope = this.root;
    }
  }
}

/** A table entry picked for removal at the end of a flush. */
interface ExpiredEntry {
  scope: Scope;
  series: Series;
  h1: number;
  h2: number;
}

/** A scope's entries as of the flush's start: lines may add entries while it runs. */
function listEntries(scope: Scope): { series: Series[]; hashes: Int32Array; aliases: Uint8Array } {
  const size = scope.table.size;
  const series: Series[] = new Array(size);
  const hashes = new Int32Array(2 * size);
  const aliases = new Uint8Array(size);
  let n = 0;
  scope.table.forEach((entry, isAlias, h1, h2) => {
    series[n] = entry;
    hashes[2 * n] = h1;
    hashes[2 * n + 1] = h2;
    aliases[n] = isAlias ? 1 : 0;
    n++;
  });
  return { series, hashes, aliases };
}
