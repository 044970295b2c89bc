/**
 * Reference-quantile binning shared by the binned distances (PSI, Jensen–Shannon, Hellinger, L∞).
 *
 *  - `referenceEdges(reference, bins)`: inner edges at the reference's quantiles 1/bins, …,
 *    (bins−1)/bins, computed exactly as numpy.quantile(..., method='linear') (Hyndman & Fan 1996,
 *    definition 7), then sorted and de-duplicated (numpy.unique). A constant reference therefore
 *    yields a single edge.
 *  - `binCounts(values, edges)`: edges.length + 1 bins; bin 0 = (−∞, e₀], bin i = (e_{i−1}, e_i],
 *    last bin = (e_last, +∞). Equivalent to numpy.searchsorted(edges, x, side='left'); binary
 *    search per value, no allocation beyond the output.
 *    `binCountsSorted(sorted, edges)`: the same for values sorted ascending, one binary search
 *    per edge.
 *  - `proportions(counts)`: counts / Σ counts.
 *
 * NaN is rejected with a RangeError (callers remove missing values). ±Infinity is binned
 * normally (into the outer bins).
 *
 * R. J. Hyndman, Y. Fan (1996), "Sample quantiles in statistical packages", The American
 * Statistician 50(4), 361–365.
 */

import { keyOf, orderStatisticsGathered, type GatheredBuckets, type ValueBuckets } from './select.js';
import { assertNoNaN, assertNonEmpty, assertSortedEnds } from './special.js';

/** Inner bin edges from the reference's quantiles; see the module comment. The sample is not sorted (see orderStatistics). */
export function referenceEdges(reference: Float64Array, bins = 10): Float64Array {
  return edgesOf(reference, bins, null).edges;
}

/** `referenceEdges` for a reference already sorted ascending. */
export function referenceEdgesSorted(sorted: Float64Array, bins = 10): Float64Array {
  assertNonEmpty('referenceEdges', 'reference sample', sorted);
  checkBins(bins);
  assertSortedEnds('referenceEdges', 'reference sample', sorted);
  const raw = new Float64Array(bins - 1);
  for (let k = 1; k < bins; k++) raw[k - 1] = quantileSorted(sorted, k / bins);
  return distinctSorted(raw);
}

/**
 * The edges of a reference in any order, as referenceEdges, and its counts by bin, as
 * binCounts(reference, edges): what a reference snapshot needs, without sorting the sample.
 * `buckets`: bucketValues(reference), when the caller keeps them.
 */
export function referenceBins(reference: Float64Array, bins = 10, buckets?: ValueBuckets | null): { edges: Float64Array; counts: Float64Array } {
  const { edges, buckets: b, gathered: g } = edgesOf(reference, bins, buckets ?? null);
  if (!b || !g) return { edges, counts: binCounts(reference, edges) };
  // An edge's bucket holds one of the quantiles' ranks, so it was gathered (if not, all values
  // are binned one by one).
  const counts = new Float64Array(edges.length + 1);
  for (const k of binWholeBuckets(b.start, b, edges, counts)) {
    const m = g.mark[k] - 1;
    if (m < 0) return { edges, counts: binCounts(reference, edges) };
    for (let i = g.from[m]; i < g.from[m + 1]; i++) counts[binIndex(edges, g.values[i])]++;
  }
  return { edges, counts };
}

/**
 * Bins by bucket: adds to `counts` the values of every bucket that no edge falls in (they all
 * lie in the bin of the edges below the bucket), from the prefix counts `start` (length K + 4)
 * of a sample in the buckets `b`. Returns the keys, ascending, of the non-empty buckets an edge
 * falls in, whose values the caller bins one by one.
 */
