/**
 * Null distributions of the one-sample Kolmogorov–Smirnov statistics, used by the two-sample
 * test's asymptotic path (scipy.stats.kstwo and scipy.special.smirnov).
 *
 *  - `smirnovSf(n, x)`  = P(D⁺ₙ >= x), the one-sided statistic, exact for every n.
 *  - `kstwoSf(n, x)`    = P(Dₙ >= x), the two-sided statistic Dₙ = sup |Fₙ − F|.
 *  - `kstwoCdf(n, x)`   = P(Dₙ <= x).
 *
 * The two-sided distribution is evaluated with the strategy of Simard & L'Ecuyer (2011): the
 * region of (n, x) decides between exact formulas (Ruben–Gambino tails, the Durbin matrix
 * evaluated as Marsaglia–Tsang–Wang, twice the one-sided tail where the two-sided overlap term
 * vanishes) and the Pelz–Good asymptotic series. The cut-offs are the ones scipy uses, so the two
 * implementations choose the same method at the same point. One deliberate difference: where
 * scipy applies Pomeranz's recursion (n <= 140, 0.754693 < n·x² <= 4) we use the Durbin matrix
 * instead; both are exact algorithms, the matrix there is at most 47×47, and the results agree
 * to rounding error.
 *
 * References
 *  [1] N. V. Smirnov (1944), "Approximate laws of distribution of random variables from
 *      empirical data", Uspekhi Mat. Nauk 10, 179–206.
 *  [2] Z. W. Birnbaum, F. H. Tingey (1951), "One-sided confidence contours for probability
 *      distribution functions", Ann. Math. Statist. 22(4), 592–596.
 *  [3] J. Durbin (1968), "The probability that the sample distribution function lies between two
 *      parallel straight lines", Ann. Math. Statist. 39, 398–411.
 *  [4] G. Marsaglia, W. W. Tsang, J. Wang (2003), "Evaluating Kolmogorov's distribution",
 *      J. Statistical Software 8(18), 1–4.
 *  [5] W. Pelz, I. J. Good (1976), "Approximating the lower tail-areas of the Kolmogorov–Smirnov
 *      one-sample statistic", J. Royal Statist. Soc. B 38(2), 152–156.
 *  [6] R. Simard, P. L'Ecuyer (2011), "Computing the two-sided Kolmogorov–Smirnov distribution",
 *      J. Statistical Software 39(11), 1–18.
 *  [7] H. Ruben, J. Gambino (1982), "The exact distribution of Kolmogorov's statistic Dn for
 *      n <= 10", Ann. Inst. Statist. Math. 34, 167–173.
 */

import { lgamma, logFactorialOverPower } from './special.js';

function clip01(p: number): number {
  return p < 0 ? 0 : p > 1 ? 1 : p;
}

