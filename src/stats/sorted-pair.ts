/**
 * The KS statistic and the first Wasserstein distance of two ascending-sorted samples in one merge
 * pass, and the bin counts of the current one at frozen edges (by binCountsSorted), for callers
 * that want several of them (a window's
 * numeric feature against its reference). Each result is bit for bit what the separate functions
 * give:
 *
 *  - `ksStatistic` = ksStatisticSorted(reference, current) (ks.ts): D = max over the distinct
 *    pooled values v of |F_ref(v) − F_cur(v)|, both CDFs right-continuous, each difference
 *    computed as i/n − j/m with i, j the counts of values <= v;
 *  - `wasserstein` = wassersteinSorted(reference, current) (wasserstein.ts): the terms
 *    |i/n − j/m| · (x − v) for each pair of consecutive distinct pooled values v < x, i.e. the
 *    same differences times the gap to the next value, added in the same order with the same
 *    compensated (Neumaier) summation;
 *  - `counts` = binCounts(current, edges) (binning.ts): right-closed bins, bin k counting the
 *    current values with exactly k edges strictly below them.
 *
 * Requirements as for those functions: both samples non-empty, sorted ascending and finite (NaN or
 * ±Infinity throws a RangeError; the separate functions accept ±Infinity in ks and binCounts, so
 * callers with infinite values use them instead); edges finite and strictly increasing, non-empty.
 * `counts` (length edges.length + 1) is zeroed and filled. Neither sample is modified.
 */

import { binCountsSorted } from './binning.js';
import { assertNonEmpty, assertSortedEnds } from './special.js';

export interface SortedPairStats {
  ksStatistic: number;
  wasserstein: number;
}

export function sortedPairStats(reference: Float64Array, current: Float64Array, edges: Float64Array, counts: Float64Array): SortedPairStats {
  const fn = 'sortedPairStats';
  assertNonEmpty(fn, 'reference sample', reference);
  assertNonEmpty(fn, 'current sample', current);
  assertSortedEnds(fn, 'reference sample', reference);
  assertSortedEnds(fn, 'current sample', current);
  const n = reference.length;
  const m = current.length;
  const ne = edges.length;
  if (!Number.isFinite(reference[0]) || !Number.isFinite(reference[n - 1]) || !Number.isFinite(current[0]) || !Number.isFinite(current[m - 1])) {
    throw new RangeError(`${fn}: the samples must be finite; remove missing values first`);
  }
  if (ne === 0) throw new RangeError(`${fn}: edges are empty`);
  if (counts.length !== ne + 1) throw new RangeError(`${fn}: counts has length ${counts.length}, expected edges.length + 1 = ${ne + 1}`);
  for (let k = 0; k < ne; k++) {
    if (!Number.isFinite(edges[k]) || (k > 0 && !(edges[k] > edges[k - 1]))) throw new RangeError(`${fn}: edges must be finite and strictly increasing`);
  }
  // The counts of the current values by bin, by one binary search per edge (as binCounts).
  binCountsSorted(current, edges, counts);
  let i = 0;
  let j = 0;
  let maxDiff = -Infinity;
  let minDiff = Infinity;
  let s = 0;
  let c = 0;
  // the next value on each side, Infinity once a side is used up (the samples are finite)
  let r = reference[0];
  let q = current[0];
  // One value at a time, in pooled order (the reference's first among equal ones): a single test
  // of which side is next per value, the one branch that goes either way. A distinct value v is
  // done once the next pooled value x differs from it: then i and j count the values <= v.
  for (;;) {
    let v: number;
    if (r <= q) {
      v = r;
      r = ++i < n ? reference[i] : Infinity;
    } else {
      v = q;
      q = ++j < m ? current[j] : Infinity;
    }
    const x = r <= q ? r : q;
    if (x === v) {
      if (v === Infinity) break; // (only with unsorted input: never loop for ever)
      continue;
    }
    const diff = i / n - j / m;
    if (diff > maxDiff) maxDiff = diff;
    if (diff < minDiff) minDiff = diff;
    if (x === Infinity) break;
    const term = Math.abs(diff) * (x - v);
    const t = s + term;
    if (Math.abs(s) >= Math.abs(term)) c += s - t + term;
    else c += term - t + s;
    s = t;
  }
  const minS = Math.min(Math.max(-minDiff, 0), 1);
  return { ksStatistic: minS > maxDiff ? minS : maxDiff, wasserstein: s + c };
}
