/**
 * Population Stability Index between reference proportions p and current proportions q:
 *
 *   PSI = Σ_i (q_i − p_i) · ln(q_i / p_i),
 *
 * with every proportion that is exactly 0 (on either side) replaced by 1e-4 before the sum — the
 * convention of Evidently's `psi` stattest, which keeps the index finite when a bin is empty.
 * No renormalisation is done after the replacement. PSI is the symmetrised Kullback–Leibler
 * divergence KL(q‖p) + KL(p‖q) (Jeffreys 1946) in nats; 0 means identical proportions.
 *
 * Inputs: equal-length arrays of finite non-negative proportions (see binning.ts); otherwise a
 * RangeError. H. Jeffreys (1946), "An invariant form for the prior probability in estimation
 * problems", Proc. Royal Soc. A 186, 453–461; B. Yurdakul (2018), "Statistical properties of
 * population stability index", PhD thesis, Western Michigan University.
 */

import { assertDistributionPair } from './special.js';

/** The value that replaces an exactly-zero proportion. */
export const PSI_ZERO_REPLACEMENT = 1e-4;

export function psi(p: Float64Array, q: Float64Array): number {
  assertDistributionPair('psi', p, q);
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i] === 0 ? PSI_ZERO_REPLACEMENT : p[i];
    const b = q[i] === 0 ? PSI_ZERO_REPLACEMENT : q[i];
    s += (b - a) * Math.log(b / a);
  }
  return s;
}
