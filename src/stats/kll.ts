/**
 * KLL quantile sketch: a bounded-memory, mergeable summary of a stream of numbers from which
 * ranks, quantiles and the (approximate) empirical CDF can be read, plus `ksFromSketch`, the
 * two-sample KS test of an exact reference sample against a sketched window.
 *
 * Algorithm (Karnin, Lang & Liberty 2016). The sketch is a stack of compactors. Level h holds
 * items that each stand for 2^h stream values. Level h has capacity
 *   cap(h) = max(KLL_MIN_CAPACITY, ceil(k · (2/3)^(H−1−h)))
 * where H is the number of levels, so the top level holds about k items and the capacities
 * shrink geometrically towards level 0. A new value is appended to level 0. When the total
 * number of items reaches Σ cap(h), the lowest level that is at or above its capacity is
 * compacted: its items are sorted, one item is held back if their count is odd, and of the rest
 * either the items at even or the items at odd positions (one fair coin flip) move up one level,
 * where their weight doubles; the others are discarded. The total weight therefore stays exactly
 * n, and each compaction changes the weighted count of values <= x by at most 2^h, by +2^h or
 * −2^h with equal probability (an unbiased error). If the top level is compacted a new level is
 * added above it. `merge` concatenates the two sketches level by level and compacts until the
 * size bound holds again, so a merged sketch has the same guarantees as one built on the union.
 *
 * Memory. The items live in one Float64Array, levels stored contiguously (top level first,
 * level 0 last so that `update` is an append). The number of items never exceeds
 * Σ_{d=0}^{H−1} max(8, ceil(k·(2/3)^d)) <= 3k + 9·H, and H <= KLL_MAX_LEVELS because the
 * top level's weight 2^(H−1) cannot exceed n <= 2^53. The buffer starts small and doubles up
 * to that bound, so `byteSize()` is bounded for every n (see `kllMaxByteSize(k)`); updates do
 * not allocate (only the occasional buffer growth, at most ~log2(bound) times over a lifetime).
 *
 * Error. With probability 1 − δ, every rank estimate is within ε·n of the truth for
 * ε = O(sqrt(log(1/δ))/k) (the paper's analysis of this capacity schedule). Measured here, as
 * the largest error over ALL ranks at once (sup_x |F_sketch(x) − F(x)|) on uniform, normal,
 * lognormal and heavily tied streams of 10^3..10^6 values (52 runs): 0.0109 with k = 200,
 * 0.0044 with k = 512 and 0.0021 with k = 1024 (about 2.2/k; the often quoted "1.65/k" is a
 * single-rank figure and undershoots the simultaneous error). KS in sketch mode needs the
 * simultaneous error below 0.01, hence KLL_DEFAULT_K = 1024 (27 684 bytes at most, any n).
 *
 * Determinism. The coin flips come from a mulberry32 generator seeded by `seed` (default: a
 * fixed constant), so the same values in the same order with the same seed always give the
 * same sketch, bit for bit; the generator state is serialized, so a deserialized sketch
 * continues exactly as the original would have. (`sortedView` sorts each level in place; that
 * changes the order of items inside a level, which `serialize` shows, but never a result:
 * compaction sorts a level before choosing from it.)
 *
 * Input: NaN is rejected with a RangeError (callers remove missing values); ±Infinity is
 * accepted (only the order of values matters).
 *
 * Reference
 *  - Z. Karnin, K. Lang, E. Liberty (2016), "Optimal Quantile Approximation in Streams",
 *    IEEE 57th Annual Symposium on Foundations of Computer Science (FOCS), 71–78,
 *    arXiv:1603.05346.
 */

import { ksAsymptoticPValue } from './ks.js';
import type { KsResult } from './ks.js';
import { mulberryMix, mulberryStep } from './random.js';
import { assertNonEmpty, assertSortedEnds } from './special.js';

