import { afterAll, describe, expect, it } from 'vitest';
import { ks, ksSorted, ksStatisticSorted, kstwoCdf, kstwoSf, smirnovSf, wasserstein, wassersteinSorted } from '../../../src/stats/index.js';
import { expectClose, f64, loadGolden, P_TOL, reportDeviations, VALUE_TOL } from './golden.js';

interface KsCase {
  name: string;
  reference: number[];
  current: number[];
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymptotic';
  wasserstein: number;
}
interface KsFixture { meta: { scipy: string; numpy: string }; cases: KsCase[] }

const small = loadGolden<KsFixture>('ks_small_medium.json');
const large = loadGolden<KsFixture>('ks_large.json');
const kolm = loadGolden<{
  kstwo: { n: number; x: number; sf: number; cdf: number }[];
  smirnov: { n: number; x: number; sf: number }[];
}>('kolmogorov.json');

afterAll(() => reportDeviations('ks'));

function checkCase(c: KsCase): void {
  const a = f64(c.reference);
  const b = f64(c.current);
  const r = ks(a, b);
  expectClose('ks.statistic', r.statistic, c.statistic, VALUE_TOL, c.name);
  expectClose(`ks.pValue(${c.method})`, r.pValue, c.pValue, P_TOL, c.name);
  expect(r.method, c.name).toBe(c.method);
  // argument order does not matter for the two-sided test
  const rr = ks(b, a);
  expectClose('ks.statistic', rr.statistic, c.statistic, VALUE_TOL, `${c.name} (swapped)`);
  expectClose(`ks.pValue(${c.method})`, rr.pValue, c.pValue, P_TOL, `${c.name} (swapped)`);
  expectClose('wasserstein', wasserstein(a, b), c.wasserstein, VALUE_TOL, c.name);
}

describe('ks vs scipy.stats.ks_2samp (small and medium, exact path)', () => {
  it(`fixture produced by scipy ${small.meta.scipy}`, () => {
    expect(small.cases.length).toBeGreaterThan(20);
  });
  for (const c of small.cases) it(c.name, () => checkCase(c));
});

describe('ks vs scipy.stats.ks_2samp (large, asymptotic path)', () => {
  for (const c of large.cases) it(c.name, () => checkCase(c), 30_000);

  it('sorted option and ksSorted skip sorting and agree', () => {
    const c = large.cases[large.cases.length - 1];
    const a = f64(c.reference).sort();
    const b = f64(c.current).sort();
    const r1 = ks(a, b, { sorted: true });
    const r2 = ksSorted(a, b);
    expect(r1).toEqual(r2);
    expectClose('ks.statistic', r1.statistic, c.statistic, VALUE_TOL, 'sorted');
    expectClose('ks.pValue(asymptotic)', r1.pValue, c.pValue, P_TOL, 'sorted');
    expectClose('wasserstein', wassersteinSorted(a, b), c.wasserstein, VALUE_TOL, 'sorted');
    expectClose('wasserstein', wasserstein(a, b, { sorted: true }), c.wasserstein, VALUE_TOL, 'sorted');
  });
});

describe('one-sample Kolmogorov distributions vs scipy', () => {
  it('kstwo.sf / kstwo.cdf over a grid of n and x', () => {
    for (const g of kolm.kstwo) {
      expectClose('kstwo.sf', kstwoSf(g.n, g.x), g.sf, P_TOL, `n=${g.n} x=${g.x}`);
      expectClose('kstwo.cdf', kstwoCdf(g.n, g.x), g.cdf, P_TOL, `n=${g.n} x=${g.x}`);
    }
  });
  it('smirnov (one-sided) over a grid', () => {
    for (const g of kolm.smirnov) expectClose('smirnov', smirnovSf(g.n, g.x), g.sf, P_TOL, `n=${g.n} x=${g.x}`);
  });
});

describe('ks degenerate inputs', () => {
  it('empty sides throw RangeError naming the side', () => {
    expect(() => ks(f64([]), f64([1]))).toThrow(RangeError);
    expect(() => ks(f64([]), f64([1]))).toThrow(/reference sample is empty/);
    expect(() => ks(f64([1]), f64([]))).toThrow(/current sample is empty/);
  });
  it('NaN is rejected, sorted or not', () => {
    expect(() => ks(f64([1, NaN, 2]), f64([1, 2]))).toThrow(/NaN/);
    expect(() => ks(f64([1, 2]), f64([NaN]))).toThrow(RangeError);
    expect(() => ks(f64([1, 2, NaN]), f64([1, 2]), { sorted: true })).toThrow(/NaN/);
    expect(() => wasserstein(f64([1, NaN]), f64([1]))).toThrow(RangeError);
    expect(() => wasserstein(f64([1, Infinity]), f64([1]))).toThrow(/non-finite/);
  });
  it('identical samples: D = 0, p = 1', () => {
    const a = f64([3, 1, 2, 2, 5]);
    expect(ks(a, a.slice())).toEqual({ statistic: 0, pValue: 1, method: 'exact' });
    expect(wasserstein(a, a.slice())).toBe(0);
  });
  it('one value per side', () => {
    expect(ks(f64([1]), f64([2]))).toEqual({ statistic: 1, pValue: 1, method: 'exact' });
    expect(ks(f64([1]), f64([1]))).toEqual({ statistic: 0, pValue: 1, method: 'exact' });
    expect(wasserstein(f64([1]), f64([2.5]))).toBe(1.5);
  });
  it('does not modify its inputs', () => {
    const a = f64([3, 1, 2]);
    const b = f64([9, 0]);
    ks(a, b);
    wasserstein(a, b);
    expect([...a]).toEqual([3, 1, 2]);
    expect([...b]).toEqual([9, 0]);
  });
  it('statistic of disjoint samples is 1 and tiny p', () => {
    const a = Float64Array.from({ length: 200 }, (_, i) => i);
    const b = Float64Array.from({ length: 200 }, (_, i) => 1000 + i);
    expect(ksStatisticSorted(a, b)).toBe(1);
    const r = ks(a, b);
    expect(r.statistic).toBe(1);
    expect(r.pValue).toBeLessThan(1e-100);
  });
  it('invalid n for Kolmogorov distributions throws', () => {
    expect(() => kstwoSf(0, 0.1)).toThrow(RangeError);
    expect(() => kstwoSf(2.5, 0.1)).toThrow(RangeError);
    expect(() => smirnovSf(3, NaN)).toThrow(RangeError);
  });
});
