import { afterAll, describe, expect, it } from 'vitest';
import {
  binCounts,
  categoricalCounts,
  categoricalProportions,
  hellinger,
  jensenShannon,
  linf,
  proportions,
  psi,
  quantileSorted,
  referenceEdges,
  referenceEdgesSorted,
} from '../../../src/stats/index.js';
import { binCountsSorted } from '../../../src/stats/binning.js';
import { mulberry32 } from '../../../src/stats/random.js';
import { expectClose, f64, loadGolden, reportDeviations, VALUE_TOL } from './golden.js';

interface BinnedCase {
  name: string;
  bins: number;
  reference: number[];
  current: number[];
  edges: number[];
  refCounts: number[];
  curCounts: number[];
  p: number[];
  q: number[];
  psi: number;
  jensenShannon: number;
  hellinger: number;
  linf: number;
}
const fx = loadGolden<{
  cases: BinnedCase[];
  quantiles: { values: number[]; q: number[]; quantiles: number[] }[];
}>('binned.json');

afterAll(() => reportDeviations('binned'));

describe('binning vs numpy.quantile / searchsorted', () => {
  it('quantileSorted equals numpy.quantile(method="linear") exactly', () => {
    for (const g of fx.quantiles) {
      const v = f64(g.values);
      g.q.forEach((q, i) => expect(quantileSorted(v, q)).toBe(g.quantiles[i]));
    }
  });
  for (const c of fx.cases) {
    it(c.name, () => {
      const ref = f64(c.reference);
      const cur = f64(c.current);
      const edges = referenceEdges(ref, c.bins);
      expect([...edges]).toEqual(c.edges);
      expect([...referenceEdgesSorted(ref.slice().sort(), c.bins)]).toEqual(c.edges);
      const rc = binCounts(ref, edges);
      const cc = binCounts(cur, edges);
      expect([...rc]).toEqual(c.refCounts);
      expect([...cc]).toEqual(c.curCounts);
      const p = proportions(rc);
      const q = proportions(cc);
      p.forEach((v, i) => expectClose('proportions', v, c.p[i], VALUE_TOL, c.name));
      q.forEach((v, i) => expectClose('proportions', v, c.q[i], VALUE_TOL, c.name));
      expectClose('psi', psi(p, q), c.psi, VALUE_TOL, c.name);
      expectClose('jensenShannon', jensenShannon(p, q), c.jensenShannon, VALUE_TOL, c.name);
      expectClose('hellinger', hellinger(p, q), c.hellinger, VALUE_TOL, c.name);
      expectClose('linf', linf(p, q), c.linf, VALUE_TOL, c.name);
    });
  }
});