/** Default k: chosen so that the KS statistic from a sketch stays within 0.01 of the exact one. */
export const KLL_DEFAULT_K = 1024;
/** Smallest accepted k. */
export const KLL_MIN_K = 8;
/** Largest accepted k (keeps every sketch, whatever n, within 64 KiB: see kllMaxByteSize). */
export const KLL_MAX_K = 2600;
/** Capacity floor of the low levels (as in Apache DataSketches' KLL). */
export const KLL_MIN_CAPACITY = 8;
/** Upper bound on the number of levels: the top level's weight 2^(H−1) is at most n <= 2^53. */
export const KLL_MAX_LEVELS = 56;
/** Seed used when none is given. */
export const KLL_DEFAULT_SEED = 0x5eed_d71f;

const CAPACITY_RATIO = 2 / 3;
const INITIAL_ITEMS = 256;
const MAGIC = 0x4c4c4b44; // "DKLL" little-endian
const FORMAT_VERSION = 1;
const HEADER_BYTES = 4 + 4 + 4 + 4 + 8 + 8 + 8 + 4 + 4; // magic, version, k, H, n, min, max, rng, size

/** Capacity of the level at `depth` below the top (depth 0 = top level). */
function capacityAtDepth(k: number, depth: number): number {
  const c = Math.ceil(k * Math.pow(CAPACITY_RATIO, depth) - 1e-9);
  return c > KLL_MIN_CAPACITY ? c : KLL_MIN_CAPACITY;
}

/** Σ of the capacities of a sketch with `levels` levels. */
function totalCapacity(k: number, levels: number): number {
  let s = 0;
  for (let d = 0; d < levels; d++) s += capacityAtDepth(k, d);
  return s;
}

/** Most items a sketch with this k can ever hold (the buffer never grows beyond this). */
function maxItems(k: number): number {
  return totalCapacity(k, KLL_MAX_LEVELS);
}

/** Memory bound of a KllSketch with this k, in bytes, valid for every n. */
export function kllMaxByteSize(k: number = KLL_DEFAULT_K): number {
  checkK(k);
  return maxItems(k) * 8 + (2 * KLL_MAX_LEVELS + 1) * 4;
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < KLL_MIN_K || k > KLL_MAX_K) {
    throw new RangeError(`KllSketch: k must be an integer in [${KLL_MIN_K}, ${KLL_MAX_K}], got ${k}`);
  }
}

/**
 * Sorts xs[a..b) ascending in place without allocating: introsort (quicksort with median-of-three
 * and Hoare partitioning, which copes with ties; insertion sort for short ranges; heapsort when
 * the recursion gets too deep, so adversarial streams cannot make it quadratic). No NaN present.
 * (TypedArray.prototype.sort is avoided: on a subarray view it allocates and was ~10x slower
 * here.)
 */
function sortRange(xs: Float64Array, a: number, b: number): void {
  introsort(xs, a, b - 1, 2 * Math.floor(Math.log2(Math.max(b - a, 1))) + 4);
}

function introsort(xs: Float64Array, lo: number, hi: number, depth: number): void {
  while (hi - lo > 24) {
    if (depth-- === 0) {
      heapsort(xs, lo, hi);
      return;
    }
    const mid = lo + ((hi - lo) >>> 1);
    // median of three to xs[mid]
    if (xs[mid] < xs[lo]) swap(xs, mid, lo);
    if (xs[hi] < xs[lo]) swap(xs, hi, lo);
    if (xs[hi] < xs[mid]) swap(xs, hi, mid);
    const pivot = xs[mid];
    let i = lo - 1;
    let j = hi + 1;
    for (;;) {
      do i++; while (xs[i] < pivot);
      do j--; while (xs[j] > pivot);
      if (i >= j) break;
      swap(xs, i, j);
    }
    // [lo, j] <= pivot <= [j+1, hi]; recurse on the smaller part
    if (j - lo < hi - j - 1) {
      introsort(xs, lo, j, depth);
      lo = j + 1;
    } else {
      introsort(xs, j + 1, hi, depth);
      hi = j;
    }
  }
  for (let i = lo + 1; i <= hi; i++) {
    const x = xs[i];
    let j = i - 1;
    while (j >= lo && xs[j] > x) {
      xs[j + 1] = xs[j];
      j--;
    }
    xs[j + 1] = x;
  }
}

