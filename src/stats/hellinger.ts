/**
 * Hellinger distance between two proportion vectors:
 *
 *   H(p, q) = sqrt( 1 − Σ_i sqrt(p_i · q_i) ),
 *
 * i.e. sqrt(1 − BC) with BC the Bhattacharyya coefficient. For proportions summing to 1 it lies in
 * [0, 1]: 0 for identical distributions, 1 for disjoint supports. The inputs are used as given
 * (not renormalised); a radicand that rounds below 0 (identical inputs) is clamped to 0.
 *
 * Inputs: equal-length arrays of finite non-negative proportions (RangeError otherwise).
 * E. Hellinger (1909), "Neue Begründung der Theorie quadratischer Formen von unendlichvielen
 * Veränderlichen", J. reine angew. Math. 136, 210–271; A. Bhattacharyya (1943), "On a measure of
 * divergence between two statistical populations", Bull. Calcutta Math. Soc. 35, 99–109.
 */

import { assertDistributionPair } from './special.js';

export function hellinger(p: Float64Array, q: Float64Array): number {
  assertDistributionPair('hellinger', p, q);
  let bc = 0;
  for (let i = 0; i < p.length; i++) bc += Math.sqrt(p[i] * q[i]);
  return Math.sqrt(Math.max(1 - bc, 0));
}
