/**
 * Two-sample Kolmogorov–Smirnov test, two-sided, matching scipy.stats.ks_2samp(method='auto').
 *
 * Statistic: D = sup_x |F_ref(x) − F_cur(x)| with both empirical CDFs evaluated, right-continuous,
 * at every value of the pooled sample (so ties are handled exactly: F(v) counts values <= v).
 *
 * p-value:
 *  - exact when max(n, m) <= 10000 (scipy's MAX_AUTO_N): D is snapped to the lattice h/lcm(n, m)
 *    (h = round(D·lcm)), and the reported statistic is that snapped value, as scipy reports it.
 *      · n = m: P(D >= h/n) = 2 Σ_{k>=1} (−1)^{k−1} C(2n, n−kh) / C(2n, n), evaluated as a nested
 *        product (Horner form) of ratios so that no binomial is ever formed (Gnedenko & Korolyuk
 *        1951; the reflection-principle formula).
 *      · n ≠ m: lattice-path count of paths that leave the band |i/m − j/n| < h/lcm, done as
 *        Hodges' (1958) "inside" recursion but carried directly on the proportion of paths that
 *        have already left the band (Viehmann 2021), so every intermediate lies in [0, 1].
 *    If the exact computation yields a non-finite value or one outside [0, 1] the asymptotic
 *    p-value is used instead and `method` says 'asymptotic' (scipy does the same, with a warning).
 *  - asymptotic otherwise: P(D_{n_e} >= D) under the one-sample two-sided Kolmogorov
 *    distribution (see kolmogorov.ts) with n_e = round-half-even(n·m/(n+m)).
 *
 * Input: finite or infinite numbers; NaN is rejected with a RangeError (callers must remove
 * missing values first). Neither input array is modified. Unsorted inputs are not sorted either:
 * D comes from counts in buckets (ksStatisticUnsorted, unsorted-pair.ts), the same bits as
 * sorting and merging. Pass `{ sorted: true }` (or call `ksSorted`) when both arrays are already
 * sorted ascending; only the ends of each array are then checked (O(1)).
 *
 * Degenerate cases: an empty side throws; one value per side is fine (D is 0 or 1, p = 1);
 * identical samples give D = 0, p = 1.
 *
 * References
 *  - N. Smirnov (1939), "On the estimation of the discrepancy between empirical curves of
 *    distribution for two independent samples", Bull. Math. Univ. Moscou 2(2), 3–14.
 *  - B. V. Gnedenko, V. S. Korolyuk (1951), "On the maximum discrepancy between two empirical
 *    distributions", Dokl. Akad. Nauk SSSR 80, 525–528.
 *  - J. L. Hodges Jr. (1958), "The significance probability of the Smirnov two-sample test",
 *    Arkiv för Matematik 3(43), 469–486.
 *  - T. Viehmann (2021), "Numerically more stable computation of the p-values for the two-sample
 *    Kolmogorov–Smirnov test", arXiv:2102.08037.
 *  - R. Simard, P. L'Ecuyer (2011), J. Statistical Software 39(11) (asymptotic path).
 */

import { kstwoSf } from './kolmogorov.js';
import { assertNonEmpty, assertSortedEnds, gcd, roundHalfEven } from './special.js';
import { ksStatisticUnsorted } from './unsorted-pair.js';

export interface KsResult {
  /** The KS distance D in [0, 1]. */
  statistic: number;
  /** Two-sided p-value in [0, 1]. */
  pValue: number;
  /** Which null distribution produced the p-value. */
  method: 'exact' | 'asymptotic';
}

export interface KsOptions {
  /** Both inputs are already sorted ascending: skip the copy-and-sort. */
  sorted?: boolean;
}

/** scipy's MAX_AUTO_N: above this sample size the exact p-value is not attempted. */
export const KS_MAX_EXACT_N = 10000;

/** Two-sample KS test; see the module comment for the exact semantics. */
export function ks(reference: Float64Array, current: Float64Array, opts: KsOptions = {}): KsResult {
  assertNonEmpty('ks', 'reference sample', reference);
  assertNonEmpty('ks', 'current sample', current);
  if (opts.sorted) return ksSorted(reference, current);
  // D without sorting (bucket counts; see unsorted-pair.ts): the same bits as sorting and merging.
  return ksFromStatistic(ksStatisticUnsorted(reference, current), reference.length, current.length);
}

/** KS distance D only, for two ascending-sorted samples (no p-value). */
export function ksStatisticSorted(a: Float64Array, b: Float64Array): number {
  assertNonEmpty('ks', 'reference sample', a);
  assertNonEmpty('ks', 'current sample', b);
  assertSortedEnds('ks', 'reference sample', a);
  assertSortedEnds('ks', 'current sample', b);
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let maxDiff = -Infinity;
  let minDiff = Infinity;
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && a[i] <= b[j]) ? a[i] : b[j];
    while (i < n1 && a[i] <= v) i++;
    while (j < n2 && b[j] <= v) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxDiff) maxDiff = diff;
    if (diff < minDiff) minDiff = diff;
  }
  const minS = Math.min(Math.max(-minDiff, 0), 1);
  return minS > maxDiff ? minS : maxDiff;
}