function swap(xs: Float64Array, i: number, j: number): void {
  const t = xs[i];
  xs[i] = xs[j];
  xs[j] = t;
}

function heapsort(xs: Float64Array, lo: number, hi: number): void {
  const n = hi - lo + 1;
  const sift = (root: number, end: number): void => {
    for (;;) {
      let child = 2 * root + 1;
      if (child >= end) return;
      if (child + 1 < end && xs[lo + child + 1] > xs[lo + child]) child++;
      if (xs[lo + root] >= xs[lo + child]) return;
      swap(xs, lo + root, lo + child);
      root = child;
    }
  };
  for (let i = (n >>> 1) - 1; i >= 0; i--) sift(i, n);
  for (let end = n - 1; end > 0; end--) {
    swap(xs, lo, lo + end);
    sift(0, end);
  }
}

/** Items and weights of a sketch, sorted ascending by value, equal values combined. */
export interface KllSortedView {
  /** Distinct retained values, ascending. */
  values: Float64Array;
  /** weights[i] = number of stream values that values[i] stands for; Σ weights = n. */
  weights: Float64Array;
}

/** KLL quantile sketch; see the module comment. */
export class KllSketch {
  readonly k: number;
  /** Items of all levels: level H−1 at [edges[H], edges[H−1]), …, level 0 at [edges[1], edges[0]). */
  private items: Float64Array;
  /** edges[h] = end of level h (exclusive) = start of level h−1; edges[0] = size, edges[H] = 0. */
  private readonly edges: Int32Array;
  /** caps[d] = capacity of the level at depth d below the top. */
  private readonly caps: Int32Array;
  private levels = 1;
  private capacityTotal: number;
  private count = 0;
  private lo = Infinity;
  private hi = -Infinity;
  private rng: number;
  private view: KllSortedView | null = null;

  constructor(k: number = KLL_DEFAULT_K, seed: number = KLL_DEFAULT_SEED) {
    checkK(k);
    if (!Number.isFinite(seed)) throw new RangeError(`KllSketch: seed must be a finite number, got ${seed}`);
    this.k = k;
    this.rng = seed | 0;
    this.items = new Float64Array(Math.min(INITIAL_ITEMS, maxItems(k)));
    this.edges = new Int32Array(KLL_MAX_LEVELS + 1);
    this.caps = new Int32Array(KLL_MAX_LEVELS);
    for (let d = 0; d < KLL_MAX_LEVELS; d++) this.caps[d] = capacityAtDepth(k, d);
    this.capacityTotal = totalCapacity(k, 1);
  }

  /** Number of values summarised (exact). */
  get n(): number {
    return this.count;
  }

  /** Smallest value seen (exact); NaN for an empty sketch. */
  get min(): number {
    return this.count === 0 ? NaN : this.lo;
  }

  /** Largest value seen (exact); NaN for an empty sketch. */
  get max(): number {
    return this.count === 0 ? NaN : this.hi;
  }

  /** Number of levels currently in use. */
  get numLevels(): number {
    return this.levels;
  }

  /** Number of items currently retained. */
  get retained(): number {
    return this.edges[0];
  }

  /** Adds one value. NaN throws a RangeError. */
  update(x: number): void {
    if (x !== x) throw new RangeError('KllSketch.update: value is NaN; remove missing values first');
    if (x < this.lo) this.lo = x;
    if (x > this.hi) this.hi = x;
    this.count++;
    this.view = null;
    let size = this.edges[0];
    if (size === this.items.length) this.grow(size + 1);
    this.items[size] = x;
    this.edges[0] = ++size;
    if (size >= this.capacityTotal) this.compactLowest();
  }

