/**
 * Jensen–Shannon distance with base-2 logarithms, matching
 * scipy.spatial.distance.jensenshannon(p, q, base=2):
 *
 *   p ← p / Σp,  q ← q / Σq,  m = (p + q) / 2,
 *   JS(p, q) = sqrt( (KL(p‖m) + KL(q‖m)) / (2 ln 2) ),
 *
 * with 0·ln(0/·) = 0. The result lies in [0, 1]: 0 for identical distributions, 1 for disjoint
 * supports. It is the square root of the Jensen–Shannon divergence, which is a metric
 * (Endres & Schindelin 2003). A divergence that rounds to a tiny negative number is clamped to 0
 * (scipy would return NaN in that case).
 *
 * Inputs: equal-length arrays of finite non-negative weights, each with a positive sum
 * (RangeError otherwise). J. Lin (1991), "Divergence measures based on the Shannon entropy",
 * IEEE Trans. Inf. Theory 37(1), 145–151; D. M. Endres, J. E. Schindelin (2003), "A new metric
 * for probability distributions", IEEE Trans. Inf. Theory 49(7), 1858–1860.
 */

import { assertDistributionPair } from './special.js';

export function jensenShannon(p: Float64Array, q: Float64Array): number {
  assertDistributionPair('jensenShannon', p, q);
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i];
    sq += q[i];
  }
  if (!(sp > 0)) throw new RangeError('jensenShannon: the reference distribution sums to zero');
  if (!(sq > 0)) throw new RangeError('jensenShannon: the current distribution sums to zero');
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i] / sp;
    const b = q[i] / sq;
    const m = (a + b) / 2;
    if (a > 0) left += a * Math.log(a / m);
    if (b > 0) right += b * Math.log(b / m);
  }
  const js = (left + right) / Math.LN2;
  return Math.sqrt(Math.max(js / 2, 0));
}
