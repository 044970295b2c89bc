/**
 * The KS statistic of two samples in any order, and the bin counts of the current one at frozen
 * edges, without sorting either sample. Bit for bit what ksStatisticSorted (on the sorted
 * samples) and binCounts give, for a fraction of the work of sorting: a few passes over each
 * sample instead of a sort and a merge.
 *
 * Why it is exact:
 *  - Both samples are counted in the buckets of the reference's monotone key (select.ts): a value
 *    with a higher key is strictly greater than one with a lower key. So once every value of the
 *    buckets up to k is counted (i of the reference's n, j of the current's m), no value left is
 *    equal to one counted: the end of each non-empty bucket is a point where the merge of the two
 *    sorted samples evaluates i/n − j/m, with the same i and j, giving the same double.
 *  - Inside a bucket, each point's i and j lie between the bucket's counts at its start (i0, j0)
 *    and at its end (i1, j1). Division and subtraction round monotonically, so the difference
 *    there lies between i0/n − j1/m and i1/n − j0/m as computed. A bucket is looked at value by
 *    value (its values gathered, sorted and merged) only when one of these bounds lies beyond the
 *    extremes found so far.
 *  - A bucket holding values of one sample only never needs to be: the difference moves one way
 *    through it, from its start (the previous bucket's end, or 0 before any value) to its end.
 *    The current values below or above the reference's range fill such buckets.
 *
 * Bins are right-closed (a value's bin is the number of edges strictly below it). An edge e can
 * only have values of bucket key(e) on both sides of it; the values of every other bucket lie in
 * one bin, counted from the bucket's count alone, and those of the edges' buckets one by one.
 *
 * A reference that has no buckets (infinite values, or a range of 0 or too wide for a double) is
 * done the classic way: both samples sorted (copies) and merged. Requirements: both samples
 * non-empty, without NaN (a RangeError); ±Infinity is fine, as in ksStatisticSorted and
 * binCounts. Edges finite and strictly increasing, non-empty. `counts` (length edges.length + 1)
 * is zeroed and filled. Neither sample is modified.
 */

import { binCounts, binIndex, binWholeBuckets } from './binning.js';
import { bucketValues, countKeys, gatherBuckets, prefixSums, type ValueBuckets } from './select.js';
import { assertNoNaN, assertNonEmpty } from './special.js';
import { sortFloat64 } from './sort.js';

/**
 * `referenceBuckets`: bucketValues(reference), when the caller keeps them (a reference snapshot
 * does: it is compared with many windows).
 */
export function unsortedPairStats(reference: Float64Array, current: Float64Array, edges: Float64Array, counts: Float64Array, referenceBuckets?: ValueBuckets | null): number {
  const fn = 'unsortedPairStats';
  const ne = edges.length;
  if (ne === 0) throw new RangeError(`${fn}: edges are empty`);
  if (counts.length !== ne + 1) throw new RangeError(`${fn}: counts has length ${counts.length}, expected edges.length + 1 = ${ne + 1}`);
  for (let k = 0; k < ne; k++) {
    if (!Number.isFinite(edges[k]) || (k > 0 && !(edges[k] > edges[k - 1]))) throw new RangeError(`${fn}: edges must be finite and strictly increasing`);
  }
  return pairStats(fn, reference, current, edges, counts, referenceBuckets ?? null);
}

/**
 * The KS statistic alone (no bins) of two samples in any order: ksStatisticSorted of the sorted
 * samples, bit for bit. `fn` names the caller in errors.
 */
export function ksStatisticUnsorted(reference: Float64Array, current: Float64Array, fn = 'ks'): number {
  return pairStats(fn, reference, current, null, null, null);
}