  /** Adds every value of `xs` (NaN throws, values before it are kept). */
  updateAll(xs: ArrayLike<number>): void {
    for (let i = 0; i < xs.length; i++) this.update(xs[i]);
  }

  /**
   * Merges `other` into this sketch (`other` is not modified). Both must have the same k.
   * The result summarises the union of both streams with the same error guarantee.
   */
  merge(other: KllSketch): void {
    if (!(other instanceof KllSketch)) throw new RangeError('KllSketch.merge: other is not a KllSketch');
    if (other.k !== this.k) {
      throw new RangeError(`KllSketch.merge: k differs (${this.k} vs ${other.k}); sketches must share k`);
    }
    if (other.count === 0) return;
    if (other === this) {
      // merging a sketch with itself: merge a copy
      this.merge(KllSketch.deserialize(this.serialize()));
      return;
    }
    const levels = Math.max(this.levels, other.levels);
    const total = this.edges[0] + other.edges[0];
    // Build the concatenated levels in a scratch buffer (may exceed the bound until compacted).
    const scratch = new Float64Array(Math.max(total, 1));
    const newEdges = new Int32Array(KLL_MAX_LEVELS + 1);
    let w = 0;
    for (let h = levels - 1; h >= 0; h--) {
      if (h < this.levels) {
        const a = this.edges[h + 1];
        const b = this.edges[h];
        scratch.set(this.items.subarray(a, b), w);
        w += b - a;
      }
      if (h < other.levels) {
        const a = other.edges[h + 1];
        const b = other.edges[h];
        scratch.set(other.items.subarray(a, b), w);
        w += b - a;
      }
      newEdges[h] = w;
    }
    // newEdges[h] currently = end of level h counted from the top; that is exactly our layout.
    newEdges[levels] = 0;
    this.items = scratch;
    this.edges.set(newEdges);
    this.levels = levels;
    this.capacityTotal = totalCapacity(this.k, levels);
    this.count += other.count;
    if (other.lo < this.lo) this.lo = other.lo;
    if (other.hi > this.hi) this.hi = other.hi;
    // Decorrelate the coin flips from the other sketch's (they may share a seed).
    this.rng = mulberryMix(mulberryStep((this.rng ^ Math.imul(other.rng, 0x9e3779b1)) | 0)) | 0;
    this.view = null;
    while (this.edges[0] >= this.capacityTotal) this.compactLowest();
    // Shrink the buffer back to within the bound.
    const bound = maxItems(this.k);
    if (this.items.length > bound) {
      const cap = Math.min(bound, Math.max(INITIAL_ITEMS, this.edges[0]));
      const next = new Float64Array(cap);
      next.set(this.items.subarray(0, this.edges[0]));
      this.items = next;
    }
  }

  /**
   * Estimated fraction of the values that are <= x (the right-continuous empirical CDF at x).
   * Exact at and beyond the extremes: 0 below min, 1 at or above max.
   */
  rank(x: number): number {
    if (this.count === 0) throw new RangeError('KllSketch.rank: the sketch is empty');
    if (x !== x) throw new RangeError('KllSketch.rank: x is NaN');
    if (x < this.lo) return 0;
    if (x >= this.hi) return 1;
    let weight = 0;
    for (let h = 0; h < this.levels; h++) {
      const a = this.edges[h + 1];
      const b = this.edges[h];
      let c = 0;
      for (let i = a; i < b; i++) if (this.items[i] <= x) c++;
      weight += c * 2 ** h;
    }
    return weight / this.count;
  }

