import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { wassersteinWeightedSorted } from '../../../src/stats/index.js';

const fixture = JSON.parse(readFileSync(join(__dirname, '../../fixtures/golden/weighted_wasserstein.json'), 'utf8')) as { cases: { name: string; u: number[]; values: number[]; weights: number[]; w1: number }[] };

describe('wassersteinWeightedSorted against scipy.stats.wasserstein_distance(u, v, v_weights=w)', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const got = wassersteinWeightedSorted(Float64Array.from(c.u), Float64Array.from(c.values), Float64Array.from(c.weights));
      expect(Math.abs(got - c.w1) <= 1e-9 || Math.abs(got - c.w1) / c.w1 <= 1e-7).toBe(true);
    });
  }
  it('rejects mismatched weights', () => {
    expect(() => wassersteinWeightedSorted(Float64Array.of(1), Float64Array.of(1, 2), Float64Array.of(1))).toThrow(/weights/);
  });
});
