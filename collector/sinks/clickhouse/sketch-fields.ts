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

/** `source \t accuracy \t positive \t negative \t zero`, or undefined when a weight is not finite. */
export function sketchFields(timer: TimerSummary): string | undefined {
  return timer.sketch === undefined ? percentileSketch(timer) : agentSketch(timer.sketch);
}

function agentSketch(sketch: SketchSnapshot): string | undefined {
  const positive = binsMap(sketch.positiveOffset, sketch.positiveBins);
  const negative = binsMap(sketch.negativeOffset, sketch.negativeBins);
  if (positive === undefined || negative === undefined || !Number.isFinite(sketch.zeroCount))
    return undefined;
  if (!(sketch.relativeAccuracy > 0 && sketch.relativeAccuracy < 1)) return undefined;
  return `agent\t${sketch.relativeAccuracy}\t${positive}\t${negative}\t${sketch.zeroCount}`;
}

function binsMap(offset: number, bins: readonly number[]): string | undefined {
  let out = '';
  for (let i = 0; i < bins.length; i++) {
    const weight = bins[i]!;
    if (weight === 0) continue;
    if (!Number.isFinite(weight)) return undefined;
    out += `${out === '' ? '{' : ','}${offset + i}:${weight}`;
  }
  return out === '' ? '{}' : `${out}}`;
}

const LN_GAMMA = Math.log((1 + SKETCH_ACCURACY) / (1 - SKETCH_ACCURACY));

function percentileSketch(timer: TimerSummary): string {
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
  return `percentiles\t${SKETCH_ACCURACY}\t${indexMap(positive)}\t${indexMap(negative)}\t${zero}`;
}

/** The agent's logarithmic mapping: bin i holds (gamma^(i-1), gamma^i]. */
function binIndex(magnitude: number): number {
  return Math.ceil(Math.log(magnitude) / LN_GAMMA);
}

function addTo(bins: Map<number, number>, index: number, weight: number): void {
  bins.set(index, (bins.get(index) ?? 0) + weight);
}

function indexMap(bins: Map<number, number>): string {
  let out = '';
  for (const [index, weight] of bins) out += `${out === '' ? '{' : ','}${index}:${weight}`;
  return out === '' ? '{}' : `${out}}`;
}