  /**
   * Estimated q-quantile, q in [0, 1]: the smallest retained value v whose estimated rank
   * (weight of values <= v, over n) is >= q (the inverse of the right-continuous CDF).
   * quantile(0) = min and quantile(1) = max, exactly.
   */
  quantile(q: number): number {
    if (this.count === 0) throw new RangeError('KllSketch.quantile: the sketch is empty');
    if (!(q >= 0 && q <= 1)) throw new RangeError(`KllSketch.quantile: q must be in [0, 1], got ${q}`);
    if (q === 0) return this.lo;
    if (q === 1) return this.hi;
    const { values, weights } = this.sortedView();
    const target = q * this.count;
    let cum = 0;
    for (let i = 0; i < values.length; i++) {
      cum += weights[i];
      if (cum >= target) return values[i];
    }
    return this.hi;
  }

  /**
   * Retained values, ascending and distinct, each with the number of stream values it stands
   * for (Σ weights = n). The estimated CDF is F(x) = Σ_{values[i] <= x} weights[i] / n.
   * The returned arrays are cached until the next update/merge and must not be modified.
   */
  sortedView(): KllSortedView {
    if (this.view) return this.view;
    const size = this.edges[0];
    let values = new Float64Array(size);
    let weights = new Float64Array(size);
    let tmpV = new Float64Array(size);
    let tmpW = new Float64Array(size);
    let len = 0;
    // Sort each level in place (order inside a level carries no meaning: compaction sorts
    // anyway) and merge it into the running result.
    for (let h = this.levels - 1; h >= 0; h--) {
      const a = this.edges[h + 1];
      const b = this.edges[h];
      if (b === a) continue;
      sortRange(this.items, a, b);
      const lvl = this.items.subarray(a, b);
      const wt = 2 ** h;
      let i = 0;
      let j = 0;
      let o = 0;
      const m = b - a;
      while (i < len || j < m) {
        if (j >= m || (i < len && values[i] <= lvl[j])) {
          tmpV[o] = values[i];
          tmpW[o++] = weights[i++];
        } else {
          tmpV[o] = lvl[j++];
          tmpW[o++] = wt;
        }
      }
      len = o;
      [values, tmpV] = [tmpV, values];
      [weights, tmpW] = [tmpW, weights];
    }
    // combine equal values
    let d = 0;
    for (let i = 0; i < len; i++) {
      if (d > 0 && values[d - 1] === values[i]) {
        weights[d - 1] += weights[i];
      } else {
        values[d] = values[i];
        weights[d++] = weights[i];
      }
    }
    this.view = { values: values.slice(0, d), weights: weights.slice(0, d) };
    return this.view;
  }

  /** Bytes held by this sketch's buffers (items and level edges; the cached view excluded). */
  byteSize(): number {
    return this.items.byteLength + this.edges.byteLength + this.caps.byteLength;
  }

  /** Compact binary form (little-endian); `KllSketch.deserialize` restores it exactly. */
  serialize(): Uint8Array {
    const size = this.edges[0];
    const bytes = HEADER_BYTES + (this.levels + 1) * 4 + size * 8;
    const out = new Uint8Array(bytes);
    const dv = new DataView(out.buffer);
    let o = 0;
    dv.setUint32(o, MAGIC, true); o += 4;
    dv.setUint32(o, FORMAT_VERSION, true); o += 4;
    dv.setUint32(o, this.k, true); o += 4;
    dv.setUint32(o, this.levels, true); o += 4;
    dv.setFloat64(o, this.count, true); o += 8;
    dv.setFloat64(o, this.lo, true); o += 8;
    dv.setFloat64(o, this.hi, true); o += 8;
    dv.setInt32(o, this.rng, true); o += 4;
    dv.setUint32(o, size, true); o += 4;
    for (let h = 0; h <= this.levels; h++) { dv.setUint32(o, this.edges[h], true); o += 4; }
    for (let i = 0; i < size; i++) { dv.setFloat64(o, this.items[i], true); o += 8; }
    return out;
  }

