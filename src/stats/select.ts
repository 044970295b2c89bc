/**
 * Buckets of a sample by a monotone key, and the order statistics they give without a sort.
 *
 * The key of x, for a sample with smallest value lo and a scale > 0 (K buckets over its range):
 *   key = trunc(min(max((x − lo) · scale + 1, 0), K + 2))   (every operation rounded as doubles).
 * Subtraction, multiplication by a positive number, addition, the clamps and truncation all round
 * or cut monotonically, so the key never decreases as x grows: a value with a higher key is strictly
 * greater than one with a lower key, whatever lo and scale are. That is all the statistics built
 * on it need (here, unsorted-pair.ts, binning.ts). Values of the sample itself get keys 1 to K + 1;
 * 0 and K + 2 hold values of another sample below and above its range (±Infinity included).
 *
 * orderStatistics: the value of rank r lies in the bucket where the running count passes r; only
 * the buckets holding a wanted rank are gathered and sorted. Results are bit for bit those of
 * indexing a sorted copy, -0 before +0 (they share a key, and the bucket's sort orders them).
 * A sample that cannot be bucketed (infinite values, a range of 0 or too wide for a double) is
 * sorted whole, a copy. NaN throws a RangeError: callers remove missing values first.
 */

import { countKeysWasm, gatherWasm } from './bucket-kernel.js';
import { sortFloat64 } from './sort.js';

const MIN_BUCKETS = 256;
const MAX_BUCKETS = 16384;
/** A gathered bucket up to this size is sorted by the built-in sort, above it by sortFloat64. */
const SMALL = 2048;

export interface ValueBuckets {
  /** The sample's smallest value and the scale of the key (see the module comment). */
  readonly lo: number;
  readonly scale: number;
  /** K: keys run from 0 to K + 2. */
  readonly size: number;
  /** start[k]: the number of the sample's values with a key below k (length K + 4; the last is n). */
  readonly start: Int32Array;
}

/**
 * The buckets of a sample, or null when it cannot be bucketed (see the module comment). `lo` and
 * `hi`, when known, spare a pass; they must be the sample's smallest and largest values.
 */
export function bucketValues(values: Float64Array, lo?: number, hi?: number): ValueBuckets | null {
  const n = values.length;
  if (lo === undefined || hi === undefined) {
    lo = Infinity;
    hi = -Infinity;
    let nan = false;
    for (let i = 0; i < n; i++) {
      const x = values[i];
      if (x < lo) lo = x;
      if (x > hi) hi = x;
      if (x !== x) nan = true;
    }
    if (nan) throw new RangeError('the sample contains NaN; remove missing values first');
  }
  let size = MIN_BUCKETS;
  while (size < MAX_BUCKETS && size * 4 < n) size *= 2;
  const scale = size / (hi - lo);
  if (!(lo > -Infinity && hi < Infinity && scale > 0 && scale < Infinity)) return null;
  const start = new Int32Array(size + 4);
  countOwnKeys(values, lo, hi, scale, size, start);
  prefixSums(start);
  return { lo, scale, size, start };
}

/**
 * Adds each value's key to counts[key] (counts of length K + 4 or more). NaN throws.
 */
export function countKeys(values: Float64Array, lo: number, scale: number, size: number, counts: Int32Array): void {
  const nan = countKeysWasm(values, lo, scale, size, counts);
  if (nan > 0) throwNaN(values);
  if (nan === 0) return;
  countKeysHere(values, lo, scale, size, counts);
}

/** countKeys in TypeScript (where the kernel does not run: see bucket-kernel.ts). */
function countKeysHere(values: Float64Array, lo: number, scale: number, size: number, counts: Int32Array): void {
  const last = size + 2;
  let nan = false;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (x !== x) nan = true;
    counts[Math.min(Math.max((x - lo) * scale + 1, 0), last) | 0]++;
  }
  if (nan) throwNaN(values);
}

/**
 * countKeys for the sample whose extremes are lo and hi: its keys lie in 1..K + 1 (see the module
 * comment), so none needs the clamps, which cost a third of the pass. That the values do lie
 * there is checked on the counts afterwards (a key out of range is dropped or lands in 0 or K + 2;
 * NaN gives 0), so wrong extremes throw instead of miscounting. `counts` must be zero.
 */
function countOwnKeys(values: Float64Array, lo: number, hi: number, scale: number, size: number, counts: Int32Array): void {
  // (the kernel clamps, which changes no key of the sample's own, and counts NaN at key 0)
  if (countKeysWasm(values, lo, scale, size, counts) < 0) {
    for (let i = 0; i < values.length; i++) counts[((values[i] - lo) * scale + 1) | 0]++;
  }
  let inside = 0;
  for (let k = 1; k <= size + 1; k++) inside += counts[k];
  if (inside === values.length) return;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (x !== x) throwNaN(values);
    if (!(x >= lo && x <= hi)) throw new RangeError(`the sample has ${x} at index ${i}, outside the range [${lo}, ${hi}] it was bucketed by`);
  }
  throw new RangeError('bucketValues: the keys fell outside 1..K + 1 (scale and range disagree)');
}

function throwNaN(values: Float64Array): never {
  let i = 0;
  while (values[i] === values[i]) i++;
  throw new RangeError(`the sample contains NaN at index ${i}; remove missing values first`);
}

/** The key of x (see the module comment). */
export function keyOf(x: number, lo: number, scale: number, size: number): number {
  return Math.min(Math.max((x - lo) * scale + 1, 0), size + 2) | 0;
}

