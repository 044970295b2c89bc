/**
 * Pearson's chi-square test of homogeneity on a 2×k contingency table (row 0 = reference counts,
 * row 1 = current counts), matching scipy.stats.chi2_contingency(np.array([ref, cur]),
 * correction=False) after dropping the categories whose count is zero in both rows:
 *
 *   E_rc = R_r · C_c / N,   X² = Σ (O_rc − E_rc)² / E_rc,   dof = k − 1,
 *   p = P(χ²_dof >= X²) = Q(dof/2, X²/2)  (regularized upper incomplete gamma, special.ts).
 *
 * Degenerate cases: with a single remaining category dof = 0 and the result is
 * { statistic: 0, pValue: 1, dof: 0 } (as scipy). An empty or all-zero side, mismatched lengths,
 * negative / non-finite counts, or no non-zero category at all throw a RangeError. Counts need not
 * be integers. No continuity correction (Yates) is applied.
 *
 * K. Pearson (1900), "On the criterion that a given system of deviations from the probable ...",
 * Philosophical Magazine 50(302), 157–175; R. A. Fisher (1922), "On the interpretation of χ² from
 * contingency tables, and the calculation of P", J. Royal Statist. Soc. 85(1), 87–94 (dof).
 */

import { assertDistributionPair, chi2Sf } from './special.js';

export interface Chi2Result {
  statistic: number;
  pValue: number;
  dof: number;
}

export function chi2Contingency(refCounts: Float64Array, curCounts: Float64Array): Chi2Result {
  assertDistributionPair('chi2Contingency', refCounts, curCounts);
  let r0 = 0;
  let r1 = 0;
  let k = 0;
  for (let i = 0; i < refCounts.length; i++) {
    const a = refCounts[i];
    const b = curCounts[i];
    if (a === 0 && b === 0) continue;
    r0 += a;
    r1 += b;
    k++;
  }
  if (k === 0) throw new RangeError('chi2Contingency: every category has zero count on both sides');
  if (!(r0 > 0)) throw new RangeError('chi2Contingency: the reference counts sum to zero');
  if (!(r1 > 0)) throw new RangeError('chi2Contingency: the current counts sum to zero');
  const dof = k - 1;
  if (dof === 0) return { statistic: 0, pValue: 1, dof: 0 };
  const total = r0 + r1;
  let stat = 0;
  for (let i = 0; i < refCounts.length; i++) {
    const a = refCounts[i];
    const b = curCounts[i];
    if (a === 0 && b === 0) continue;
    const col = a + b;
    const ea = (r0 * col) / total;
    const eb = (r1 * col) / total;
    stat += ((a - ea) * (a - ea)) / ea + ((b - eb) * (b - eb)) / eb;
  }
  return { statistic: stat, pValue: chi2Sf(stat, dof), dof };
}
