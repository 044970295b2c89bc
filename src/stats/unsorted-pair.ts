/**
 * The KS statistic of two samples in any order, and the bin counts of the current one at frozen
 * edges, without sorting either sample. Bit for bit what sortedPairStats gives for `ksStatistic`
 * and `counts` (and ksStatisticSorted and binCounts), for a fraction of the work of sorting: a
 * few passes over each sample instead of a sort and a merge.
 *
 * Why it is exact:
 *  - Every value x gets the key trunc((x − lo) · scale), with lo the smallest value of both
 *    samples and scale > 0. Subtraction, multiplication by a positive number and truncation all
 *    round monotonically, so the key never decreases as x grows: a value with a higher key is
 *    strictly greater than one with a lower key.
 *  - So once every value of the buckets up to k is counted (i of the reference's n, j of the
 *    current's m), no value left is equal to one counted: the end of each non-empty bucket is a
 *    point where the merge of the two sorted samples evaluates i/n − j/m, with the same i and j,
 *    giving the same double.
 *  - Inside a bucket, each point's i and j lie between the bucket's counts at its start (i0, j0)
 *    and at its end (i1, j1). Division and subtraction round monotonically too, so the difference
 *    there lies between i0/n − j1/m and i1/n − j0/m as computed. A bucket is looked at value by
 *    value only when one of these bounds lies beyond the extremes found so far.
 *  - A bucket holding values of one sample only never needs to be: the difference moves one way
 *    through it, from its start (the previous bucket's end, or 0 before any value) to its end.
 *    Neither does a bucket whose values are all equal: its one point is its end.
 *  - A bucket that needs a closer look has its values gathered and is bucketed again in the same
 *    way, over its own smallest and largest values; a few values are sorted and merged instead.
 *
 * Bins are right-closed (a value's bin is the number of edges strictly below it). An edge e can
 * only have values of bucket key(e) on both sides of it; the values of every other bucket lie in
 * one bin, counted from the bucket's count alone, and those of the edges' buckets are binned one
 * by one.
 *
 * Requirements as sortedPairStats, but in any order: both samples non-empty, without NaN (a
 * RangeError), edges finite and strictly increasing, non-empty. `counts` (length
 * edges.length + 1) is zeroed and filled. Neither sample is modified. Returns the KS statistic,
 * or null when a sample holds ±Infinity, which has no key: the caller then sorts (sortedPairStats
 * requires finite values too; ksStatisticSorted and binCounts take them).
 */

import { binIndex } from './binning.js';
import { assertNonEmpty } from './special.js';

/** Up to this many values (both samples together), a bucket's values are sorted and merged. */
const MERGE_MAX = 64;
/** Bucketing again inside a bucket stops at this depth (sorting then): data crowded that badly are rare. */
const MAX_DEPTH = 12;
const MIN_BUCKETS = 256;
const MAX_BUCKETS = 65536;

/** The extremes of i/n − j/m found so far: [largest, smallest]. Both start at 0, see below. */
type Extremes = Float64Array;

export function unsortedPairStats(reference: Float64Array, current: Float64Array, edges: Float64Array, counts: Float64Array): number | null {
  const fn = 'unsortedPairStats';
  assertNonEmpty(fn, 'reference sample', reference);
  assertNonEmpty(fn, 'current sample', current);
  const ne = edges.length;
  if (ne === 0) throw new RangeError(`${fn}: edges are empty`);
  if (counts.length !== ne + 1) throw new RangeError(`${fn}: counts has length ${counts.length}, expected edges.length + 1 = ${ne + 1}`);
  for (let k = 0; k < ne; k++) {
    if (!Number.isFinite(edges[k]) || (k > 0 && !(edges[k] > edges[k - 1]))) throw new RangeError(`${fn}: edges must be finite and strictly increasing`);
  }
  const ends = new Float64Array(4);
  valueRange(fn, 'reference sample', reference, ends, 0);
  valueRange(fn, 'current sample', current, ends, 2);
  const lo = Math.min(ends[0], ends[2]);
  const hi = Math.max(ends[1], ends[3]);
  if (lo === -Infinity || hi === Infinity) return null;
  counts.fill(0);
  // The merge's last point, after every value, is n/n − m/m = 0 exactly; starting both extremes
  // at 0 therefore changes neither.
  const ext: Extremes = new Float64Array(2);
  scan(reference, current, 0, 0, reference.length, current.length, lo, hi, ext, edges, counts, 0);
  const maxDiff = ext[0];
  const minS = Math.min(Math.max(-ext[1], 0), 1);
  return minS > maxDiff ? minS : maxDiff;
}

