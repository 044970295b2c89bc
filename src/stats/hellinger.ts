/**
 * Hellinger distance between two proportion vectors (each summing to 1):
 *
 *   H(p, q) = sqrt( 1 − Σ_i sqrt(p_i · q_i) ) = sqrt( ½ Σ_i (√p_i − √q_i)² ),
 *
 * i.e. sqrt(1 − BC) with BC the Bhattacharyya coefficient; in [0, 1], 0 for identical
 * distributions and 1 for disjoint supports. The two forms are equal when Σp = Σq = 1; the second
 * is the one evaluated, because 1 − Σ√(pq) cancels catastrophically for near-identical
 * distributions (a rounding error of 1e-16 in the sum becomes 1e-8 after the square root),
 * whereas ½Σ(√p − √q)² keeps full relative accuracy and is exactly 0 for identical inputs. It
 * agrees with numpy's sqrt(max(1 − Σ√(pq), 0)) to ~1e-15 whenever that one is well conditioned.
 *
 * Inputs: equal-length arrays of finite non-negative proportions whose sums are 1 within 1e-9
 * (RangeError otherwise; build them with `proportions`).
 * E. Hellinger (1909), "Neue Begründung der Theorie quadratischer Formen von unendlichvielen
 * Veränderlichen", J. reine angew. Math. 136, 210–271; A. Bhattacharyya (1943), "On a measure of
 * divergence between two statistical populations", Bull. Calcutta Math. Soc. 35, 99–109.
 */

import { assertDistributionPair } from './special.js';

const SUM_TOL = 1e-9;

export function hellinger(p: Float64Array, q: Float64Array): number {
  assertDistributionPair('hellinger', p, q);
  let sp = 0;
  let sq = 0;
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i];
    sq += q[i];
    const d = Math.sqrt(p[i]) - Math.sqrt(q[i]);
    s += d * d;
  }
  if (Math.abs(sp - 1) > SUM_TOL) throw new RangeError(`hellinger: the reference proportions sum to ${sp}, not 1`);
  if (Math.abs(sq - 1) > SUM_TOL) throw new RangeError(`hellinger: the current proportions sum to ${sq}, not 1`);
  return Math.sqrt(s / 2);
}
