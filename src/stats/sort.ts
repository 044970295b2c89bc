/**
 * Sorting Float64Array values ascending, faster than the built-in comparison sort from a few
 * thousand values on: a least-significant-digit radix sort on the high 32 bits of the IEEE-754 bit
 * patterns (digits of 10, 11 and 11 bits: 3 passes), moving whole doubles, then a fix-up of the
 * runs of values that share their high 32 bits (sign, exponent and 20 mantissa bits): by insertion,
 * or when runs are long, run by run, long runs by the built-in sort. The digits are read from the bits flipped so that
 * unsigned order equals numeric order (negative numbers: all bits flipped; positive: the sign bit
 * flipped). A pass whose digit is the same for every value is skipped.
 *
 * The same order as `Float64Array.prototype.sort` for finite values and ±Infinity: the result is
 * the same array of values, bit for bit (-0 sorts before +0, as there). NaN is not allowed.
 * Sorts in place and returns the array.
 *
 * Scratch memory: the values move through a temporary array as long as the input. It is kept
 * between calls in this module (grown as needed; one per thread, as each thread loads its own
 * module), so sorting column after column neither allocates nor faults in fresh memory each time.
 * It is safe because sortFloat64 is not re-entrant in any way: it calls nothing that could call it
 * back, so the scratch is never in use twice at once, and it holds nothing a caller could see (a
 * pure function from the caller's view). The largest array sorted stays allocated once more.
 */

// Below this the built-in sort wins (measured: the 5,120 digit counts cost more than they save).
const RADIX_MIN = 3_000;
// Runs of equal high words up to this length are fixed by insertion; longer ones by the built-in sort.
const INSERTION_MAX = 32;
// Moves (per value) the fix-up by one insertion sort may make before it goes run by run.
const FIX_BUDGET = 8;

const D0 = 1 << 10;
const D1 = 1 << 11;
const D2 = 1 << 11;

/** The scratch array (see the module comment); null until the first radix sort. */
let scratch: Float64Array | null = null;
/** Digit counts of the three passes, zeroed by each sort. */
const c0 = new Int32Array(D0);
const c1 = new Int32Array(D1);
const c2 = new Int32Array(D2);

export function sortFloat64(a: Float64Array): Float64Array {
  const n = a.length;
  if (n < RADIX_MIN) return a.sort();
  const aw = new Uint32Array(a.buffer, a.byteOffset, n * 2);
  if (scratch === null || scratch.length < n) scratch = new Float64Array(n);
  const tmp = scratch;
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
 * Values with equal high words are adjacent after the passes, in input order, and only they can
 * be out of order: one insertion sort over the whole array puts them in order, and costs little
 * as long as such runs are short (it only tests each value against the one before it, a branch
 * that mostly goes one way). Should it have moved values more than FIX_BUDGET times the length (long
 * runs), the rest is done run by run instead, long runs by the built-in sort: the array is still
 * in order of high words then, its start sorted.
 */
function fixRuns(a: Float64Array, aw: Uint32Array, n: number): void {
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
      if (budget < 0) return fixRunByRun(a, aw, n);
    }
  }
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
