/**
 * evaluateFeature takes one merge pass (sortedPairStats) when several of KS, Wasserstein and the
 * binned metrics are asked for, the bucket pass (unsortedPairStats, no sort) when KS comes with
 * binned and data-quality metrics only, and the separate functions when one metric other than KS
 * is: all must report the same values to the last bit.
 */
import { describe, expect, it } from 'vitest';
import { evaluateFeature, type MetricResult } from '../../../src/detect/evaluate.js';
import type { NumericSnapshot } from '../../../src/detect/reference.js';
import { binCounts, bucketValues, mulberry32, proportions, referenceEdgesSorted, standardNormal } from '../../../src/stats/index.js';

function snapshot(values: number[], withBuckets = true): NumericSnapshot {
  const sorted = Float64Array.from(values).sort();
  const edges = referenceEdgesSorted(sorted, 10);
  let min = Infinity;
  let max = -Infinity;
  for (const x of values) {
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  return { kind: 'numeric', sample: sorted, sorted, buckets: withBuckets ? bucketValues(sorted) : null, edges, binProportions: proportions(binCounts(sorted, edges)), count: values.length, missing: 0, min, max };
}

const DISTRIBUTION = ['ks', 'wasserstein', 'psi', 'js', 'hellinger'];

function metricsOf(ref: NumericSnapshot, current: number[], metrics: string[]): MetricResult[] {
  // evaluateFeature sorts the window's values in place: give each call its own copy
  return evaluateFeature('x', ref, { kind: 'numeric', values: Float64Array.from(current), missing: 0 }, metrics, new Map()).metrics;
}

function expectSameBits(a: MetricResult[], b: MetricResult[]): void {
  expect(a.map((m) => m.metric)).toEqual(b.map((m) => m.metric));
  a.forEach((m, k) => {
    expect(Object.is(m.value, b[k].value)).toBe(true);
    expect(Object.is(m.p_value, b[k].p_value)).toBe(true);
    expect(m.drift).toBe(b[k].drift);
  });
}

describe('evaluateFeature: merged and bucket passes equal the separate metric functions', () => {
  const r = mulberry32(5);
  const normals = (n: number, mean = 0) => Array.from({ length: n }, () => mean + standardNormal(r));
  const cases: [string, number[], number[]][] = [
    ['asymptotic KS (reference above 10,000)', normals(12_000), normals(7_500, 0.05)],
    ['exact KS (both at most 10,000)', normals(3_000), normals(2_000, 0.1)],
    ['ties between reference and window', normals(4_000).map((x) => Math.round(x * 4) / 4), normals(5_000, 0.2).map((x) => Math.round(x * 4) / 4)],
    ['one value in the window', normals(500), [0.25]],
    ['one value in the reference', [1.5], normals(300)],
  ];
  for (const [name, ref, cur] of cases) {
    it(name, () => {
      const snap = snapshot(ref);
      const merged = metricsOf(snap, cur, DISTRIBUTION);
      const separate = DISTRIBUTION.flatMap((m) => metricsOf(snap, cur, [m]));
      expect(merged.length).toBe(DISTRIBUTION.length);
      expectSameBits(merged, separate);
      // pairs take the merged pass too; KS with binned metrics only takes the bucket pass
      // (unsortedPairStats), with the snapshot's buckets or without
      expectSameBits(metricsOf(snap, cur, ['ks', 'psi']), [...metricsOf(snap, cur, ['ks']), ...metricsOf(snap, cur, ['psi'])]);
      expectSameBits(metricsOf(snapshot(ref, false), cur, ['ks', 'js']), [...metricsOf(snap, cur, ['wasserstein', 'ks']).slice(1), ...metricsOf(snap, cur, ['js'])]);
      expectSameBits(metricsOf(snap, cur, ['wasserstein', 'ks']), [...metricsOf(snap, cur, ['wasserstein']), ...metricsOf(snap, cur, ['ks'])]);
    });
  }
  it('infinite values take the separate functions (ks and the bins accept them)', () => {
    const snap = snapshot([...normals(200), Infinity]);
    const cur = [...normals(100), -Infinity];
    const got = metricsOf(snap, cur, ['ks', 'psi', 'js', 'hellinger']);
    expectSameBits(got, ['ks', 'psi', 'js', 'hellinger'].flatMap((m) => metricsOf(snap, cur, [m])));
  });
  it('out_of_range counts values beyond the training min and max, values equal to them inside', () => {
    const ref = snapshot([-1, 0, 2, 3.5]);
    for (const cur of [[-1, 3.5, -1, 3.5], [-1.0000001, 3.5000001, 0, 1], [-5, -4, -3, -2], [4, 5, 6], [0.5], [-1, -1, -1.5, 3.5, 3.5, 3.6, 2]]) {
      const want = cur.filter((x) => x < -1 || x > 3.5).length / cur.length;
      const got = metricsOf(ref, cur, ['out_of_range']);
      expect(got.map((m) => [m.metric, m.value])).toEqual([['out_of_range', want]]);
    }
  });
});
