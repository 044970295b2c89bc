/**
 * sortedPairStats (one merge pass) against the separate functions it replaces in evaluation:
 * ksStatisticSorted, wassersteinSorted and binCounts must give the same bits. Those three are
 * checked against scipy/numpy in the golden tests; here equality with them is the contract.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binCounts, ksStatisticSorted, mulberry32, referenceEdgesSorted, sortedPairStats, standardNormal, wassersteinSorted } from '../../../src/stats/index.js';

function separate(ref: Float64Array, cur: Float64Array, edges: Float64Array) {
  return { ks: ksStatisticSorted(ref, cur), w: wassersteinSorted(ref, cur), counts: binCounts(cur, edges) };
}

function expectSame(ref: Float64Array, cur: Float64Array, edges: Float64Array): void {
  const want = separate(ref, cur, edges);
  const counts = new Float64Array(edges.length + 1).fill(7); // must be zeroed by the call
  const got = sortedPairStats(ref, cur, edges, counts);
  expect(Object.is(got.ksStatistic, want.ks)).toBe(true);
  expect(Object.is(got.wasserstein, want.w)).toBe(true);
  expect([...counts]).toEqual([...want.counts]);
}

const sorted = (xs: ArrayLike<number>) => Float64Array.from(xs).sort();

describe('sortedPairStats equals ksStatisticSorted, wassersteinSorted and binCounts bit for bit', () => {
  const r = mulberry32(11);
  const normals = (n: number, mean = 0, sd = 1) => sorted(Array.from({ length: n }, () => mean + sd * standardNormal(r)));

  it('random normal samples of window sizes, shifted and not, with reference-quantile edges', () => {
    for (const [n, m, shift] of [[12_000, 7_500, 0], [12_000, 2_500, 0.3], [5_000, 10_000, -1], [997, 1_003, 0.01], [10, 10_000, 2]] as const) {
      const ref = normals(n);
      const cur = normals(m, shift, 1.2);
      for (const bins of [2, 10, 37]) expectSame(ref, cur, referenceEdgesSorted(ref, bins));
    }
  });

  it('heavy ties within and between the samples, values on the edges', () => {
    const ref = sorted(Array.from({ length: 5_000 }, () => Math.floor(r() * 7) - 3));
    const cur = sorted(Array.from({ length: 3_000 }, () => Math.floor(r() * 9) - 4));
    expectSame(ref, cur, referenceEdgesSorted(ref, 10));
    expectSame(ref, cur, Float64Array.from([-3, -1, 0, 2, 3]));
    expectSame(ref, cur, Float64Array.from([-10]));
    expectSame(ref, cur, Float64Array.from([10]));
    // every current value equal to a reference value and to an edge
    expectSame(ref, ref.slice(0, 1_000), Float64Array.from([-3, -2, -1, 0, 1, 2, 3]));
  });

  it('one value on either side, identical and disjoint samples, constants', () => {
    const one = Float64Array.of(0.5);
    const ref = normals(100);
    const edges = referenceEdgesSorted(ref, 10);
    expectSame(one, one, Float64Array.of(0.5));
    expectSame(one, Float64Array.of(0.25), Float64Array.of(0.5));
    expectSame(one, Float64Array.of(0.75), Float64Array.of(0.5));
    expectSame(ref, one, edges);
    expectSame(one, ref, edges);
    expectSame(ref, ref, edges);
    expectSame(ref, ref.map((x) => x + 100), edges);
    expectSame(ref.map((x) => x + 100), ref, edges);
    expectSame(new Float64Array(50).fill(2), new Float64Array(30).fill(2), Float64Array.of(2));
    expectSame(new Float64Array(50).fill(2), new Float64Array(30).fill(3), Float64Array.of(2));
  });

  it('signed zeros, subnormals and huge magnitudes', () => {
    const ref = sorted([-0, 0, -0, 5e-324, -5e-324, 1e300, -1e300, 1, -1]);
    const cur = sorted([0, 0, -0, 5e-324, 1e-300, -1e300, 2, -0]);
    expectSame(ref, cur, Float64Array.of(-1, 0, 5e-324, 1));
    expectSame(cur, ref, Float64Array.of(-0));
  });

  it('property: arbitrary finite samples with ties, edges from either sample', () => {
    const value = fc.oneof(fc.integer({ min: -5, max: 5 }).map((k) => k / 2), fc.double({ min: -1e6, max: 1e6, noNaN: true }));
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 300 }), fc.array(value, { minLength: 1, maxLength: 300 }), fc.integer({ min: 2, max: 20 }), fc.boolean(), (a, b, bins, edgesFromCur) => {
        const ref = sorted(a);
        const cur = sorted(b);
        expectSame(ref, cur, referenceEdgesSorted(edgesFromCur ? cur : ref, bins));
      }),
      { numRuns: 500 },
    );
  });

  it('rejects what the separate functions reject, and infinite values', () => {
    const ok = Float64Array.of(1, 2);
    const edges = Float64Array.of(1.5);
    expect(() => sortedPairStats(new Float64Array(0), ok, edges, new Float64Array(2))).toThrow(RangeError);
    expect(() => sortedPairStats(ok, new Float64Array(0), edges, new Float64Array(2))).toThrow(RangeError);
    expect(() => sortedPairStats(Float64Array.of(1, NaN), ok, edges, new Float64Array(2))).toThrow(RangeError);
    expect(() => sortedPairStats(Float64Array.of(2, 1), ok, edges, new Float64Array(2))).toThrow(RangeError);
    expect(() => sortedPairStats(ok, Float64Array.of(1, Infinity), edges, new Float64Array(2))).toThrow(RangeError);
    expect(() => sortedPairStats(ok, ok, new Float64Array(0), new Float64Array(1))).toThrow(RangeError);
    expect(() => sortedPairStats(ok, ok, Float64Array.of(2, 1), new Float64Array(3))).toThrow(RangeError);
    expect(() => sortedPairStats(ok, ok, edges, new Float64Array(3))).toThrow(RangeError);
  });
});