/** Counts in place into exclusive prefix sums: a[k] becomes the sum of a[0..k). */
export function prefixSums(a: Int32Array): void {
  let s = 0;
  for (let k = 0; k < a.length; k++) {
    const v = a[k];
    a[k] = s;
    s += v;
  }
}

/** The values of some buckets of a sample, gathered and each sorted ascending. */
export interface GatheredBuckets {
  /** 1 + the bucket's place among the gathered keys, or 0 for buckets not gathered (indexed by key). */
  readonly mark: Int32Array;
  /** Bucket t's values are values[from[t]..from[t + 1]) (t from 0), sorted. */
  readonly from: Int32Array;
  readonly values: Float64Array;
}

/**
 * Gathers and sorts the values of the buckets `keys` (ascending, distinct) of a bucketed sample.
 * `own`: b was made from this very sample (bucketValues), so its keys need no clamps. Either way,
 * a sample whose keys do not match b's counts throws.
 */
export function gatherBuckets(sample: Float64Array, b: ValueBuckets, keys: readonly number[], own = false): GatheredBuckets {
  const { lo, scale, size, start } = b;
  const nm = keys.length;
  const mark = new Int32Array(size + 3);
  const from = new Int32Array(nm + 1);
  const at = new Int32Array(nm + 1); // at[t]: where bucket t (1-based, as in mark) writes next
  let total = 0;
  for (let t = 0; t < nm; t++) {
    const k = keys[t];
    mark[k] = t + 1;
    from[t] = total;
    at[t + 1] = total;
    total += start[k + 1] - start[k];
  }
  from[nm] = total;
  const values = new Float64Array(total);
  if (nm > 0 && gatherWasm(sample, lo, scale, size, mark, at, values)) {
    // (done by the kernel, which clamps: the same keys, own sample or not)
  } else if (nm > 0 && own) {
    // (the key of keyOf without its clamps, as countOwnKeys counted it)
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i];
      const t = mark[((x - lo) * scale + 1) | 0];
      if (t !== 0) values[at[t]++] = x;
    }
  } else if (nm > 0) {
    // (the key of keyOf, written out: no call per value)
    const last = size + 2;
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i];
      const t = mark[Math.min(Math.max((x - lo) * scale + 1, 0), last) | 0];
      if (t !== 0) values[at[t]++] = x;
    }
  }
  for (let t = 0; t < nm; t++) {
    if (at[t + 1] !== from[t + 1]) throw new RangeError(`gatherBuckets: bucket ${keys[t]} holds ${at[t + 1] - from[t]} values of the sample, its count says ${from[t + 1] - from[t]}`);
  }
  for (let t = 0; t < nm; t++) {
    const part = values.subarray(from[t], from[t + 1]);
    if (part.length > SMALL) {
      // (a bucket of one value, as with few distinct values, needs no sort; zeros may differ in sign)
      let i = 1;
      const v = part[0];
      while (i < part.length && part[i] === v) i++;
      if (i < part.length || v === 0) sortFloat64(part);
    } else part.sort();
  }
  return { mark, from, values };
}

/** The key of the bucket holding rank r: the last k with start[k] <= r (such a bucket is not empty). */
function bucketOfRank(start: Int32Array, r: number): number {
  let a = 0;
  let b = start.length - 1;
  while (b - a > 1) {
    const mid = (a + b) >>> 1;
    if (start[mid] <= r) a = mid;
    else b = mid;
  }
  return a;
}

/**
 * The values of ranks `ranks` (whole numbers in [0, values.length)) of `values` sorted ascending.
 * `buckets`: the sample's buckets when the caller has them (bucketValues of these very values).
 */
export function orderStatistics(values: Float64Array, ranks: ArrayLike<number>, buckets?: ValueBuckets | null): Float64Array {
  return orderStatisticsGathered(values, ranks, buckets).values;
}

/** orderStatistics, and the sample's buckets and those it gathered (null when the sample was sorted whole). */
export function orderStatisticsGathered(values: Float64Array, ranks: ArrayLike<number>, buckets?: ValueBuckets | null): { values: Float64Array; buckets: ValueBuckets | null; gathered: GatheredBuckets | null } {
  const n = values.length;
  const out = new Float64Array(ranks.length);
  for (let i = 0; i < ranks.length; i++) {
    const r = ranks[i];
    if (!Number.isInteger(r) || r < 0 || r >= n) throw new RangeError(`orderStatistics: rank ${r} is not a whole number from 0 to ${n - 1}`);
  }
  if (ranks.length === 0) return { values: out, buckets: null, gathered: null };
  let b: ValueBuckets | null;
  try {
    b = buckets ?? bucketValues(values);
  } catch (err) {
    throw new RangeError(`orderStatistics: ${(err as Error).message}`);
  }
  if (b === null) {
    const sorted = sortFloat64(values.slice());
    for (let i = 0; i < ranks.length; i++) out[i] = sorted[ranks[i]];
    return { values: out, buckets: null, gathered: null };
  }
  const keys: number[] = [];
  for (let i = 0; i < ranks.length; i++) keys.push(bucketOfRank(b.start, ranks[i]));
  const distinct = [...new Set(keys)].sort((x, y) => x - y);
  const g = gatherBuckets(values, b, distinct, true);
  for (let i = 0; i < ranks.length; i++) {
    const k = keys[i];
    out[i] = g.values[g.from[g.mark[k] - 1] + ranks[i] - b.start[k]];
  }
  return { values: out, buckets: b, gathered: g };
}
