/**
 * unsortedPairStats and ksStatisticUnsorted (bucket counts, no sort) against what they replace:
 * ksStatisticSorted on the sorted samples and binCounts must give the same bits. Those two are
 * checked against scipy/numpy in the golden tests; here equality with them is the contract.
 * Samples are shuffled: the function must not depend on any order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binCounts, ksStatisticSorted, mulberry32, referenceEdgesSorted, standardNormal } from '../../../src/stats/index.js';
import { bucketValues } from '../../../src/stats/select.js';
import { ksStatisticUnsorted, unsortedPairStats } from '../../../src/stats/unsorted-pair.js';

const sorted = (xs: ArrayLike<number>) => Float64Array.from(xs).sort();

function shuffled(a: ArrayLike<number>, seed: number): Float64Array {
  const r = mulberry32(seed);
  const out = Float64Array.from(a);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

function expectSame(ref: ArrayLike<number>, cur: ArrayLike<number>, edges: Float64Array): void {
  const a = Float64Array.from(ref);
  const b = Float64Array.from(cur);
  const wantKs = ksStatisticSorted(sorted(a), sorted(b));
  const wantCounts = binCounts(b, edges);
  const counts = new Float64Array(edges.length + 1).fill(7); // must be zeroed by the call
  const [aIn, bIn] = [a.slice(), b.slice()];
  const got = unsortedPairStats(a, b, edges, counts);
  expect(Object.is(got, wantKs), `ks ${got} against ${wantKs}`).toBe(true);
  expect([...counts]).toEqual([...wantCounts]);
  // KS alone (as ks() computes it), and with the reference's buckets given, as a snapshot keeps them
  expect(Object.is(ksStatisticUnsorted(a, b), wantKs)).toBe(true);
  const again = new Float64Array(edges.length + 1);
  expect(Object.is(unsortedPairStats(a, b, edges, again, bucketValues(a)), wantKs)).toBe(true);
  expect([...again]).toEqual([...wantCounts]);
  // neither sample is touched
  expect(a).toEqual(aIn);
  expect(b).toEqual(bIn);
}

describe('unsortedPairStats equals ksStatisticSorted and binCounts bit for bit', () => {
  const r = mulberry32(29);
  const normals = (n: number, mean = 0, sd = 1) => Float64Array.from({ length: n }, () => mean + sd * standardNormal(r));

  it('normal samples of many sizes, shifted and not, in any order, with reference-quantile edges', () => {
    for (const [n, m, shift] of [[200_000, 150_000, 0.01], [12_000, 7_500, 0], [12_000, 2_500, 0.3], [5_000, 10_000, -1], [997, 1_003, 0.01], [10, 10_000, 2], [40, 30, 0.1]] as const) {
      const ref = normals(n);
      const cur = normals(m, shift, 1.2);
      for (const bins of n > 100_000 ? [10] : [2, 10, 37]) expectSame(ref, cur, referenceEdgesSorted(sorted(ref), bins));
      // the reference sorted, as evaluation keeps it, changes nothing
      expectSame(sorted(ref), cur, referenceEdgesSorted(sorted(ref), 10));
    }
  });

  it('the distance reached inside a bucket: samples that differ only at a fine scale', () => {
    // Values on a grid 1e-9 apart between 0 and 1: many distinct values per bucket, and the
    // samples interleave differently inside each, so the extremes are found by looking inside.
    for (const seed of [1, 2, 3]) {
      const g = mulberry32(seed);
      const ref = Float64Array.from({ length: 50_000 }, () => Math.floor(g() * 1e9) * 1e-9);
      const cur = Float64Array.from({ length: 50_000 }, () => Math.floor(g() ** 1.001 * 1e9) * 1e-9);
      expectSame(ref, cur, referenceEdgesSorted(sorted(ref), 10));
    }
    // one sample drawn from the lower half of every bucket-sized cell, the other from the upper
    const cells = 70_000;
    const lowHalf = Float64Array.from({ length: 60_000 }, (_, i) => (i % cells) + r() * 0.5);
    const highHalf = Float64Array.from({ length: 60_000 }, (_, i) => (i % cells) + 0.5 + r() * 0.5);
    expectSame(lowHalf, highHalf, Float64Array.of(100.25, 30_000.5));
    expectSame(highHalf, lowHalf, Float64Array.of(100.25, 30_000.5));
  });

  it('crowded values: most in a tiny interval, a few far away (big buckets, sorted)', () => {
    const crowd = (k: number) => Float64Array.from({ length: k }, (_, i) => (i % 1000 === 0 ? 1e6 * r() : 1 + r() * 1e-7));
    expectSame(crowd(100_000), crowd(80_000), Float64Array.of(1 + 5e-8, 2, 5e5));
    // Cauchy and log-normal tails
    const cauchy = (k: number, s: number) => Float64Array.from({ length: k }, () => s * Math.tan(Math.PI * (r() - 0.5)));
    expectSame(cauchy(50_000, 1), cauchy(50_000, 1.05), referenceEdgesSorted(sorted(cauchy(50_000, 1)), 10));
    const logNormal = (k: number, s: number) => Float64Array.from({ length: k }, () => Math.exp(s * standardNormal(r)));
    const ln = logNormal(60_000, 3);
    expectSame(ln, logNormal(40_000, 3.1), referenceEdgesSorted(sorted(ln), 10));
    // nested geometric crowding
    const geometric = Float64Array.from({ length: 4_000 }, (_, i) => 2 ** -(i % 400) * (1 + r() * 1e-3));
    expectSame(geometric, shuffled(geometric, 5).map((x) => x * (1 + 1e-4)), Float64Array.of(1e-100, 0.5));
  });

  it('heavy ties within and between the samples, values on the edges, edges outside the values', () => {
    const ref = Float64Array.from({ length: 50_000 }, () => Math.floor(r() * 7) - 3);
    const cur = Float64Array.from({ length: 30_000 }, () => Math.floor(r() * 9) - 4);
    expectSame(ref, cur, referenceEdgesSorted(sorted(ref), 10));
    expectSame(ref, cur, Float64Array.from([-3, -1, 0, 2, 3]));
    expectSame(ref, cur, Float64Array.from([-10]));
    expectSame(ref, cur, Float64Array.from([10]));
    expectSame(ref, cur, Float64Array.from([-10, -4, 4, 10]));
    // every current value equal to a reference value and to an edge
    expectSame(ref, ref.slice(0, 10_000), Float64Array.from([-3, -2, -1, 0, 1, 2, 3]));
    // integers over a wide range: one value per bucket at most, many buckets empty
    const ints = (k: number, hi: number) => Float64Array.from({ length: k }, () => Math.floor(r() * hi));
    expectSame(ints(100_000, 1e6), ints(100_000, 1.01e6), Float64Array.of(1e5, 5e5, 999_999));
  });

  it('one value on either side, identical and disjoint samples, constants', () => {
    const one = Float64Array.of(0.5);
    const ref = normals(100);
    const edges = referenceEdgesSorted(sorted(ref), 10);
    expectSame(one, one, Float64Array.of(0.5));
    expectSame(one, Float64Array.of(0.25), Float64Array.of(0.5));
    expectSame(one, Float64Array.of(0.75), Float64Array.of(0.5));
    expectSame(ref, one, edges);
    expectSame(one, ref, edges);
    expectSame(ref, ref, edges);
    const big = normals(20_000);
    expectSame(big, shuffled(big, 9), referenceEdgesSorted(sorted(big), 10));
    expectSame(big, big.map((x) => x + 100), edges);
    expectSame(big.map((x) => x + 100), big, edges);
    expectSame(new Float64Array(5_000).fill(2), new Float64Array(3_000).fill(2), Float64Array.of(2));
    expectSame(new Float64Array(5_000).fill(2), new Float64Array(3_000).fill(3), Float64Array.of(2));
    expectSame(new Float64Array(5_000).fill(2), new Float64Array(3_000).fill(3), Float64Array.of(1, 2.5, 3));
  });

  it('signed zeros, subnormals and huge magnitudes (a range too wide for a double: sorted instead)', () => {
    const ref = [-0, 0, -0, 5e-324, -5e-324, 1e300, -1e300, 1, -1];
    const cur = [0, 0, -0, 5e-324, 1e-300, -1e300, 2, -0];
    expectSame(ref, cur, Float64Array.of(-1, 0, 5e-324, 1));
    expectSame(cur, ref, Float64Array.of(-0));
    const wide = Float64Array.from({ length: 5_000 }, () => (r() - 0.5) * 1.7e308 * 2);
    expectSame(wide, wide.map((x) => x * 0.99), Float64Array.of(-1e300, 0, 1e300));
    const zeros = Float64Array.from({ length: 5_000 }, (_, i) => [0, -0, 5e-324, -5e-324, 1e-323][i % 5]);
    expectSame(zeros, shuffled(zeros, 3).subarray(0, 3_000), Float64Array.of(-0, 5e-324));
  });

  it('property: arbitrary finite samples with ties, edges from either sample', () => {
    const value = fc.oneof(fc.integer({ min: -5, max: 5 }).map((k) => k / 2), fc.double({ min: -1e6, max: 1e6, noNaN: true }));
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 600 }), fc.array(value, { minLength: 1, maxLength: 600 }), fc.integer({ min: 2, max: 20 }), fc.boolean(), (a, b, bins, edgesFromCur) => {
        expectSame(a, b, referenceEdgesSorted(sorted(edgesFromCur ? b : a), bins));
      }),
      { numRuns: 500 },
    );
  });

  it('infinite values: in the current sample bucketed below or above the reference, in the reference sorted whole', () => {
    const ref = normals(5_000);
    const cur = Float64Array.from(normals(4_000), (x, i) => (i % 50 === 0 ? -Infinity : i % 77 === 0 ? Infinity : x));
    const edges = referenceEdgesSorted(sorted(ref), 10);
    expectSame(ref, cur, edges);
    expectSame(cur, ref, edges);
    expectSame(cur, cur.map((x) => x * 1.1), edges);
    expectSame(Float64Array.of(-Infinity, Infinity), Float64Array.of(Infinity, 0), Float64Array.of(0));
  });

  it('rejects missing values, empty samples and bad edges, naming them', () => {
    const ok = Float64Array.of(1, 2, 3);
    const edges = Float64Array.of(2);
    const counts = new Float64Array(2);
    expect(() => unsortedPairStats(Float64Array.of(1, NaN, 3), ok, edges, counts)).toThrow(/reference sample contains NaN/);
    expect(() => unsortedPairStats(ok, Float64Array.of(1, 2, NaN), edges, counts)).toThrow(/current sample contains NaN at index 2/);
    expect(() => unsortedPairStats(Float64Array.of(Infinity, 1), Float64Array.of(NaN), edges, counts)).toThrow(/current sample contains NaN/);
    expect(() => unsortedPairStats(new Float64Array(0), ok, edges, counts)).toThrow(/reference sample/);
    expect(() => unsortedPairStats(ok, ok, new Float64Array(0), new Float64Array(1))).toThrow(/edges are empty/);
    expect(() => unsortedPairStats(ok, ok, Float64Array.of(2, 1), new Float64Array(3))).toThrow(/strictly increasing/);
    expect(() => unsortedPairStats(ok, ok, edges, new Float64Array(5))).toThrow(/counts has length 5/);
  });
});