describe('binning and distance edge cases', () => {
  it('constant reference gives one edge and two bins', () => {
    const e = referenceEdges(f64([2, 2, 2, 2]), 10);
    expect([...e]).toEqual([2]);
    expect([...binCounts(f64([1, 2, 2.0000001, 3]), e)]).toEqual([2, 2]);
  });
  it('bins are right-closed with open outer bins', () => {
    const e = f64([0, 1, 2]);
    expect([...binCounts(f64([-5, 0, 0.5, 1, 1.5, 2, 2.5, -Infinity, Infinity]), e)]).toEqual([3, 2, 2, 2]);
  });
  it('binCounts reuses and zeroes `out`', () => {
    const out = f64([9, 9, 9]);
    const r = binCounts(f64([0.5]), f64([0, 1]), out);
    expect(r).toBe(out);
    expect([...out]).toEqual([0, 1, 0]);
    expect(() => binCounts(f64([0.5]), f64([0, 1]), new Float64Array(2))).toThrow(RangeError);
  });
  it('invalid inputs throw RangeError', () => {
    expect(() => referenceEdges(f64([]))).toThrow(/reference sample is empty/);
    expect(() => referenceEdges(f64([1, NaN]))).toThrow(/NaN/);
    expect(() => referenceEdges(f64([1, 2]), 1)).toThrow(/bins/);
    expect(() => binCounts(f64([NaN]), f64([0]))).toThrow(/NaN/);
    expect(() => binCounts(f64([1]), f64([]))).toThrow(RangeError);
    expect(() => binCounts(f64([1]), f64([1, 0]))).toThrow(/increasing/);
    expect(() => proportions(f64([0, 0]))).toThrow(/sum to zero/);
    expect(() => proportions(f64([]))).toThrow(RangeError);
    for (const fn of [psi, jensenShannon, hellinger, linf]) {
      expect(() => fn(f64([0.5, 0.5]), f64([1]))).toThrow(/different lengths/);
      expect(() => fn(f64([]), f64([]))).toThrow(/empty/);
      expect(() => fn(f64([NaN, 1]), f64([0.5, 0.5]))).toThrow(RangeError);
      expect(() => fn(f64([-0.1, 1.1]), f64([0.5, 0.5]))).toThrow(RangeError);
    }
    expect(() => jensenShannon(f64([0, 0]), f64([0.5, 0.5]))).toThrow(/sums to zero/);
    expect(() => hellinger(f64([0.5, 0.4]), f64([0.5, 0.5]))).toThrow(/sum to 0.9/);
  });
  it('identical distributions are at distance 0', () => {
    const p = f64([0.2, 0.3, 0.5]);
    expect(psi(p, p)).toBe(0);
    expect(jensenShannon(p, p)).toBe(0);
    expect(hellinger(p, p)).toBe(0);
    expect(linf(p, p)).toBe(0);
  });
  it('disjoint supports: JS = 1, Hellinger = 1, PSI uses the 1e-4 floor', () => {
    const p = f64([1, 0]);
    const q = f64([0, 1]);
    expect(jensenShannon(p, q)).toBeCloseTo(1, 12);
    expect(hellinger(p, q)).toBe(1);
    expect(psi(p, q)).toBeCloseTo(2 * (1 - 1e-4) * Math.log(1 / 1e-4), 12);
  });
  it('categoricalCounts aligns the union of categories', () => {
    const r = categoricalCounts({ a: 3, b: 1 }, new Map([['b', 2], ['c', 5]]));
    expect(r.categories).toEqual(['a', 'b', 'c']);
    expect([...r.reference]).toEqual([3, 1, 0]);
    expect([...r.current]).toEqual([0, 2, 5]);
    const pr = categoricalProportions({ a: 3, b: 1 }, { a: 1, b: 1 });
    expect([...pr.reference]).toEqual([0.75, 0.25]);
    expect([...pr.current]).toEqual([0.5, 0.5]);
  });
});

describe('binCountsSorted', () => {
  it('gives binCounts\'s counts for sorted values, ties at edges, zeros and infinities included', () => {
    const r = mulberry32(7);
    const edgeSets = [
      Float64Array.of(0),
      Float64Array.of(-1, 0, 0.5, 2),
      Float64Array.of(-0, 1e-300, 3),
      Float64Array.of(-100, -50),
      Float64Array.of(100, 200),
    ];
    for (const edges of edgeSets) {
      for (const n of [1, 2, 17, 1000]) {
        const v = Float64Array.from({ length: n }, () => {
          const u = r();
          if (u < 0.1) return edges[Math.floor(r() * edges.length)]; // exactly on an edge
          if (u < 0.13) return [-0, 0, Infinity, -Infinity][Math.floor(r() * 4)];
          return Math.round((r() - 0.5) * 8 * 4) / 4;
        }).sort();
        expect([...binCountsSorted(v, edges)]).toEqual([...binCounts(v, edges)]);
        const out = new Float64Array(edges.length + 1).fill(9);
        expect(binCountsSorted(v, edges, out)).toBe(out);
        expect([...out]).toEqual([...binCounts(v, edges)]);
      }
    }
  });
  it('rejects what binCounts rejects, and NaN at the ends of the sorted values', () => {
    expect(() => binCountsSorted(Float64Array.of(1), new Float64Array(0))).toThrow(RangeError);
    expect(() => binCountsSorted(Float64Array.of(1), Float64Array.of(2, 1))).toThrow(RangeError);
    expect(() => binCountsSorted(Float64Array.of(1, NaN), Float64Array.of(0))).toThrow(RangeError);
    expect(() => binCountsSorted(Float64Array.of(1), Float64Array.of(0), new Float64Array(3))).toThrow(RangeError);
  });
});