function pairStats(fn: string, reference: Float64Array, current: Float64Array, edges: Float64Array | null, counts: Float64Array | null, referenceBuckets: ValueBuckets | null): number {
  assertNonEmpty(fn, 'reference sample', reference);
  assertNonEmpty(fn, 'current sample', current);
  const n = reference.length;
  const m = current.length;
  const rb = referenceBuckets ?? named(fn, 'reference sample', () => bucketValues(reference));
  if (rb === null) {
    // The classic way: sorted copies, merged (sorting rejects nothing: NaN is looked for first).
    assertNoNaN(fn, 'current sample', current);
    if (edges) binCounts(current, edges, counts!);
    const a = sortFloat64(reference.slice());
    const b = sortFloat64(current.slice());
    const ext = mergeRange(a, 0, n, b, 0, m, 0, 0, n, m, 0, 0);
    return extremes(ext[0], ext[1]);
  }
  const { lo, scale, size, start: sr } = rb;
  const keys = size + 3;
  const sc = new Int32Array(size + 4);
  named(fn, 'current sample', () => countKeys(current, lo, scale, size, sc));
  prefixSums(sc);

  // The buckets' ends. The merge's last point, after every value, is n/n − m/m = 0 exactly;
  // starting both extremes at 0 therefore changes neither.
  let max = 0;
  let min = 0;
  for (let k = 0; k < keys; k++) {
    const ie = sr[k + 1];
    const je = sc[k + 1];
    if (ie === sr[k] && je === sc[k]) continue;
    const d = ie / n - je / m;
    if (d > max) max = d;
    if (d < min) min = d;
  }

  // Buckets to look into: both samples in them, and a bound beyond the extremes.
  const look: number[] = [];
  for (let k = 0; k < keys; k++) {
    const ib = sr[k];
    const ie = sr[k + 1];
    const jb = sc[k];
    const je = sc[k + 1];
    if (ib === ie || jb === je) continue;
    if (ie / n - jb / m > max || ib / n - je / m < min) look.push(k);
  }

  // Bins: by bucket, but the edges' buckets value by value.
  let binned: number[] = [];
  if (edges) {
    counts!.fill(0);
    binned = binWholeBuckets(sc, rb, edges, counts!);
  }

  const gatherKeys = binned.length === 0 ? look : [...new Set([...look, ...binned])].sort((a, b) => a - b);
  if (gatherKeys.length === 0) return extremes(max, min);
  const curBuckets: ValueBuckets = { lo, scale, size, start: sc };
  const gc = gatherBuckets(current, curBuckets, gatherKeys);
  for (const k of binned) {
    const at = gc.mark[k] - 1;
    for (let i = gc.from[at]; i < gc.from[at + 1]; i++) counts![binIndex(edges!, gc.values[i])]++;
  }
  if (look.length === 0) return extremes(max, min);
  const gr = gatherBuckets(reference, rb, look, true);
  const ext = new Float64Array(2);
  for (let u = 0; u < look.length; u++) {
    const k = look[u];
    const ib = sr[k];
    const ie = sr[k + 1];
    const jb = sc[k];
    const je = sc[k + 1];
    // Still worth a look, with the extremes found since?
    if (!(ie / n - jb / m > max || ib / n - je / m < min)) continue;
    const at = gc.mark[k] - 1;
    mergeRange(gr.values, gr.from[u], gr.from[u + 1], gc.values, gc.from[at], gc.from[at + 1], ib, jb, n, m, max, min, ext);
    max = ext[0];
    min = ext[1];
  }
  return extremes(max, min);
}

/**
 * The merge of ksStatisticSorted over a[i..iEnd) and b[j..jEnd) (both sorted), preceded by i0
 * reference and j0 current values (all smaller): the extremes of i/n − j/m at its points, starting
 * from max and min, into out (a new array when not given).
 */
function mergeRange(a: Float64Array, i: number, iEnd: number, b: Float64Array, j: number, jEnd: number, i0: number, j0: number, n: number, m: number, max: number, min: number, out = new Float64Array(2)): Float64Array {
  const di = i0 - i;
  const dj = j0 - j;
  while (i < iEnd || j < jEnd) {
    const v = j >= jEnd || (i < iEnd && a[i] <= b[j]) ? a[i] : b[j];
    while (i < iEnd && a[i] <= v) i++;
    while (j < jEnd && b[j] <= v) j++;
    const d = (di + i) / n - (dj + j) / m;
    if (d > max) max = d;
    if (d < min) min = d;
  }
  out[0] = max;
  out[1] = min;
  return out;
}

/** The statistic from the extremes of i/n − j/m, exactly as ksStatisticSorted forms it. */
function extremes(maxDiff: number, minDiff: number): number {
  const minS = Math.min(Math.max(-minDiff, 0), 1);
  return minS > maxDiff ? minS : maxDiff;
}

/** Runs f, prefixing a RangeError's message with the function and the sample it concerns. */
function named<T>(fn: string, what: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof RangeError) throw new RangeError(`${fn}: the ${what} ${err.message.replace(/^the sample /, '')}`);
    throw err;
  }
}