function assertN(fn: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${fn}: n must be a positive integer, got ${n}`);
}

/**
 * P(D⁺ₙ >= x) by the Smirnov / Birnbaum–Tingey sum [1, 2]:
 *
 *   P(D⁺ₙ >= x) = Σ_{j=0}^{⌊n(1−x)⌋} C(n, j) · x · (x + j/n)^{j−1} · (1 − x − j/n)^{n−j}.
 *
 * Every term is positive, so the sum is evaluated in log space with a running maximum (no
 * overflow, no cancellation) and stops once the terms, past their peak, fall below e^-45 of it.
 */
export function smirnovSf(n: number, x: number): number {
  assertN('smirnovSf', n);
  if (x !== x) throw new RangeError('smirnovSf: x is NaN');
  if (x <= 0) return 1;
  if (x >= 1) return 0;
  if (n === 1) return 1 - x;
  const jmax = Math.floor(n * (1 - x));
  const logx = Math.log(x);
  const lgn1 = lgamma(n + 1);
  let maxLog = -Infinity;
  let scaled = 0; // Σ exp(logTerm − maxLog)
  let jAtMax = 0;
  for (let j = 0; j <= jmax; j++) {
    const s = x + j / n;
    const rest = 1 - s;
    if (rest < 0) break;
    let logTerm: number;
    if (j === 0) {
      logTerm = n * Math.log1p(-x);
    } else {
      const logC = lgn1 - lgamma(j + 1) - lgamma(n - j + 1);
      const tail = n - j === 0 ? 0 : (n - j) * Math.log1p(-s);
      logTerm = logC + logx + (j - 1) * Math.log(s) + tail;
    }
    if (logTerm === -Infinity) continue;
    if (logTerm > maxLog) {
      scaled = scaled * Math.exp(maxLog - logTerm) + 1;
      maxLog = logTerm;
      jAtMax = j;
    } else {
      scaled += Math.exp(logTerm - maxLog);
      if (j > jAtMax + 2 && logTerm < maxLog - 45) break;
    }
  }
  if (maxLog === -Infinity) return 0;
  return clip01(Math.exp(maxLog + Math.log(scaled)));
}

// ---------------------------------------------------------------------------------------------
// Durbin's matrix [3], evaluated as in Marsaglia, Tsang & Wang [4]: write n·x = k − h with k a
// positive integer and 0 <= h < 1, build the (2k−1)×(2k−1) matrix H, and
//   P(Dₙ < x) = n!/nⁿ · (Hⁿ)[k−1][k−1].
// Hⁿ is formed by repeated squaring; both factors are rescaled by exact powers of two whose
// exponents are carried separately, and n!/nⁿ is applied in log space at the end.

function matMul(a: Float64Array, b: Float64Array, out: Float64Array, m: number): void {
  out.fill(0);
  for (let i = 0; i < m; i++) {
    const io = i * m;
    for (let k = 0; k < m; k++) {
      const aik = a[io + k];
      if (aik === 0) continue;
      const ko = k * m;
      for (let j = 0; j < m; j++) out[io + j] += aik * b[ko + j];
    }
  }
}

/** Rescales `a` by a power of two so its largest |entry| is in [1, 2); returns the exponent removed. */
function normalize(a: Float64Array): number {
  let mx = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > mx) mx = v;
  }
  if (mx === 0 || !Number.isFinite(mx)) return 0;
  const e = Math.floor(Math.log2(mx));
  if (e === 0) return 0;
  // two steps so that 2^-e never overflows/underflows for |e| up to ~2000
  const half = Math.trunc(e / 2);
  const s1 = Math.pow(2, -half);
  const s2 = Math.pow(2, -(e - half));
  for (let i = 0; i < a.length; i++) a[i] = a[i] * s1 * s2;
  return e;
}

function durbinCdf(n: number, x: number): number {
  const t = n * x;
  const k = Math.ceil(t);
  const h = k - t;
  const m = 2 * k - 1;
  const H = new Float64Array(m * m);
  // 1/j! for j = 0..m
  const invFact = new Float64Array(m + 1);
  invFact[0] = 1;
  for (let j = 1; j <= m; j++) invFact[j] = invFact[j - 1] / j;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const d = i - j + 1;
      if (d >= 0) H[i * m + j] = invFact[d];
    }
  }
  for (let i = 0; i < m; i++) {
    // first column and last row lose h^p / p!
    H[i * m] -= Math.pow(h, i + 1) * invFact[i + 1];
    H[(m - 1) * m + i] -= Math.pow(h, m - i) * invFact[m - i];
  }
  // the corner was reduced twice; add back (2h − 1)^m / m! when 2h > 1
  if (2 * h - 1 > 0) H[(m - 1) * m] += Math.pow(2 * h - 1, m) * invFact[m];

  let base = H;
  let baseExp = 0;
  let res = new Float64Array(m * m);
  let resExp = 0;
  let resSet = false;
  let tmp = new Float64Array(m * m);
  let nn = n;
  while (nn > 0) {
    if (nn % 2 === 1) {
      if (!resSet) {
        res.set(base);
        resExp = baseExp;
        resSet = true;
      } else {
        matMul(res, base, tmp, m);
        [res, tmp] = [tmp, res];
        resExp += baseExp;
      }
      resExp += normalize(res);
    }
    nn = Math.floor(nn / 2);
    if (nn > 0) {
      matMul(base, base, tmp, m);
      [base, tmp] = [tmp, base];
      baseExp = 2 * baseExp + normalize(base);
    }
  }
  const v = res[(k - 1) * m + (k - 1)];
  if (!(v > 0)) return 0;
  return clip01(Math.exp(Math.log(v) + resExp * Math.LN2 + logFactorialOverPower(n)));
}

// ---------------------------------------------------------------------------------------------
// Pelz–Good [5]: with z = x·√n,
//   P(Dₙ <= x) ≈ K₀(z) + K₁(z)/√n + K₂(z)/n + K₃(z)/n^{3/2},
// each Kᵢ written (through the Jacobi theta transformation) as rapidly converging sums in
// q = exp(−π²/(8z²)) over odd integers plus, for K₂ and K₃, a sum in exp(−π²k²/(2z²)).

const PI2 = Math.PI * Math.PI;
const PI4 = PI2 * PI2;
const PI6 = PI4 * PI2;
const SQRT_2PI = Math.sqrt(2 * Math.PI);

function pelzGoodCdf(n: number, x: number): number {
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const z8 = z4 * z4;
  const logq = -PI2 / (8 * z2);
  if (logq < -708) return 0;
  const kmax = Math.ceil((16 * z) / Math.PI);
  // Σ over k >= 1 with w = (k − ½)², term weight exp(−π² w / (2 z²)) = q^{(2k−1)²}
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s2b = 0;
  let s3b = 0;
  for (let k = kmax; k >= 1; k--) {
    const w = (k - 0.5) * (k - 0.5);
    const e = Math.exp((-PI2 * w) / (2 * z2));
    s0 += e;
    s1 += (PI2 * w - z2) * e;
    s2 += (6 * z6 + 2 * z4 + PI2 * (2 * z4 - 5 * z2) * w + PI4 * (1 - 2 * z2) * w * w) * e;
    s3 +=
      (-30 * z6 - 90 * z8 + PI2 * (135 * z4 - 96 * z6) * w + PI4 * (212 * z4 - 60 * z2) * w * w +
        PI6 * (5 - 30 * z2) * w * w * w) *
      e;
    const k2 = k * k;
    const eb = Math.exp((-PI2 * k2) / (2 * z2));
    s2b += k2 * eb;
    s3b += (3 * z2 - PI2 * k2) * k2 * eb;
  }
  const sqrtHalfPi = Math.sqrt(Math.PI / 2);
  const K0 = (SQRT_2PI / z) * s0;
  const K1 = (sqrtHalfPi / (3 * z4)) * s1;
  const K2 = (sqrtHalfPi / (36 * z6 * z)) * s2 - ((PI2 * SQRT_2PI) / (36 * z2 * z)) * s2b;
  const K3 = (sqrtHalfPi / (3240 * z8 * z2)) * s3 + ((PI2 * SQRT_2PI) / (216 * z6)) * s3b;
  const sn = Math.sqrt(n);
  return K0 + K1 / sn + K2 / n + K3 / (n * sn);
}

// ---------------------------------------------------------------------------------------------

/** Two-sided one-sample KS distribution; returns [cdf, sf] with the accurate side computed directly. */
function kolmogorovTwoSided(n: number, x: number, wantSf: boolean): number {
  if (x >= 1) return wantSf ? 0 : 1;
  if (x <= 0) return wantSf ? 1 : 0;
  const t = n * x;
  const pick = (cdf: number, sf: number): number => clip01(wantSf ? sf : cdf);
  if (t <= 1) {
    if (t <= 0.5) return pick(0, 1);
    // Ruben–Gambino [7]: for 1/(2n) <= x <= 1/n, P(Dₙ <= x) = n!/nⁿ (2nx − 1)ⁿ
    const cdf = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    return pick(cdf, 1 - cdf);
  }
  if (t >= n - 1) {
    // Ruben–Gambino [7]: for 1 − 1/n <= x <= 1, P(Dₙ >= x) = 2(1 − x)ⁿ
    const sf = 2 * Math.pow(1 - x, n);
    return pick(1 - sf, sf);
  }
  if (x >= 0.5) {
    // D⁺ and D⁻ cannot both exceed 1/2, so the two-sided tail is exactly twice the one-sided one.
    const sf = 2 * smirnovSf(n, x);
    return pick(1 - sf, sf);
  }
  const nx2 = t * x;
  if (n <= 140) {
    if (nx2 <= 4) {
      const cdf = durbinCdf(n, x);
      return pick(cdf, 1 - cdf);
    }
    const sf = 2 * smirnovSf(n, x); // Miller's approximation; error far below 1e-10 here
    return pick(1 - sf, sf);
  }
  if (wantSf) {
    if (nx2 >= 370) return 0;
    if (nx2 >= 2.2) return clip01(2 * smirnovSf(n, x));
  }
  let cdf: number;
  if (nx2 >= 18) cdf = 1;
  else if (n <= 100000 && n * Math.pow(x, 1.5) <= 1.4) cdf = durbinCdf(n, x);
  else cdf = pelzGoodCdf(n, x);
  return pick(cdf, 1 - cdf);
}

/** P(Dₙ >= x) for the two-sided one-sample KS statistic (scipy.stats.kstwo.sf(x, n)). */
export function kstwoSf(n: number, x: number): number {
  assertN('kstwoSf', n);
  if (x !== x) throw new RangeError('kstwoSf: x is NaN');
  return kolmogorovTwoSided(n, x, true);
}

/** P(Dₙ <= x) for the two-sided one-sample KS statistic (scipy.stats.kstwo.cdf(x, n)). */
export function kstwoCdf(n: number, x: number): number {
  assertN('kstwoCdf', n);
  if (x !== x) throw new RangeError('kstwoCdf: x is NaN');
  return kolmogorovTwoSided(n, x, false);
}
