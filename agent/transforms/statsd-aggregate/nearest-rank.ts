/**
 * Nearest-rank percentiles of (possibly weighted) samples: for percentile p the value at
 * weighted rank ceil(p/100 * W) in ascending order, W the total weight. Sorts samples in place.
 */
export function nearestRank(
  samples: Float64Array,
  weights: Float64Array | null,
  n: number,
  percentiles: readonly number[],
): number[] {
  const out = new Array<number>(percentiles.length);
  if (weights === null) {
    const sorted = samples.subarray(0, n).sort();
    for (let i = 0; i < percentiles.length; i++) {
      // 0.07 * 100 is 7.000000000000001 in doubles: without the epsilon ceil gives rank 8.
      const rank = Math.ceil((percentiles[i]! / 100) * n - 1e-9 * n);
      out[i] = sorted[Math.min(n, Math.max(1, rank)) - 1]!;
    }
    return out;
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => samples[a]! - samples[b]!);
  let total = 0;
  for (let i = 0; i < n; i++) total += weights[i]!;
  // Sums of 1/rate are inexact (1/0.3); a relative epsilon keeps exact ranks exact.
  const epsilon = 1e-9 * total;
  for (let i = 0; i < percentiles.length; i++) {
    const rank = Math.max(Math.ceil((percentiles[i]! / 100) * total - epsilon), 1);
    let seen = 0;
    let j = 0;
    for (; j < n - 1; j++) {
      seen += weights[order[j]!]!;
      if (seen >= rank - epsilon) break;
    }
    out[i] = samples[order[j]!]!;
  }
  return out;
}