/** The smallest and largest values of a, into out[at] and out[at + 1]; NaN throws. */
function valueRange(fn: string, what: string, a: Float64Array, out: Float64Array, at: number): void {
  let lo = Infinity;
  let hi = -Infinity;
  let nan = false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (x < lo) lo = x;
    if (x > hi) hi = x;
    if (x !== x) nan = true;
  }
  if (nan) throw new RangeError(`${fn}: the ${what} contains NaN; remove missing values first`);
  out[at] = lo;
  out[at + 1] = hi;
}

/**
 * Finds the extremes of (i0 + i)/n − (j0 + j)/m over the merge points of r and c (values all in
 * [lo, hi], preceded by i0 reference and j0 current values, all smaller), and, when `edges` is
 * given, adds c's values to `counts` by bin.
 */
function scan(r: Float64Array, c: Float64Array, i0: number, j0: number, n: number, m: number, lo: number, hi: number, ext: Extremes, edges: Float64Array | null, counts: Float64Array | null, depth: number): void {
  const p = r.length;
  const q = c.length;
  if (hi === lo) {
    // One value, one point: the end.
    note(ext, (i0 + p) / n - (j0 + q) / m);
    if (edges) counts![binIndex(edges, lo)] += q;
    return;
  }
  let buckets = MIN_BUCKETS;
  while (buckets < MAX_BUCKETS && buckets * 4 < p + q) buckets *= 2;
  const scale = buckets / (hi - lo);
  if (p + q <= MERGE_MAX || depth >= MAX_DEPTH || !(scale > 0 && scale < Infinity)) {
    sortAndMerge(r, c, i0, j0, n, m, ext, edges, counts);
    return;
  }
  // Keys run from 0 to `buckets` (hi's key may round up to it): buckets + 1 of them. After the
  // prefix sums, sr[k] is the number of r's values with a key below k (sr[buckets + 1] = p).
  const last = buckets + 1;
  const sr = new Int32Array(last + 1);
  const sc = new Int32Array(last + 1);
  for (let i = 0; i < p; i++) sr[((r[i] - lo) * scale) | 0]++;
  for (let j = 0; j < q; j++) sc[((c[j] - lo) * scale) | 0]++;
  prefixSums(sr);
  prefixSums(sc);

  // The buckets' ends.
  let max = ext[0];
  let min = ext[1];
  for (let k = 0; k < last; k++) {
    const ie = sr[k + 1];
    const je = sc[k + 1];
    if (ie === sr[k] && je === sc[k]) continue;
    const d = (i0 + ie) / n - (j0 + je) / m;
    if (d > max) max = d;
    if (d < min) min = d;
  }
  ext[0] = max;
  ext[1] = min;

  // Buckets to look into: 1 + their index in `order`, in `mark`; 0 elsewhere.
  const mark = new Int32Array(last);
  const order: number[] = [];
  for (let k = 0; k < last; k++) {
    const ib = sr[k];
    const ie = sr[k + 1];
    const jb = sc[k];
    const je = sc[k + 1];
    if (ib === ie || jb === je) continue;
    if ((i0 + ie) / n - (j0 + jb) / m > max || (i0 + ib) / n - (j0 + je) / m < min) {
      order.push(k);
      mark[k] = order.length;
    }
  }
  const edgeBuckets = edges ? binByBucket(sc, lo, hi, scale, edges, counts!, mark, order) : 0;
  if (order.length === 0) return;

  // Gather the marked buckets' values, bucket after bucket.
  const nm = order.length;
  const startR = new Int32Array(nm + 2);
  const startC = new Int32Array(nm + 2);
  for (let t = 0; t < nm; t++) {
    const k = order[t];
    startR[t + 2] = startR[t + 1] + sr[k + 1] - sr[k];
    startC[t + 2] = startC[t + 1] + sc[k + 1] - sc[k];
  }
  // startR[t + 1] is bucket t's write position (1-based t, as in mark) while gathering; its start after.
  const gr = new Float64Array(startR[nm + 1]);
  const gc = new Float64Array(startC[nm + 1]);
  for (let i = 0; i < p; i++) {
    const x = r[i];
    const t = mark[((x - lo) * scale) | 0];
    if (t !== 0) gr[startR[t]++] = x;
  }
  for (let j = 0; j < q; j++) {
    const x = c[j];
    const t = mark[((x - lo) * scale) | 0];
    if (t !== 0) gc[startC[t]++] = x;
  }
  // Now startR[t] is the end of bucket t (1-based), and so the start of bucket t + 1.
  for (let t = 0; t < nm; t++) {
    const k = order[t];
    const br = gr.subarray(t === 0 ? 0 : startR[t], startR[t + 1]);
    const bc = gc.subarray(t === 0 ? 0 : startC[t], startC[t + 1]);
    if (edgeBuckets > 0 && edges) {
      // (counts of an edge's bucket were left out by binByBucket)
      if (isEdgeBucket(k, lo, hi, scale, edges)) for (let j = 0; j < bc.length; j++) counts![binIndex(edges, bc[j])]++;
    }
    if (br.length === 0 || bc.length === 0) continue; // marked for its edge only
    const ib = sr[k];
    const ie = sr[k + 1];
    const jb = sc[k];
    const je = sc[k + 1];
    // Still worth a look, with the extremes found since?
    if (!((i0 + ie) / n - (j0 + jb) / m > ext[0] || (i0 + ib) / n - (j0 + je) / m < ext[1])) continue;
    let blo = Infinity;
    let bhi = -Infinity;
    for (let i = 0; i < br.length; i++) {
      const x = br[i];
      if (x < blo) blo = x;
      if (x > bhi) bhi = x;
    }
    for (let j = 0; j < bc.length; j++) {
      const x = bc[j];
      if (x < blo) blo = x;
      if (x > bhi) bhi = x;
    }
    scan(br, bc, i0 + ib, j0 + jb, n, m, blo, bhi, ext, null, null, depth + 1);
  }
}

