/**
 * L∞ (Chebyshev) distance between two proportion vectors: max_i |p_i − q_i|. For categorical
 * data this is the largest change in any category's share (in [0, 1] for proportions).
 * Inputs: equal-length arrays of finite non-negative values (RangeError otherwise).
 * Matches numpy.max(numpy.abs(p - q)).
 */

import { assertDistributionPair } from './special.js';

export function linf(p: Float64Array, q: Float64Array): number {
  assertDistributionPair('linf', p, q);
  let m = 0;
  for (let i = 0; i < p.length; i++) {
    const d = Math.abs(p[i] - q[i]);
    if (d > m) m = d;
  }
  return m;
}
