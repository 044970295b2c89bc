/**
 * Shared numerical helpers for src/stats: log-gamma, the regularized incomplete gamma functions,
 * compensated summation, numpy-style rounding and the cheap input checks every statistic uses.
 *
 * This module (like all of src/stats) imports nothing from the rest of driftline. Invalid input
 * raises a plain `RangeError` whose message names the function and the problem.
 */

/** Throws `RangeError("<fn>: the <what> is empty")` when `a` has no elements. */
export function assertNonEmpty(fn: string, what: string, a: ArrayLike<number>): void {
  if (a.length === 0) throw new RangeError(`${fn}: the ${what} is empty`);
}

/** Throws when any element of `a` is NaN (a full O(n) scan, no allocation). */
export function assertNoNaN(fn: string, what: string, a: ArrayLike<number>): void {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (x !== x) throw new RangeError(`${fn}: the ${what} contains NaN at index ${i}; remove missing values first`);
  }
}

/** Throws when any element of `a` is NaN or ±Infinity. */
export function assertFinite(fn: string, what: string, a: ArrayLike<number>): void {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (!Number.isFinite(x)) {
      throw new RangeError(
        `${fn}: the ${what} contains a non-finite value (${x}) at index ${i}; remove missing values first`,
      );
    }
  }
}

/**
 * Checks an array that the caller declares sorted ascending (with `Float64Array.prototype.sort`
 * semantics, which puts NaN last). Only the ends are inspected — O(1) — so NaN is caught, but a
 * wrongly unsorted array is not: passing `sorted: true` is a promise.
 */
export function assertSortedEnds(fn: string, what: string, a: ArrayLike<number>): void {
  const n = a.length;
  if (n === 0) return;
  const first = a[0];
  const last = a[n - 1];
  if (first !== first || last !== last) {
    throw new RangeError(`${fn}: the ${what} contains NaN; remove missing values first`);
  }
  if (first > last) throw new RangeError(`${fn}: the ${what} was declared sorted but is not ascending`);
}

/** A sorted copy of `a` (numeric ascending; NaN would end up last). `a` itself is not modified. */
export function sortedCopy(a: Float64Array): Float64Array {
  return a.slice().sort();
}

/**
 * Rounds half to even, as `numpy.round` does (JavaScript's `Math.round` rounds half up).
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  if (Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

/** Greatest common divisor of two non-negative integers (Euclid). */
export function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/**
 * Neumaier's improved Kahan–Babuška summation over `x[0..n)`: error bounded independently of n.
 * A. Neumaier, "Rundungsfehleranalyse einiger Verfahren zur Summation endlicher Summen",
 * ZAMM 54 (1974) 39–51.
 */
export function compensatedSum(x: ArrayLike<number>): number {
  let s = 0;
  let c = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const t = s + v;
    if (Math.abs(s) >= Math.abs(v)) c += s - t + v;
    else c += v - t + s;
    s = t;
  }
  return s + c;
}

// Lanczos approximation, g = 7, nine coefficients (P. Godfrey's table). Relative error of Γ is
// around 1e-15 over the positive reals. C. Lanczos, "A precision approximation of the gamma
// function", SIAM J. Numer. Anal. B 1 (1964) 86–96.
const LANCZOS_G = 7;
const LANCZOS_COEF = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * ln Γ(x) for x > 0. Uses the Stirling series (DLMF 5.11.1) for x >= 10 and the Lanczos
 * approximation below that; both are accurate to a few ulps of the result's magnitude.
 */
export function lgamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`lgamma: argument must be positive, got ${x}`);
  if (x >= 10) {
    const r = 1 / x;
    const r2 = r * r;
    // Bernoulli-number coefficients B_2k / (2k (2k-1)), k = 1..6
    const series =
      r *
      (1 / 12 +
        r2 * (-1 / 360 + r2 * (1 / 1260 + r2 * (-1 / 1680 + r2 * (1 / 1188 + r2 * (-691 / 360360))))));
    return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + series;
  }
  if (x < 0.5) {
    // Reflection: Γ(x) Γ(1−x) = π / sin(πx)
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  }
  const z = x - 1;
  let a = LANCZOS_COEF[0];
  const t = z + LANCZOS_G + 0.5;
  for (let i = 1; i < LANCZOS_COEF.length; i++) a += LANCZOS_COEF[i] / (z + i);
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * ln(n! / n^n) for a positive integer n. Exact product for small n; for larger n the Stirling
 * series with the n·ln(n) terms cancelled analytically (no subtractive cancellation):
 * ln(n!/n^n) = ½ln(2πn) − n + 1/(12n) − 1/(360n³) + …
 */
