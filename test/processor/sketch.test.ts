/**
 * Sketch mode (bounded memory) against exact mode on the same stream: the same windows and alerts,
 * and metric values within the sketch's error.
 */
import { describe, expect, it } from 'vitest';
import { SketchColumn } from '../../src/window/columns.js';
import { kllMaxByteSize } from '../../src/stats/index.js';
import { TestDriver, normal, rng } from './driver.js';

const H = 3_600_000;

function run(mode: 'exact' | 'sketch', reference: 'training' | 'previous' = 'training') {
  const d = new TestDriver({
    processor: { mode },
    models: [{ id: 'm', window: { size: '1h', idle: '1h' }, ...(reference === 'previous' ? { reference: { source: 'previous' } } : {}), features: [{ name: 'x', type: 'numeric' }, { name: 'y', type: 'numeric' }, { name: 'c', type: 'categorical' }] }],
  });
  const r = rng(31);
  d.training('m', 'v1', Array.from({ length: 20_000 }, () => ({ x: normal(r), y: Math.exp(normal(r)), c: r() < 0.6 ? 'a' : 'b' })));
  for (let w = 0; w < 4; w++) {
    const shift = w === 2 ? 0.8 : 0;
    for (let i = 0; i < 30_000; i++) d.inference('m', 'v1', w * H + Math.floor((i * H) / 30_000), { x: normal(r) + shift, y: Math.exp(normal(r)), c: r() < (w === 2 ? 0.3 : 0.6) ? 'a' : 'b' });
  }
  d.inference('m', 'v1', 4 * H, { x: 0, y: 1, c: 'a' });
  return d;
}

describe('sketch mode', () => {
  it('gives the same windows and alerts as exact mode, with metrics within the sketch error', () => {
    const exact = run('exact');
    const sketch = run('sketch');
    expect(sketch.out.results.map((x) => [x.value.window_start, x.value.rows])).toEqual(exact.out.results.map((x) => [x.value.window_start, x.value.rows]));
    const alerts = (d: TestDriver) => d.out.alerts.map((a) => `${a.value.status} ${a.value.feature} ${a.value.metric} ${a.value.window_start}`);
    expect(alerts(sketch)).toEqual(alerts(exact));
    let worstKs = 0;
    exact.out.results.forEach((e, w) => {
      const s = sketch.out.results[w].value;
      for (const f of e.value.features) {
        const g = s.features.find((x) => x.feature === f.feature)!;
        expect([g.count, g.missing]).toEqual([f.count, f.missing]);
        for (const m of f.metrics) {
          const n = g.metrics.find((x) => x.metric === m.metric)!;
          if (f.kind === 'CATEGORICAL' || m.metric === 'missing_rate') expect(n.value).toBe(m.value); // counts are exact
          else if (m.metric === 'ks') worstKs = Math.max(worstKs, Math.abs(n.value - m.value));
          else if (m.metric === 'psi') expect(Math.abs(n.value - m.value)).toBeLessThan(0.02);
          else if (m.metric === 'js' || m.metric === 'hellinger') expect(Math.abs(n.value - m.value)).toBeLessThan(0.01);
          else if (m.metric === 'wasserstein') expect(Math.abs(n.value - m.value)).toBeLessThan(0.02 * (1 + m.value));
        }
      }
    });
    expect(worstKs).toBeLessThanOrEqual(0.01);
  });

  it('with the previous window as reference (fed from the sketch, never expanded): the same drift alerts as exact mode', () => {
    const exact = run('exact', 'previous');
    const sketch = run('sketch', 'previous');
    const alerts = (d: TestDriver) => d.out.alerts.map((a) => `${a.value.status} ${a.value.feature} ${a.value.metric} ${a.value.window_start}`);
    expect(alerts(exact).length).toBeGreaterThan(0); // the shift in window 2, and back in window 3
    expect(alerts(sketch)).toEqual(alerts(exact));
    exact.out.results.forEach((e, w) => {
      const s = sketch.out.results[w].value;
      expect(s.kind).toBe('DRIFT');
      for (const f of e.value.features) {
        const ks = (r: typeof s) => r.features.find((x) => x.feature === f.feature)!.metrics.find((m) => m.metric === 'ks')?.value;
        if (f.kind === 'NUMERIC' && ks(e.value) !== undefined) expect(Math.abs(ks(s)! - ks(e.value)!)).toBeLessThanOrEqual(0.02);
      }
    });
  });

  it('keeps each numeric feature window within 64 KiB whatever the event count', () => {
    const col = new SketchColumn(1024);
    const r = rng(3);
    for (let i = 0; i < 2_000_000; i++) col.append(normal(r));
    expect(col.sketch.byteSize()).toBeLessThanOrEqual(64 * 1024);
    expect(kllMaxByteSize(1024)).toBeLessThanOrEqual(64 * 1024);
    expect(col.length).toBe(2_000_000);
  });
});