function note(ext: Extremes, d: number): void {
  if (d > ext[0]) ext[0] = d;
  if (d < ext[1]) ext[1] = d;
}

/** Counts in place into exclusive prefix sums: a[k] becomes the sum of a[0..k). */
function prefixSums(a: Int32Array): void {
  let s = 0;
  for (let k = 0; k < a.length; k++) {
    const v = a[k];
    a[k] = s;
    s += v;
  }
}

/** Whether an edge lies in bucket k: values of that bucket may be on both sides of it. */
function isEdgeBucket(k: number, lo: number, hi: number, scale: number, edges: Float64Array): boolean {
  for (let t = 0; t < edges.length; t++) {
    const e = edges[t];
    if (e >= lo && e < hi && (((e - lo) * scale) | 0) === k) return true;
  }
  return false;
}

/**
 * Adds c's values to counts for every bucket that no edge lies in (all its values are in one bin),
 * and marks the buckets that edges lie in, for their values to be binned one by one (appending
 * them to `order`, kept ascending). Returns the number of edges' buckets.
 */
function binByBucket(sc: Int32Array, lo: number, hi: number, scale: number, edges: Float64Array, counts: Float64Array, mark: Int32Array, order: number[]): number {
  // Edges below lo are below every value; edges at or above hi are below none.
  let below = 0;
  const keys: number[] = [];
  for (let t = 0; t < edges.length; t++) {
    const e = edges[t];
    if (e < lo) below++;
    else if (e < hi) keys.push(((e - lo) * scale) | 0);
  }
  const last = sc.length - 1;
  let t = 0;
  let added = false;
  for (let k = 0; k < last; k++) {
    while (t < keys.length && keys[t] < k) t++;
    const inBucket = sc[k + 1] - sc[k];
    if (t < keys.length && keys[t] === k) {
      if (inBucket > 0 && mark[k] === 0) {
        order.push(k);
        mark[k] = order.length;
        added = true;
      }
    } else if (inBucket > 0) {
      counts[below + t] += inBucket;
    }
  }
  if (added) {
    order.sort((a, b) => a - b);
    for (let i = 0; i < order.length; i++) mark[order[i]] = i + 1;
  }
  let edgeBuckets = 0;
  for (let i = 0; i < keys.length; i++) if (i === 0 || keys[i] !== keys[i - 1]) edgeBuckets++;
  return edgeBuckets;
}

/** The merge of ksStatisticSorted over sorted copies of a few values, and their bins. */
function sortAndMerge(r: Float64Array, c: Float64Array, i0: number, j0: number, n: number, m: number, ext: Extremes, edges: Float64Array | null, counts: Float64Array | null): void {
  const a = r.slice().sort();
  const b = c.slice().sort();
  const p = a.length;
  const q = b.length;
  let i = 0;
  let j = 0;
  while (i < p || j < q) {
    const v = j >= q || (i < p && a[i] <= b[j]) ? a[i] : b[j];
    while (i < p && a[i] <= v) i++;
    while (j < q && b[j] <= v) j++;
    note(ext, (i0 + i) / n - (j0 + j) / m);
  }
  if (edges) for (let k = 0; k < q; k++) counts![binIndex(edges, b[k])]++;
}