export function logFactorialOverPower(n: number): number {
  if (n < 20) {
    let p = 1;
    for (let i = 1; i <= n; i++) p *= i / n;
    return Math.log(p);
  }
  const r = 1 / n;
  const r2 = r * r;
  const series =
    r * (1 / 12 + r2 * (-1 / 360 + r2 * (1 / 1260 + r2 * (-1 / 1680 + r2 * (1 / 1188 + r2 * (-691 / 360360))))));
  return 0.5 * Math.log(n) + HALF_LOG_2PI - n + series;
}

const GAMMA_EPS = 1e-16;
const GAMMA_TINY = 1e-300;

/**
 * Regularized incomplete gamma functions P(a, x) and Q(a, x) = 1 − P(a, x), a > 0, x >= 0.
 *
 * For x < a + 1 the power series γ(a,x) = e^{−x} x^a Σ x^k / (a(a+1)…(a+k)) converges quickly
 * (DLMF 8.7.1 / Numerical Recipes 3rd ed. §6.2 "gser"); otherwise the continued fraction for
 * Γ(a,x) (DLMF 8.9.2, NR §6.2 "gcf") is evaluated with the modified Lentz method
 * (W. H. Press et al., Numerical Recipes, 3rd ed., CUP 2007, §5.2 and §6.2). The complement is
 * taken on the side where it does not lose precision, so small tail probabilities keep their
 * relative accuracy.
 */
function incompleteGamma(a: number, x: number): { p: number; q: number } {
  if (!(a > 0)) throw new RangeError(`incomplete gamma: shape a must be positive, got ${a}`);
  if (x !== x || x < 0) throw new RangeError(`incomplete gamma: x must be >= 0, got ${x}`);
  if (x === 0) return { p: 0, q: 1 };
  if (x === Infinity) return { p: 1, q: 0 };
  const logPrefactor = -x + a * Math.log(x) - lgamma(a);
  const maxIter = 10000 + Math.ceil(10 * Math.sqrt(a));
  if (x < a + 1) {
    let ap = a;
    let del = 1 / a;
    let sum = del;
    for (let i = 0; i < maxIter; i++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * GAMMA_EPS) break;
    }
    const p = Math.min(1, sum * Math.exp(logPrefactor));
    return { p, q: 1 - p };
  }
  // Continued fraction: Γ(a,x) = e^{−x} x^a · 1/(x+1−a− 1·(1−a)/(x+3−a− 2·(2−a)/(x+5−a−…)))
  let b = x + 1 - a;
  let c = 1 / GAMMA_TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < maxIter; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < GAMMA_TINY) d = GAMMA_TINY;
    c = b + an / c;
    if (Math.abs(c) < GAMMA_TINY) c = GAMMA_TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < GAMMA_EPS) break;
  }
  const q = Math.min(1, Math.exp(logPrefactor) * h);
  return { p: 1 - q, q };
}

/** Regularized lower incomplete gamma P(a, x) (scipy.special.gammainc). */
export function gammaincP(a: number, x: number): number {
  return incompleteGamma(a, x).p;
}

/** Regularized upper incomplete gamma Q(a, x) (scipy.special.gammaincc). */
export function gammaincQ(a: number, x: number): number {
  return incompleteGamma(a, x).q;
}

/** Survival function of the chi-square distribution with `dof` degrees of freedom: Q(dof/2, x/2). */
export function chi2Sf(x: number, dof: number): number {
  if (!(dof > 0)) throw new RangeError(`chi2Sf: degrees of freedom must be positive, got ${dof}`);
  if (x <= 0) return 1;
  return gammaincQ(dof / 2, x / 2);
}

/**
 * Checks a pair of distributions over the same bins/categories: equal, non-zero length and
 * entries that are finite and >= 0.
 */
export function assertDistributionPair(fn: string, p: ArrayLike<number>, q: ArrayLike<number>): void {
  if (p.length === 0) throw new RangeError(`${fn}: the reference distribution is empty`);
  if (q.length === 0) throw new RangeError(`${fn}: the current distribution is empty`);
  if (p.length !== q.length) {
    throw new RangeError(`${fn}: the distributions have different lengths (${p.length} vs ${q.length})`);
  }
  for (let i = 0; i < p.length; i++) {
    const a = p[i];
    const b = q[i];
    if (!(a >= 0) || a === Infinity) throw new RangeError(`${fn}: reference entry ${i} is ${a}; expected a finite value >= 0`);
    if (!(b >= 0) || b === Infinity) throw new RangeError(`${fn}: current entry ${i} is ${b}; expected a finite value >= 0`);
  }
}
