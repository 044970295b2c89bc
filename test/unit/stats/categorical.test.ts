import { afterAll, describe, expect, it } from 'vitest';
import { chi2Contingency, chi2Sf, gammaincP, gammaincQ, hellinger, jensenShannon, linf, proportions, psi } from '../../../src/stats/index.js';
import { expectClose, f64, loadGolden, P_TOL, reportDeviations, VALUE_TOL } from './golden.js';

interface CatCase {
  name: string;
  refCounts: number[];
  curCounts: number[];
  statistic: number;
  pValue: number;
  dof: number;
  psi: number;
  jensenShannon: number;
  hellinger: number;
  linf: number;
}
const fx = loadGolden<{ cases: CatCase[]; gammainc: { a: number; x: number; p: number; q: number }[] }>(
  'categorical.json',
);

afterAll(() => reportDeviations('categorical'));

describe('chi2Contingency vs scipy.stats.chi2_contingency(correction=False)', () => {
  for (const c of fx.cases) {
    it(c.name, () => {
      const r = chi2Contingency(f64(c.refCounts), f64(c.curCounts));
      expect(r.dof).toBe(c.dof);
      expectClose('chi2.statistic', r.statistic, c.statistic, VALUE_TOL, c.name);
      expectClose('chi2.pValue', r.pValue, c.pValue, P_TOL, c.name);
      const p = proportions(f64(c.refCounts));
      const q = proportions(f64(c.curCounts));
      expectClose('psi', psi(p, q), c.psi, VALUE_TOL, c.name);
      expectClose('jensenShannon', jensenShannon(p, q), c.jensenShannon, VALUE_TOL, c.name);
      expectClose('hellinger', hellinger(p, q), c.hellinger, VALUE_TOL, c.name);
      expectClose('linf', linf(p, q), c.linf, VALUE_TOL, c.name);
    });
  }
  it('single remaining category: statistic 0, p 1, dof 0', () => {
    expect(chi2Contingency(f64([5, 0]), f64([7, 0]))).toEqual({ statistic: 0, pValue: 1, dof: 0 });
  });
  it('invalid tables throw RangeError', () => {
    expect(() => chi2Contingency(f64([0, 0]), f64([0, 0]))).toThrow(/zero count on both sides/);
    expect(() => chi2Contingency(f64([0, 0]), f64([1, 2]))).toThrow(/reference counts sum to zero/);
    expect(() => chi2Contingency(f64([1, 2]), f64([0, 0]))).toThrow(/current counts sum to zero/);
    expect(() => chi2Contingency(f64([1]), f64([1, 2]))).toThrow(/different lengths/);
    expect(() => chi2Contingency(f64([]), f64([]))).toThrow(/empty/);
    expect(() => chi2Contingency(f64([1, NaN]), f64([1, 2]))).toThrow(RangeError);
    expect(() => chi2Contingency(f64([1, -1]), f64([1, 2]))).toThrow(RangeError);
  });
});

describe('regularized incomplete gamma vs scipy.special.gammainc / gammaincc', () => {
  it('grid of (a, x)', () => {
    for (const g of fx.gammainc) {
      expectClose('gammaincQ', gammaincQ(g.a, g.x), g.q, P_TOL, `a=${g.a} x=${g.x}`);
      expectClose('gammaincP', gammaincP(g.a, g.x), g.p, P_TOL, `a=${g.a} x=${g.x}`);
    }
  });
  it('edge values', () => {
    expect(gammaincQ(2, 0)).toBe(1);
    expect(gammaincQ(2, Infinity)).toBe(0);
    expect(chi2Sf(0, 3)).toBe(1);
    expect(() => gammaincQ(0, 1)).toThrow(RangeError);
    expect(() => gammaincQ(1, -1)).toThrow(RangeError);
  });
});
