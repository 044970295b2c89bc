/**
 * First Wasserstein (earth mover's) distance between two unweighted empirical distributions,
 * matching scipy.stats.wasserstein_distance(u, v):
 *
 *   W₁(u, v) = ∫ |F_u(x) − F_v(x)| dx = Σ_k |F_u(x_k) − F_v(x_k)| · (x_{k+1} − x_k),
 *
 * where x_0 <= x_1 <= … is the pooled sorted sample and F the right-continuous empirical CDFs
 * (for one dimension the optimal-transport cost equals the L¹ distance between the CDFs;
 * S. S. Vallender (1974), "Calculation of the Wasserstein distance between probability
 * distributions on the line", Theory Probab. Appl. 18(4), 784–786).
 *
 * One linear merge pass over the two sorted samples; the sum uses compensated (Neumaier)
 * summation. Inputs must be finite (NaN or ±Infinity throws a RangeError — remove missing values
 * first); an empty side throws. Inputs are not modified; pass `{ sorted: true }` or call
 * `wassersteinSorted` when both are already sorted ascending. The result is in the units of the
 * data (it is not normalised).
 */

import { assertFinite, assertNonEmpty, sortedCopy } from './special.js';

export interface WassersteinOptions {
  /** Both inputs are already sorted ascending: skip the copy-and-sort. */
  sorted?: boolean;
}

export function wasserstein(u: Float64Array, v: Float64Array, opts: WassersteinOptions = {}): number {
  assertNonEmpty('wasserstein', 'first sample (u)', u);
  assertNonEmpty('wasserstein', 'second sample (v)', v);
  if (opts.sorted) return wassersteinSorted(u, v);
  return wassersteinSorted(sortedCopy(u), sortedCopy(v));
}

export function wassersteinSorted(u: Float64Array, v: Float64Array): number {
  assertNonEmpty('wasserstein', 'first sample (u)', u);
  assertNonEmpty('wasserstein', 'second sample (v)', v);
  const n = u.length;
  const m = v.length;
  // sorted finite arrays: checking both ends is enough to exclude NaN / ±Infinity
  assertFinite('wasserstein', 'first sample (u)', [u[0], u[n - 1]]);
  assertFinite('wasserstein', 'second sample (v)', [v[0], v[m - 1]]);
  let i = 0;
  let j = 0;
  // consume the first pooled value
  let prev: number;
  if (u[0] <= v[0]) {
    prev = u[0];
    i = 1;
  } else {
    prev = v[0];
    j = 1;
  }
  let s = 0;
  let c = 0;
  while (i < n || j < m) {
    let x: number;
    const takeU = j >= m || (i < n && u[i] <= v[j]);
    x = takeU ? u[i] : v[j];
    const delta = x - prev;
    if (delta !== 0) {
      const term = Math.abs(i / n - j / m) * delta;
      const t = s + term;
      if (Math.abs(s) >= Math.abs(term)) c += s - t + term;
      else c += term - t + s;
      s = t;
    }
    if (takeU) i++;
    else j++;
    prev = x;
  }
  return s + c;
}

/**
 * W₁ between a sorted sample `u` and a weighted distribution (`values` ascending and distinct,
 * `weights` summing to the represented count), e.g. a quantile sketch's sorted view: the same
 * ∫ |F_u − F_v| dx, with F_v the cumulative weight share. Exact for the weighted distribution
 * given; against a sketch it carries the sketch's rank error (at most that error times the range
 * of the data).
 */
export function wassersteinWeightedSorted(u: Float64Array, values: Float64Array, weights: Float64Array): number {
  assertNonEmpty('wasserstein', 'first sample (u)', u);
  assertNonEmpty('wasserstein', 'weighted values', values);
  if (weights.length !== values.length) throw new RangeError(`wasserstein: ${values.length} values but ${weights.length} weights`);
  assertFinite('wasserstein', 'first sample (u)', [u[0], u[u.length - 1]]);
  assertFinite('wasserstein', 'weighted values', [values[0], values[values.length - 1]]);
  let total = 0;
  for (let k = 0; k < weights.length; k++) total += weights[k];
  const n = u.length;
  const m = values.length;
  let i = 0;
  let j = 0;
  let cum = 0; // weight of values taken so far
  let prev = Math.min(u[0], values[0]);
  let s = 0;
  while (i < n || j < m) {
    const takeU = j >= m || (i < n && u[i] <= values[j]);
    const x = takeU ? u[i] : values[j];
    const delta = x - prev;
    if (delta !== 0) s += Math.abs(i / n - cum / total) * delta;
    prev = x;
    if (takeU) i++;
    else cum += weights[j++];
  }
  return s;
}
