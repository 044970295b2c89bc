import { afterAll, describe, expect, it } from 'vitest';
import { binCounts, hellinger, jensenShannon, ks, linf, proportions, psi, referenceEdges, wasserstein } from '../../../src/stats/index.js';
import { expectClose, f64, loadGolden, P_TOL, reportDeviations, VALUE_TOL } from './golden.js';

interface Col {
  name: string;
  reference: number[];
  current: number[];
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymptotic';
  wasserstein: number;
  edges: number[];
  refCounts: number[];
  curCounts: number[];
  psi: number;
  jensenShannon: number;
  hellinger: number;
  linf: number;
}
const fx = loadGolden<{ columns: Col[] }>('california_housing.json');

afterAll(() => reportDeviations('california'));

describe('NannyML California housing, reference vs analysis (real data)', () => {
  for (const c of fx.columns) {
    it(c.name, () => {
      const ref = f64(c.reference);
      const cur = f64(c.current);
      const r = ks(ref, cur);
      expect(r.method).toBe(c.method);
      expectClose('ks.statistic', r.statistic, c.statistic, VALUE_TOL, c.name);
      expectClose('ks.pValue', r.pValue, c.pValue, P_TOL, c.name);
      expectClose('wasserstein', wasserstein(ref, cur), c.wasserstein, VALUE_TOL, c.name);
      const edges = referenceEdges(ref);
      expect([...edges]).toEqual(c.edges);
      const rc = binCounts(ref, edges);
      const cc = binCounts(cur, edges);
      expect([...rc]).toEqual(c.refCounts);
      expect([...cc]).toEqual(c.curCounts);
      const p = proportions(rc);
      const q = proportions(cc);
      expectClose('psi', psi(p, q), c.psi, VALUE_TOL, c.name);
      expectClose('jensenShannon', jensenShannon(p, q), c.jensenShannon, VALUE_TOL, c.name);
      expectClose('hellinger', hellinger(p, q), c.hellinger, VALUE_TOL, c.name);
      expectClose('linf', linf(p, q), c.linf, VALUE_TOL, c.name);
    });
  }
});
