/**
 * Sorting Float64Array values ascending, faster than the built-in comparison sort from about a
 * hundred values on. Two least-significant-digit radix sorts, moving whole doubles, each followed
 * by a fix-up of the values that share a sort key (they are adjacent then, in input order):
 *
 * - By range (tried first): the key of x is its place in the range of the values,
 *   floor((x - min) * scale), a number of 2 × `bits` bits (16 to 22, growing with the length),
 *   sorted in 2 passes. The key never decreases as x grows (each step rounds monotonically), so
 *   sorting by key and then fixing up the runs of equal keys sorts the values. It is declined
 *   (nothing moved) when the range is not finite or too narrow for a scale, or when distinct
 *   values crowd into a few keys, as heavy tails make them (runs to fix up would be long): more
 *   than 1/CROWDED of a sample in one value of the high digit, or a range more than 4 times the
 *   sample's (the sample then says little). Should the fix-up still grow long, the sort is
 *   finished by high word.
 * - By high word (the fallback): the key is the high 32 bits of the IEEE-754 bit pattern (sign,
 *   exponent and 20 mantissa bits), read with the bits flipped so that unsigned order equals
 *   numeric order (negative numbers: all bits flipped; positive: the sign bit flipped), sorted in
 *   3 passes (digits of 10, 11 and 11 bits). A pass whose digit is the same for every value is
 *   skipped. Its cost does not depend on how the values spread.
 *
 * The same order as `Float64Array.prototype.sort` for finite values and ±Infinity: the result is
 * the same array of values, bit for bit (-0 sorts before +0, as there). NaN is not allowed.
 * Sorts in place and returns the array.
 *
 * Scratch memory: the values move through a temporary array as long as the input. It is kept
 * between calls in this module (grown as needed; one per thread, as each thread loads its own
 * module), so sorting column after column neither allocates nor faults in fresh memory each time.
 * It is safe because the sorts here are not re-entrant in any way: they call nothing that could
 * call them back, so the scratch is never in use twice at once, and it holds nothing a caller
 * could see (pure functions from the caller's view). The largest array sorted stays allocated
 * once more.
 */

// Below these the built-in sort wins (measured): the sort by range from 128 values on; the sort by
// high word from 3,000 (below, its 5,120 digit counts cost more than they save).
const RANGE_MIN = 128;
const HIGH_WORD_MIN = 3_000;
// Runs of equal high words up to this length are fixed by insertion; longer ones by the built-in sort.
const INSERTION_MAX = 32;
// Moves (per value) the fix-up by one insertion sort may make before it goes run by run.
const FIX_BUDGET = 8;
// sortByRange declines values when, in a sample of every SAMPLE_STEP-th one, more than 1/CROWDED
// share one value of the high digit without being all equal.
const CROWDED = 16;
const SAMPLE_STEP = 16;

const D0 = 1 << 10;
const D1 = 1 << 11;
const D2 = 1 << 11;

/** The scratch array (see the module comment); null until the first radix sort. */
let scratch: Float64Array | null = null;
/** Digit counts: of the three passes by high word; c1 and c2 also of the two passes by range. */
const c0 = new Int32Array(D0);
const c1 = new Int32Array(D1);
const c2 = new Int32Array(D2);
/** sortByRange's sample: the first value seen, and whether another one was, per high digit. */
const first = new Float64Array(D1);
const mixed = new Uint8Array(D1);

export function sortFloat64(a: Float64Array): Float64Array {
  sortAndTell(a);
  return a;
}

/** Which sort sortFloat64 used. */
export type SortUsed = 'built-in' | 'range' | 'high word';

/** sortFloat64, telling which sort it used (for benchmarks). */
export function sortAndTell(a: Float64Array): SortUsed {
  const n = a.length;
  if (n >= RANGE_MIN && sortByRange(a)) return 'range';
  if (n < HIGH_WORD_MIN) {
    a.sort();
    return 'built-in';
  }
  sortByHighWord(a);
  return 'high word';
}

/** Scratch of at least n doubles (see the module comment). */
function scratchFor(n: number): Float64Array {
  if (scratch === null || scratch.length < n) scratch = new Float64Array(n);
  return scratch;
}

/**
 * Sorts `a` by the place of each value in their range (see the module comment) and returns true,
 * or returns false without changing `a` when the values do not suit it.
 */