export function binWholeBuckets(start: Int32Array, b: ValueBuckets, edges: Float64Array, counts: Float64Array): number[] {
  const ne = edges.length;
  const keys = new Int32Array(ne);
  for (let t = 0; t < ne; t++) keys[t] = keyOf(edges[t], b.lo, b.scale, b.size);
  const left: number[] = [];
  let t = 0;
  for (let k = 0; k < start.length - 1; k++) {
    while (t < ne && keys[t] < k) t++;
    const c = start[k + 1] - start[k];
    if (c === 0) continue;
    if (t < ne && keys[t] === k) left.push(k);
    else counts[t] += c;
  }
  return left;
}

/** The edges, from order statistics (bucketing the sample unless `buckets` is given). */
function edgesOf(reference: Float64Array, bins: number, buckets: ValueBuckets | null): { edges: Float64Array; buckets: ValueBuckets | null; gathered: GatheredBuckets | null } {
  assertNonEmpty('referenceEdges', 'reference sample', reference);
  checkBins(bins);
  const n = reference.length;
  // The ranks each quantile interpolates between, then their values, found without a sort.
  const ranks: number[] = [];
  for (let k = 1; k < bins; k++) {
    const [i0, i1] = quantileRanks(n, k / bins);
    ranks.push(i0, i1);
  }
  const found = orderStatisticsGathered(reference, ranks, buckets);
  const raw = new Float64Array(bins - 1);
  for (let k = 1; k < bins; k++) raw[k - 1] = interpolate(found.values[2 * k - 2], found.values[2 * k - 1], quantileRanks(n, k / bins)[2]);
  return { edges: distinctSorted(raw), buckets: found.buckets, gathered: found.gathered };
}

function checkBins(bins: number): void {
  if (!Number.isInteger(bins) || bins < 2) {
    throw new RangeError(`referenceEdges: bins must be an integer >= 2, got ${bins}`);
  }
}

/** Sorted and de-duplicated (numpy.unique), in place; the distinct prefix. */
function distinctSorted(raw: Float64Array): Float64Array {
  raw.sort();
  let w = 0;
  for (let k = 0; k < raw.length; k++) {
    if (w === 0 || raw[k] !== raw[w - 1]) raw[w++] = raw[k];
  }
  return raw.slice(0, w);
}

/**
 * Quantile q in [0, 1] of an ascending-sorted array with numpy's default 'linear' method:
 * virtual index (n−1)·q, then interpolation between neighbours, computed as numpy does
 * (a + (b−a)·t for t < ½, b − (b−a)·(1−t) otherwise) so results agree bit for bit.
 */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantile: the sample is empty');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile: q must be in [0, 1], got ${q}`);
  const [i0, i1, t] = quantileRanks(n, q);
  return interpolate(sorted[i0], sorted[i1], t);
}

/** The two ranks numpy's 'linear' quantile q of n values interpolates between, and the weight t. */
function quantileRanks(n: number, q: number): [number, number, number] {
  const vi = (n - 1) * q;
  const lo = Math.floor(vi);
  const t = vi - lo;
  return [Math.min(Math.max(lo, 0), n - 1), Math.min(Math.max(lo + 1, 0), n - 1), t];
}

