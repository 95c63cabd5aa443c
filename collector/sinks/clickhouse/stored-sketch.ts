/**
 * A timer summary's DDSketch as the timer_summaries sketch columns. The agent ships a sketch
 * only for series past its exact sample cap; for the others a sketch is built here from the
 * exact percentiles and max, so percentiles over a window cover every timer:
 * the weight of each percentile's rank interval (p_prev, p] goes to the bin of its value,
 * the rest to the bin of max. Such a sketch answers a configured percentile of its summary
 * exactly (to the bin) and, in between, never below the true value, merged or not.
 */
import type { SketchSnapshot, TimerSummary } from '../../../lib/model/datapoint.js';

/** The agent's default (agent/transforms/statsd-aggregate): 1% relative error. */
export const SKETCH_ACCURACY = 0.01;
/** Values closer to zero than this land in the zero bin (as in the agent's DDSketch). */
const MIN_INDEXABLE = 1e-9;

/** What a timer_summaries row stores of a timer's sketch. */
export type StoredSketch = {
  accuracy: number;
  zero: number;
} & (
  | {
      source: 'agent';
      /** Dense bins from their offsets, as the agent ships them. */
      positiveOffset: number;
      positive: readonly number[];
      negativeOffset: number;
      negative: readonly number[];
    }
  | { source: 'percentiles'; positive: ReadonlyMap<number, number>; negative: ReadonlyMap<number, number> }
);

/** The sketch to store, or undefined when the agent's has a weight or accuracy out of range. */
export function storedSketch(timer: TimerSummary): StoredSketch | undefined {
  return timer.sketch === undefined ? percentileSketch(timer) : agentSketch(timer.sketch);
}

function agentSketch(sketch: SketchSnapshot): StoredSketch | undefined {
  if (!finiteWeights(sketch.positiveBins) || !finiteWeights(sketch.negativeBins)) return undefined;
  if (!Number.isFinite(sketch.zeroCount)) return undefined;
  if (!(sketch.relativeAccuracy > 0 && sketch.relativeAccuracy < 1)) return undefined;
  return {
    source: 'agent',
    accuracy: sketch.relativeAccuracy,
    positiveOffset: sketch.positiveOffset,
    positive: sketch.positiveBins,
    negativeOffset: sketch.negativeOffset,
    negative: sketch.negativeBins,
    zero: sketch.zeroCount,
  };
}

function finiteWeights(bins: readonly number[]): boolean {
  for (let i = 0; i < bins.length; i++) if (!Number.isFinite(bins[i]!)) return false;
  return true;
}

const LN_GAMMA = Math.log((1 + SKETCH_ACCURACY) / (1 - SKETCH_ACCURACY));

function percentileSketch(timer: TimerSummary): StoredSketch {
  const points: [number, number][] = [];
  for (const key in timer.percentiles) {
    const p = Number(key);
    const value = timer.percentiles[key]!;
    if (p > 0 && p <= 100 && Number.isFinite(value)) points.push([p, value]);
  }
  points.sort((a, b) => a[0] - b[0]);
  const positive = new Map<number, number>();
  const negative = new Map<number, number>();
  let zero = 0;
  const add = (value: number, weight: number) => {
    if (weight <= 0) return;
    if (value > MIN_INDEXABLE) addTo(positive, binIndex(value), weight);
    else if (value < -MIN_INDEXABLE) addTo(negative, binIndex(-value), weight);
    else zero += weight;
  };
  let previous = 0;
  for (const [p, value] of points) {
    add(value, (timer.count * (p - previous)) / 100);
    previous = p;
  }
  add(timer.max, (timer.count * (100 - previous)) / 100);
  return { source: 'percentiles', accuracy: SKETCH_ACCURACY, positive, negative, zero };
}

/** The agent's logarithmic mapping: bin i holds (gamma^(i-1), gamma^i]. */
function binIndex(magnitude: number): number {
  return Math.ceil(Math.log(magnitude) / LN_GAMMA);
}

function addTo(bins: Map<number, number>, index: number, weight: number): void {
  bins.set(index, (bins.get(index) ?? 0) + weight);
}