export function sortByRange(a: Float64Array): boolean {
  const n = a.length;
  if (n < 2) return false;
  // Digits of `bits` bits: keys have about 32 times as many values as there are numbers to sort.
  const bits = Math.min(11, Math.max(8, Math.ceil((Math.log2(n) + 5) / 2)));
  const size = 1 << bits;
  const mask = size - 1;
  const top = size * size - 2; // (the 2 under size² leave room for rounding: keys stay below size²)
  const lo = c1;
  const hi = c2;
  // A look at every SAMPLE_STEP-th value first, so that values which do not suit cost little:
  // do many distinct ones crowd into one value of the high digit, keyed by the sample's range?
  // (Many equal values are no trouble: they cost the fix-up nothing.)
  let sMin = a[0];
  let sMax = a[0];
  let sampled = 0;
  for (let i = 0; i < n; i += SAMPLE_STEP) {
    const x = a[i];
    if (x < sMin) sMin = x;
    else if (x > sMax) sMax = x;
    sampled++;
  }
  let scale = top / (sMax - sMin);
  // An infinite value, a range too wide for a double, all values equal or too close for a scale.
  if (!(scale > 0 && scale < Infinity)) return false;
  hi.fill(0, 0, size);
  mixed.fill(0, 0, size);
  for (let i = 0; i < n; i += SAMPLE_STEP) {
    const x = a[i];
    const d = ((x - sMin) * scale) >>> bits;
    if (hi[d]++ === 0) first[d] = x;
    else if (x !== first[d]) mixed[d] = 1;
  }
  for (let d = 0; d < size; d++) if (mixed[d] === 1 && hi[d] * CROWDED > sampled) return false;
  let min = sMin;
  let max = sMax;
  for (let i = 0; i < n; i++) {
    const x = a[i];
    if (x < min) min = x;
    else if (x > max) max = x;
  }
  // Far outside the sample's range: the sample said little about how the values spread.
  if (!(max - min <= 4 * (sMax - sMin))) return false;
  scale = top / (max - min);
  if (!(scale > 0)) return false; // (a range too wide for a double after all)
  lo.fill(0, 0, size);
  hi.fill(0, 0, size);
  for (let i = 0; i < n; i++) {
    const k = ((a[i] - min) * scale) | 0;
    lo[k & mask]++;
    hi[k >>> bits]++;
  }
  let sumLo = 0;
  let sumHi = 0;
  for (let d = 0; d < size; d++) {
    const l = lo[d];
    lo[d] = sumLo;
    sumLo += l;
    const h = hi[d];
    hi[d] = sumHi;
    sumHi += h;
  }
  const tmp = scratchFor(n);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    tmp[lo[((x - min) * scale) & mask]++] = x;
  }
  for (let i = 0; i < n; i++) {
    const x = tmp[i];
    a[hi[((x - min) * scale) >>> bits]++] = x;
  }
  if (!insertionFix(a, n)) sortByHighWord(a);
  else if (min <= 0 && max >= 0) zerosInOrder(a, n);
  return true;
}

/**
 * Equal keys left -0 and +0 in input order, as equals: they are put as the built-in sort puts
 * them, every -0 before every +0.
 */
function zerosInOrder(a: Float64Array, n: number): void {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (a[m] < 0) lo = m + 1;
    else hi = m;
  }
  let end = lo;
  let negative = 0;
  for (; end < n && a[end] === 0; end++) if (1 / a[end] < 0) negative++;
  for (let i = lo; i < end; i++) a[i] = i < lo + negative ? -0 : 0;
}

/** Sorts `a` by the high words of its values (see the module comment). */
export function sortByHighWord(a: Float64Array): Float64Array {
  const n = a.length;
  if (n < 2) return a;
  const aw = new Uint32Array(a.buffer, a.byteOffset, n * 2);
  const tmp = scratchFor(n);
  const tw = new Uint32Array(tmp.buffer, 0, n * 2);
  c0.fill(0);
  c1.fill(0);
  c2.fill(0);
  for (let i = 0; i < n; i++) {
    const hi = aw[2 * i + 1];
    const k = hi ^ ((hi >> 31) | 0x80000000);
    c0[k & 0x3ff]++;
    c1[(k >>> 10) & 0x7ff]++;
    c2[k >>> 21]++;
  }
  // digit of the first value: a pass is needed unless every value has it
  const h0 = aw[1] ^ ((aw[1] >> 31) | 0x80000000);
  let src: Float64Array = a;
  let srcW: Uint32Array = aw;
  let dst: Float64Array = tmp;
  let dstW: Uint32Array = tw;
  for (let pass = 0; pass < 3; pass++) {
    const count = pass === 0 ? c0 : pass === 1 ? c1 : c2;
    const shift = pass === 0 ? 0 : pass === 1 ? 10 : 21;
    const mask = pass === 0 ? 0x3ff : 0x7ff;
    if (count[(h0 >>> shift) & mask] === n) continue;
    let sum = 0;
    for (let d = 0; d < count.length; d++) {
      const c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const hi = srcW[2 * i + 1];
      const k = hi ^ ((hi >> 31) | 0x80000000);
      dst[count[(k >>> shift) & mask]++] = src[i];
    }
    const t = src;
    src = dst;
    dst = t;
    const tw2 = srcW;
    srcW = dstW;
    dstW = tw2;
  }
  if (src !== a) a.set(src.subarray(0, n));
  fixRuns(a, aw, n);
  return a;
}

/**
 * Values with equal keys are adjacent after the passes, in input order, and only they can be out
 * of order: one insertion sort over the whole array puts them in order, and costs little as long
 * as such runs are short (it only tests each value against the one before it, a branch that
 * mostly goes one way). Returns false, the array still in order of keys with its start sorted,
 * once it would move values more than FIX_BUDGET times the length (long runs).
 */
function insertionFix(a: Float64Array, n: number): boolean {
  let budget = FIX_BUDGET * n;
  for (let i = 1; i < n; i++) {
    const x = a[i];
    if (x < a[i - 1]) {
      let q = i - 1;
      do {
        a[q + 1] = a[q];
        q--;
      } while (q >= 0 && a[q] > x);
      a[q + 1] = x;
      budget -= i - q;
      if (budget < 0) return false;
    }
  }
  return true;
}

/** The fix-up after sorting by high words: by insertion, or when runs are long, run by run. */
function fixRuns(a: Float64Array, aw: Uint32Array, n: number): void {
  if (!insertionFix(a, n)) fixRunByRun(a, aw, n);
}

/** fixRuns for long runs: each run of equal high words sorted on its own. */
function fixRunByRun(a: Float64Array, aw: Uint32Array, n: number): void {
  let start = 0;
  for (let i = 1; i <= n; i++) {
    if (i < n && aw[2 * i + 1] === aw[2 * i - 1]) continue;
    const len = i - start;
    if (len > INSERTION_MAX) a.subarray(start, i).sort();
    else if (len > 1) {
      for (let p = start + 1; p < i; p++) {
        const x = a[p];
        let q = p - 1;
        while (q >= start && a[q] > x) {
          a[q + 1] = a[q];
          q--;
        }
        a[q + 1] = x;
      }
    }
    start = i;
  }
}
