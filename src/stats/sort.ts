/**
 * Sorting Float64Array values ascending, faster than the built-in comparison sort for large
 * arrays: a least-significant-digit radix sort on the IEEE-754 bit patterns, 16 bits per pass
 * (4 passes), after flipping the bits so that unsigned order equals numeric order (negative
 * numbers: all bits flipped; positive: the sign bit flipped). The same order as
 * `Float64Array.prototype.sort` for finite values and ±Infinity, except that -0 sorts before +0
 * (the built-in sort keeps their input order; they compare equal either way). NaN is not allowed.
 * Sorts in place and returns the array.
 */

// Below this the built-in sort wins (the 65,536-entry digit counts cost more than they save).
const RADIX_MIN = 30_000;

export function sortFloat64(a: Float64Array): Float64Array {
  const n = a.length;
  if (n < RADIX_MIN) return a.sort();
  const bits = new Uint32Array(a.buffer, a.byteOffset, n * 2);
  // Keys: 64-bit unsigned order-preserving transform, as (hi, lo) 32-bit halves (little-endian).
  for (let i = 0; i < n; i++) {
    const hi = bits[2 * i + 1];
    if (hi & 0x80000000) {
      bits[2 * i + 1] = ~hi >>> 0;
      bits[2 * i] = ~bits[2 * i] >>> 0;
    } else bits[2 * i + 1] = (hi | 0x80000000) >>> 0;
  }
  let src: Uint32Array = bits;
  let dst: Uint32Array = new Uint32Array(n * 2);
  const count = new Uint32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const word = pass < 2 ? 0 : 1;
    const shift = (pass & 1) * 16;
    count.fill(0);
    for (let i = 0; i < n; i++) count[(src[2 * i + word] >>> shift) & 0xffff]++;
    // Skip a pass whose digit is the same everywhere (common for the high bits).
    if (count[(src[word] >>> shift) & 0xffff] === n) continue;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const lo = src[2 * i];
      const hi = src[2 * i + 1];
      const pos = count[((word ? hi : lo) >>> shift) & 0xffff]++;
      dst[2 * pos] = lo;
      dst[2 * pos + 1] = hi;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src !== bits) bits.set(src);
  for (let i = 0; i < n; i++) {
    const hi = bits[2 * i + 1];
    if (hi & 0x80000000) bits[2 * i + 1] = (hi & 0x7fffffff) >>> 0;
    else {
      bits[2 * i + 1] = ~hi >>> 0;
      bits[2 * i] = ~bits[2 * i] >>> 0;
    }
  }
  return a;
}