/** Two-sample KS test for inputs already sorted ascending (no copy, no sort). */
export function ksSorted(reference: Float64Array, current: Float64Array): KsResult {
  return ksFromStatistic(ksStatisticSorted(reference, current), reference.length, current.length);
}

/**
 * The test result for a KS distance `d` between samples of sizes n1 and n2 (from
 * ksStatisticSorted or sortedPairStats): the p-value, and the statistic snapped to the lattice on
 * the exact path, exactly as `ksSorted` reports them.
 */
export function ksFromStatistic(d: number, n1: number, n2: number): KsResult {
  if (Math.max(n1, n2) <= KS_MAX_EXACT_N) {
    const g = gcd(n1, n2);
    const lcm = (n1 / g) * n2;
    const h = roundHalfEven(d * lcm);
    const dLattice = h / lcm;
    if (h === 0) return { statistic: dLattice, pValue: 1, method: 'exact' };
    const p = n1 === n2 ? pOutsideSquare(n1, h) : pOutsideBand(n1, n2, g, h);
    if (Number.isFinite(p) && p >= 0 && p <= 1) return { statistic: dLattice, pValue: p, method: 'exact' };
    return { statistic: dLattice, pValue: ksAsymptoticPValue(dLattice, n1, n2), method: 'asymptotic' };
  }
  return { statistic: d, pValue: ksAsymptoticPValue(d, n1, n2), method: 'asymptotic' };
}

/** Asymptotic two-sided p-value: kstwo.sf(d, round(n·m/(n+m))). */
export function ksAsymptoticPValue(d: number, n1: number, n2: number): number {
  const big = Math.max(n1, n2);
  const small = Math.min(n1, n2);
  const en = (big * small) / (big + small);
  const ne = Math.max(1, roundHalfEven(en));
  const p = kstwoSf(ne, d);
  return p < 0 ? 0 : p > 1 ? 1 : p;
}

/**
 * Exact P(D_{n,n} >= h/n) for equal sample sizes. With A_k = C(2n, n−kh)/C(2n, n) the alternating
 * reflection sum 2(A₁ − A₂ + A₃ − …) is rewritten as 2·a₁(1 − a₂(1 − a₃(1 − …))) where
 * a_k = A_k/A_{k−1} is a product of h simple ratios; evaluating from the innermost factor outward
 * avoids the cancellation of the plain alternating sum.
 */
export function pOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    // ratio C(2n, n − (k+1)h) / C(2n, n − kh) as h factors
    let r = 1;
    const lo = n - k * h;
    const hi = n + k * h;
    for (let j = 0; j < h; j++) r = (r * (lo - j)) / (hi + j + 1);
    p = r * (1 - p);
  }
  return 2 * p;
}

/**
 * Exact P(D_{n1,n2} >= h/lcm) for unequal sizes: the proportion of monotone lattice paths from
 * (0,0) to (m, n) (m the larger size) that touch the region |ng·i − mg·j| >= h, where
 * mg = m/g, ng = n/g. U(i, j), the proportion of paths to (i, j) that have touched it, obeys
 *   U(i, j) = 1 outside the band, else U(i, j) = (i·U(i−1, j) + j·U(i, j−1)) / (i + j),
 * because i/(i+j) of the paths into (i, j) arrive from (i−1, j). Only one column's band is kept.
 */
export function pOutsideBand(n1: number, n2: number, g: number, h: number): number {
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const mg = m / g;
  const ng = n / g;
  // column i = 0: j in [0, maxj) are inside the band (U = 0); larger j lie outside (U = 1)
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  const buf = new Float64Array(n + 2);
  // buf[jj] holds U(i, minj + jj) for jj < (maxj − minj)
  for (let jj = 0; jj < maxj; jj++) buf[jj] = 0;
  for (let i = 1; i <= m; i++) {
    const lastMin = minj;
    const lastLen = maxj - minj;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    // U(i, minj − 1) is outside the band (or does not exist when minj = 0, weight j = 0)
    let below = minj === 0 ? 0 : 1;
    const len = maxj - minj;
    for (let jj = 0; jj < len; jj++) {
      const j = minj + jj;
      const k = j - lastMin; // index of U(i−1, j) in the previous column (k >= jj: safe in place)
      const left = k < lastLen ? buf[k] : 1;
      below = (left * i + below * j) / (i + j);
      buf[jj] = below;
    }
  }
  return buf[maxj - minj - 1];
}