  /** Inverse of `serialize`; malformed or inconsistent input throws a RangeError. */
  static deserialize(bytes: Uint8Array): KllSketch {
    const fail = (why: string): never => {
      throw new RangeError(`KllSketch.deserialize: ${why}`);
    };
    if (!(bytes instanceof Uint8Array)) fail('input is not a Uint8Array');
    if (bytes.byteLength < HEADER_BYTES) fail(`input too short (${bytes.byteLength} bytes)`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let o = 0;
    if (dv.getUint32(o, true) !== MAGIC) fail('bad magic number (not a KLL sketch)');
    o += 4;
    const version = dv.getUint32(o, true); o += 4;
    if (version !== FORMAT_VERSION) fail(`unsupported format version ${version}`);
    const k = dv.getUint32(o, true); o += 4;
    if (!(k >= KLL_MIN_K && k <= KLL_MAX_K)) fail(`k = ${k} out of range`);
    const levels = dv.getUint32(o, true); o += 4;
    if (!(levels >= 1 && levels <= KLL_MAX_LEVELS)) fail(`level count ${levels} out of range`);
    const count = dv.getFloat64(o, true); o += 8;
    const lo = dv.getFloat64(o, true); o += 8;
    const hi = dv.getFloat64(o, true); o += 8;
    const rng = dv.getInt32(o, true); o += 4;
    const size = dv.getUint32(o, true); o += 4;
    if (!Number.isSafeInteger(count) || count < 0) fail(`n = ${count} is not a non-negative integer`);
    if (size > maxItems(k)) fail(`${size} items exceed the bound for k = ${k}`);
    if (bytes.byteLength !== HEADER_BYTES + (levels + 1) * 4 + size * 8) fail('length does not match the header');
    const s = new KllSketch(k, rng);
    s.levels = levels;
    s.capacityTotal = totalCapacity(k, levels);
    for (let h = 0; h <= levels; h++) { s.edges[h] = dv.getUint32(o, true); o += 4; }
    if (s.edges[0] !== size || s.edges[levels] !== 0) fail('level edges do not span the items');
    for (let h = 0; h < levels; h++) if (s.edges[h] < s.edges[h + 1]) fail('level edges are not monotone');
    s.items = new Float64Array(Math.min(maxItems(k), Math.max(INITIAL_ITEMS, size)));
    let weight = 0;
    for (let h = 0; h < levels; h++) weight += (s.edges[h] - s.edges[h + 1]) * 2 ** h;
    if (weight !== count) fail(`item weights sum to ${weight}, header says n = ${count}`);
    for (let i = 0; i < size; i++) {
      const x = dv.getFloat64(o, true); o += 8;
      if (x !== x) fail('an item is NaN');
      if (x < lo || x > hi) fail('an item lies outside [min, max]');
      s.items[i] = x;
    }
    if (count > 0 && !(lo <= hi)) fail('min > max');
    s.count = count;
    s.lo = count === 0 ? Infinity : lo;
    s.hi = count === 0 ? -Infinity : hi;
    s.rng = rng;
    return s;
  }

  // ---- internals ----------------------------------------------------------------------------

  private nextBit(): number {
    this.rng = mulberryStep(this.rng);
    return mulberryMix(this.rng) >>> 31;
  }

  private grow(need: number): void {
    const bound = maxItems(this.k);
    const cap = Math.min(bound, Math.max(need, this.items.length * 2));
    if (cap < need) throw new RangeError('KllSketch: internal error, item bound exceeded');
    const next = new Float64Array(cap);
    next.set(this.items.subarray(0, this.edges[0]));
    this.items = next;
  }

  /** Compacts the lowest level holding at least its capacity (one must exist when size >= Σ cap). */
  private compactLowest(): void {
    const H = this.levels;
    for (let h = 0; h < H; h++) {
      if (this.edges[h] - this.edges[h + 1] >= this.caps[H - 1 - h]) {
        this.compactLevel(h);
        return;
      }
    }
    throw new RangeError('KllSketch: internal error, no level at capacity');
  }

  private compactLevel(h: number): void {
    if (h === this.levels - 1) {
      if (this.levels === KLL_MAX_LEVELS) throw new RangeError('KllSketch: level limit reached (n beyond 2^53)');
      // new empty top level at the front: [edges[H+1], edges[H]) = [0, 0)
      this.levels++;
      this.edges[this.levels] = 0;
      this.capacityTotal = totalCapacity(this.k, this.levels);
    }
    const items = this.items;
    const a = this.edges[h + 1];
    const b = this.edges[h];
    const len = b - a;
    sortRange(items, a, b);
    const odd = len & 1;
    const half = (len - odd) >>> 1;
    const r = this.nextBit();
    // keep every other item of the first len−odd (sorted) items; they join level h+1
    for (let i = 0; i < half; i++) items[a + i] = items[a + 2 * i + r];
    const keptEnd = a + half;
    // level h keeps its largest item when the count was odd
    if (odd) items[keptEnd] = items[b - 1];
    const newB = keptEnd + odd;
    const size = this.edges[0];
    if (newB < b) {
      items.copyWithin(newB, b, size);
      const shift = b - newB;
      for (let j = 0; j < h; j++) this.edges[j] -= shift;
    }
    this.edges[h + 1] = keptEnd;
    this.edges[h] = newB;
  }
}

/**
 * Two-sample KS test of an exact, ascending-sorted reference sample against a sketched window.
 *
 * Statistic: D = sup_x |F_ref(x) − F_sketch(x)|, both CDFs right-continuous, evaluated at every
 * reference value and every retained sketch value (where both step functions jump, so this is
 * the supremum over all x). Since the exact window CDF differs from F_sketch by at most the
 * sketch's rank error ε everywhere, |D − D_exact| <= ε.
 *
 * p-value: always the asymptotic path, ksAsymptoticPValue(D, n_ref, sketch.n) (as `ks` uses when
 * max(n, m) > 10 000). It is APPROXIMATE twice over: asymptotic, and computed from an approximate
 * D — at large n the p-value is very sensitive to D, so treat it as indicative and prefer
 * thresholds on D itself when using sketch mode.
 *
 * Only the ends of `referenceSorted` are checked (O(1)), as for `ksSorted`.
 */
export function ksFromSketch(referenceSorted: Float64Array, sketch: KllSketch): KsResult {
  assertNonEmpty('ksFromSketch', 'reference sample', referenceSorted);
  assertSortedEnds('ksFromSketch', 'reference sample', referenceSorted);
  if (!(sketch instanceof KllSketch)) throw new RangeError('ksFromSketch: sketch is not a KllSketch');
  if (sketch.n === 0) throw new RangeError('ksFromSketch: the sketch is empty');
  const { values, weights } = sketch.sortedView();
  const a = referenceSorted;
  const n1 = a.length;
  const n2 = sketch.n;
  const m = values.length;
  let i = 0;
  let j = 0;
  let cum = 0;
  let maxDiff = -Infinity;
  let minDiff = Infinity;
  while (i < n1 || j < m) {
    const v = j >= m || (i < n1 && a[i] <= values[j]) ? a[i] : values[j];
    while (i < n1 && a[i] <= v) i++;
    while (j < m && values[j] <= v) cum += weights[j++];
    const diff = i / n1 - cum / n2;
    if (diff > maxDiff) maxDiff = diff;
    if (diff < minDiff) minDiff = diff;
  }
  const minS = Math.min(Math.max(-minDiff, 0), 1);
  const d = Math.min(Math.max(minS > maxDiff ? minS : maxDiff, 0), 1);
  return { statistic: d, pValue: ksAsymptoticPValue(d, n1, n2), method: 'asymptotic' };
}