function interpolate(a: number, b: number, t: number): number {
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** Index of the right-closed bin holding x: the number of edges strictly below x. */
export function binIndex(edges: Float64Array, x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Checks the edges (non-empty, no NaN, strictly increasing) and returns `out` zeroed, or new counts. */
function countsFor(edges: Float64Array, out: Float64Array | undefined): Float64Array {
  const nb = edges.length + 1;
  if (edges.length === 0) throw new RangeError('binCounts: edges are empty');
  assertNoNaN('binCounts', 'edges', edges);
  for (let i = 1; i < edges.length; i++) {
    if (!(edges[i] > edges[i - 1])) throw new RangeError('binCounts: edges must be strictly increasing');
  }
  if (!out) return new Float64Array(nb);
  if (out.length !== nb) {
    throw new RangeError(`binCounts: out has length ${out.length}, expected edges.length + 1 = ${nb}`);
  }
  return out.fill(0);
}

/**
 * Counts of `values` per bin (edges.length + 1 bins, right-closed; see the module comment).
 * `out` (length edges.length + 1) is zeroed and reused when given, so a streaming caller can
 * avoid allocation.
 */
export function binCounts(values: Float64Array, edges: Float64Array, out?: Float64Array): Float64Array {
  const counts = countsFor(edges, out);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (x !== x) throw new RangeError(`binCounts: values contain NaN at index ${i}; remove missing values first`);
    counts[binIndex(edges, x)] += 1;
  }
  return counts;
}

/**
 * `binCounts` for values already sorted ascending: the same counts, from one binary search per
 * edge instead of one per value (the count of bin k is the number of values <= edge k minus the
 * number <= edge k−1). Requirements as binCounts, plus the order (NaN is rejected at either end,
 * where a sort puts it).
 */
export function binCountsSorted(sorted: Float64Array, edges: Float64Array, out?: Float64Array): Float64Array {
  const counts = countsFor(edges, out);
  assertSortedEnds('binCounts', 'sorted values', sorted);
  const n = sorted.length;
  let below = 0; // values <= the previous edge
  for (let k = 0; k < edges.length; k++) {
    // first index from `below` on whose value is > edges[k]
    const e = edges[k];
    let lo = below;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid] > e) hi = mid;
      else lo = mid + 1;
    }
    counts[k] = lo - below;
    below = lo;
  }
  counts[edges.length] = n - below;
  return counts;
}

/** counts / Σ counts. Throws when the total is not positive or a count is negative/NaN. */
export function proportions(counts: Float64Array, out?: Float64Array): Float64Array {
  if (counts.length === 0) throw new RangeError('proportions: counts are empty');
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (!(c >= 0) || c === Infinity) throw new RangeError(`proportions: count ${c} at index ${i} is not a finite non-negative number`);
    total += c;
  }
  if (!(total > 0)) throw new RangeError('proportions: counts sum to zero (empty sample)');
  const p = out ?? new Float64Array(counts.length);
  if (p.length !== counts.length) throw new RangeError('proportions: out has the wrong length');
  for (let i = 0; i < counts.length; i++) p[i] = counts[i] / total;
  return p;
}

/**
 * Aligns categorical counts over the union of categories: returns two count arrays, one entry per
 * category in `categories` order (reference categories first in their order, then categories only
 * seen in the current data). Categories absent on one side get 0 there.
 */
export function categoricalCounts(
  reference: ReadonlyMap<string, number> | Record<string, number>,
  current: ReadonlyMap<string, number> | Record<string, number>,
): { categories: string[]; reference: Float64Array; current: Float64Array } {
  const refEntries = reference instanceof Map ? [...reference.entries()] : Object.entries(reference);
  const curEntries = current instanceof Map ? [...current.entries()] : Object.entries(current);
  const index = new Map<string, number>();
  const categories: string[] = [];
  for (const [k] of refEntries) if (!index.has(k)) { index.set(k, categories.length); categories.push(k); }
  for (const [k] of curEntries) if (!index.has(k)) { index.set(k, categories.length); categories.push(k); }
  const r = new Float64Array(categories.length);
  const c = new Float64Array(categories.length);
  for (const [k, v] of refEntries) r[index.get(k) as number] += v;
  for (const [k, v] of curEntries) c[index.get(k) as number] += v;
  return { categories, reference: r, current: c };
}

/** `categoricalCounts` followed by `proportions` on both sides. */
export function categoricalProportions(
  reference: ReadonlyMap<string, number> | Record<string, number>,
  current: ReadonlyMap<string, number> | Record<string, number>,
): { categories: string[]; reference: Float64Array; current: Float64Array } {
  const aligned = categoricalCounts(reference, current);
  return {
    categories: aligned.categories,
    reference: proportions(aligned.reference),
    current: proportions(aligned.current),
  };
}
