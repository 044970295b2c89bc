import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyCorrection, datasetDrift, type FeatureResult } from '../../../src/detect/evaluate.js';

const fixture = JSON.parse(readFileSync(join(__dirname, '../../fixtures/golden/corrections.json'), 'utf8')) as {
  cases: { name: string; p: number[]; bh: number[]; bonferroni: number[] }[];
};

function features(ps: number[]): FeatureResult[] {
  return ps.map((p, i) => ({
    feature: `f${i}`, kind: 'NUMERIC', count: 100, missing: 0, role: 'FEATURE',
    metrics: [{ metric: 'ks', value: 0.1, p_value: p, threshold: 0.05, drift: p < 0.05, p_value_adjusted: null, signal: 'DISTRIBUTION' }],
  }));
}

describe('multiple-testing correction (scipy golden values)', () => {
  for (const c of fixture.cases) {
    it(`${c.name}: Benjamini-Hochberg and Bonferroni adjusted p-values, and drift read from them`, () => {
      for (const method of ['bh', 'bonferroni'] as const) {
        const fs = features(c.p);
        applyCorrection(fs, method, 1);
        fs.forEach((f, i) => {
          const adj = f.metrics[0].p_value_adjusted!;
          expect(Math.abs(adj - c[method][i]) <= 1e-12 + 1e-9 * Math.abs(c[method][i])).toBe(true);
          expect(f.metrics[0].drift).toBe(c[method][i] < 0.05);
          expect(f.metrics[0].p_value).toBe(c.p[i]); // the raw p-value stays
        });
      }
    });
  }

  it('leaves everything alone without a correction', () => {
    const fs = features([0.01, 0.2]);
    applyCorrection(fs, 'none', 1);
    expect(fs.map((f) => [f.metrics[0].p_value_adjusted, f.metrics[0].drift])).toEqual([[null, true], [null, false]]);
  });
});

describe('dataset drift share', () => {
  it('counts features with a drifting rule among those with enough values', () => {
    const fs = features([0.01, 0.2, 0.03, 0.5]);
    fs[3].count = 5;
    const rules = fs.map((f) => ({ feature: f.feature, metric: 'ks', threshold: 0.05 }));
    expect(datasetDrift(fs, rules, 0.5, 10)).toEqual({ drifted_features: 2, features: 3, share: 2 / 3, threshold: 0.5, drift: true });
    expect(datasetDrift(fs, [], 0.5, 10)).toBeNull();
  });
});
