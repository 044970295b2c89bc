/**
 * Signals beyond feature skew, broker-free: prediction drift, references from serving windows,
 * data quality, volume, dataset-level verdict and multiple-testing correction.
 */
import { describe, expect, it } from 'vitest';
import { TestDriver, normal, rng } from './driver.js';

const H = 3_600_000;

function model(extra: Record<string, unknown>, features = [{ name: 'x', type: 'numeric' }, { name: 'c', type: 'categorical' }]) {
  return { models: [{ id: 'm', window: { size: '1h', idle: '1h' }, features, ...extra }] };
}

/** n events in window w; `f(i)` gives the features, `p(i)` the prediction. */
function windowOf(d: TestDriver, w: number, n: number, f: (i: number) => Record<string, number | string | boolean | null>, p?: (i: number) => number | string) {
  for (let i = 0; i < n; i++) {
    const e = { model_id: 'm', model_version: 'v1', event_id: `e${w}-${i}`, event_time: w * H + Math.floor((i * H) / n), features: f(i), prediction: p ? p(i) : null };
    d.raw(Buffer.from(d.types.inference.toBuffer({ ...e, features: Object.fromEntries(Object.entries(e.features).map(([k, v]) => [k, v === null ? null : typeof v === 'number' ? { double: v } : typeof v === 'string' ? { string: v } : { boolean: v }])), prediction: e.prediction === null ? null : typeof e.prediction === 'number' ? { double: e.prediction } : { string: e.prediction }, attributes: {} })));
  }
}

function close(d: TestDriver, w: number) {
  d.inference('m', 'v1', w * H, { x: 0, c: 'a' });
}

describe('prediction drift', () => {
  it('monitors the prediction like a feature against the training labels, with alerts of kind PREDICTION', () => {
    const d = new TestDriver(model({ prediction: { type: 'categorical', name: 'predicted_class' } }));
    const r = rng(1);
    const rows = Array.from({ length: 2000 }, () => ({ x: normal(r), c: 'a' }));
    for (const [i, features] of rows.entries()) {
      const label = r() < 0.3 ? 'spam' : 'ham';
      d.processor.processTraining(d.record('driftline.training', Buffer.from(d.types.training.toBuffer({ model_id: 'm', model_version: 'v1', dataset_version: null, event_id: `t${i}`, event_time: 0, features: { x: { double: features.x }, c: { string: 'a' } }, label: { string: label } }))));
    }
    windowOf(d, 0, 500, () => ({ x: normal(r), c: 'a' }), () => (r() < 0.3 ? 'spam' : 'ham'));
    windowOf(d, 1, 500, () => ({ x: normal(r), c: 'a' }), () => (r() < 0.75 ? 'spam' : 'ham')); // the filter suddenly flags 75%
    close(d, 2);
    const [w0, w1] = d.out.results.map((x) => x.value);
    const pred0 = w0.features.find((f) => f.feature === 'predicted_class')!;
    expect(pred0.role).toBe('PREDICTION');
    expect(pred0.count).toBe(500);
    expect(w1.features.find((f) => f.feature === 'predicted_class')!.metrics.find((m) => m.metric === 'linf')!.value).toBeGreaterThan(0.4);
    const alerts = d.out.alerts.map((a) => a.value).filter((a) => a.feature === 'predicted_class');
    expect(alerts.map((a) => [a.status, a.metric, a.kind, a.window_start])).toEqual([['FIRING', 'linf', 'PREDICTION', H]]);
  });
});

describe('references from serving traffic', () => {
  it('baseline: the first N windows form the reference; they are NO_REFERENCE themselves; alerts are of kind DRIFT', () => {
    const d = new TestDriver(model({ reference: { source: 'baseline', windows: 2 } }));
    const r = rng(2);
    for (let w = 0; w < 5; w++) windowOf(d, w, 400, () => ({ x: normal(r) + (w === 3 ? 2 : 0), c: 'a' }));
    close(d, 5);
    const results = d.out.results.map((x) => x.value);
    expect(results.map((x) => [x.status, x.kind])).toEqual([['NO_REFERENCE', 'DRIFT'], ['NO_REFERENCE', 'DRIFT'], ['OK', 'DRIFT'], ['OK', 'DRIFT'], ['OK', 'DRIFT']]);
    const xAlerts = d.out.alerts.map((a) => a.value).filter((a) => a.feature === 'x');
    expect(xAlerts.map((a) => [a.status, a.metric, a.kind, a.window_start / H])).toEqual([['FIRING', 'psi', 'DRIFT', 3], ['RESOLVED', 'psi', 'DRIFT', 4]]);
    expect(d.out.alerts[0].value.reference_rows).toBe(800);
  });

  it('previous: each window is compared with the one before it', () => {
    const d = new TestDriver(model({ reference: { source: 'previous' } }));
    const r = rng(3);
    const shift = [0, 0, 2, 2, 2];
    for (let w = 0; w < 5; w++) windowOf(d, w, 400, () => ({ x: normal(r) + shift[w], c: 'a' }));
    close(d, 5);
    const psi = d.out.results.map((x) => x.value.features.find((f) => f.feature === 'x')!.metrics.find((m) => m.metric === 'psi')?.value ?? null);
    expect(psi[0]).toBeNull();
    expect(psi[1]!).toBeLessThan(0.25);
    expect(psi[2]!).toBeGreaterThan(1); // the step
    expect(psi[3]!).toBeLessThan(0.25); // the new level against itself
    expect(psi[4]!).toBeLessThan(0.25);
  });
});

describe('data quality', () => {
  const train = (d: TestDriver) => {
    const r = rng(4);
    d.training('m', 'v1', Array.from({ length: 1000 }, () => ({ x: normal(r), c: r() < 0.5 ? 'a' : 'b' })));
  };

  it('reports missing rate, out-of-range share and unseen categories, and alerts of kind DATA_QUALITY', () => {
    const d = new TestDriver(model({}));
    train(d);
    const r = rng(5);
    windowOf(d, 0, 200, () => ({ x: normal(r), c: r() < 0.5 ? 'a' : 'b' }));
    windowOf(d, 1, 200, (i) => ({ x: i % 2 ? null : normal(r), c: i % 10 === 0 ? 'zz' : r() < 0.5 ? 'a' : 'b' })); // half missing, 10% unseen
    windowOf(d, 2, 200, (i) => ({ x: i < 40 ? 100 + i : normal(r), c: 'a' })); // 20% out of range
    close(d, 3);
    const [w0, w1, w2] = d.out.results.map((x) => x.value);
    const metric = (w: typeof w0, f: string, m: string) => w.features.find((x) => x.feature === f)!.metrics.find((x) => x.metric === m)!;
    expect(metric(w0, 'x', 'missing_rate').value).toBe(0);
    expect(metric(w1, 'x', 'missing_rate')).toMatchObject({ value: 0.5, drift: true, signal: 'DATA_QUALITY' });
    expect(metric(w1, 'c', 'unseen_categories')).toMatchObject({ value: 0.1, drift: true });
    expect(metric(w2, 'x', 'out_of_range')).toMatchObject({ value: 0.2, drift: true });
    const quality = d.out.alerts.map((a) => a.value).filter((a) => a.kind === 'DATA_QUALITY');
    expect(quality.map((a) => `${a.status} ${a.feature} ${a.metric} ${a.window_start / H}`)).toEqual([
      'FIRING x missing_rate 1', 'FIRING c unseen_categories 1', 'RESOLVED x missing_rate 2', 'RESOLVED c unseen_categories 2',
    ]);
  });

  it('counts wrong types as missing and as type mismatches when the model says so, instead of rejecting', () => {
    const d = new TestDriver(model({ onTypeMismatch: 'missing', rules: [{ feature: 'x', metric: 'type_mismatch_rate', threshold: 0.05 }] }));
    train(d);
    const r = rng(6);
    windowOf(d, 0, 100, (i) => ({ x: i < 10 ? 'oops' : normal(r), c: i < 5 ? 3.5 : 'a' }));
    close(d, 1);
    expect(d.out.deadLetters).toHaveLength(0);
    const w = d.out.results[0].value;
    const x = w.features.find((f) => f.feature === 'x')!;
    expect([x.count, x.missing]).toEqual([90, 10]);
    expect(x.metrics.find((m) => m.metric === 'type_mismatch_rate')!.value).toBe(0.1);
    expect(w.features.find((f) => f.feature === 'c')!.metrics.find((m) => m.metric === 'type_mismatch_rate')!.value).toBe(0.05);
    expect(d.out.alerts.map((a) => `${a.value.status} ${a.value.feature} ${a.value.metric} ${a.value.kind}`)).toEqual(['FIRING x type_mismatch_rate DATA_QUALITY']);
  });
});

describe('volume', () => {
  it('alerts of kind VOLUME when a window has five times fewer or more events than the recent median', () => {
    const d = new TestDriver(model({ volume: { windows: 4, foldChange: 5 } }));
    const r = rng(7);
    d.training('m', 'v1', Array.from({ length: 500 }, () => ({ x: normal(r), c: 'a' })));
    const sizes = [300, 320, 280, 310, 50, 300, 2000, 310];
    sizes.forEach((n, w) => windowOf(d, w, n, () => ({ x: normal(r), c: 'a' })));
    close(d, sizes.length);
    const volumes = d.out.results.map((x) => x.value.volume);
    expect(volumes.slice(0, 3)).toEqual([null, null, null]); // fewer than three earlier windows
    expect(volumes[3]).toMatchObject({ rows: 310, typical_rows: 300, drift: false });
    expect(volumes[4]).toMatchObject({ rows: 50, typical_rows: 305, fold_change: 6.1, drift: true });
    const alerts = d.out.alerts.map((a) => a.value).filter((a) => a.kind === 'VOLUME');
    expect(alerts.map((a) => `${a.status} ${a.metric} ${a.window_start / H}`)).toEqual(['FIRING volume_fold_change 4', 'RESOLVED volume_fold_change 5', 'FIRING volume_fold_change 6', 'RESOLVED volume_fold_change 7']);
  });
});

describe('performance from delayed labels', () => {
  const cfg = (performance: Record<string, unknown>) => ({ models: [{ id: 'm', window: { size: '1h', idle: '1h' }, minRows: 10, features: [{ name: 'x', type: 'numeric' }], performance }] });

  it('joins labels to predictions by event id within the horizon and alerts of kind PERFORMANCE', async () => {
    const d = new TestDriver(cfg({ task: 'classification', positiveClass: 'fraud', horizon: '2h', rules: [{ metric: 'accuracy', trainingValue: 0.9, maxDrop: 0.1 }, { metric: 'recall', threshold: 0.5 }] }));
    const r = rng(8);
    // Window 0: 100 scored predictions; labels agree with the score 95% of the time.
    // Window 1: the model degrades: labels agree 60% of the time.
    const truth = new Map<string, string>();
    for (let w = 0; w < 2; w++) {
      for (let i = 0; i < 100; i++) {
        const id = `p${w}-${i}`;
        const score = r();
        const agree = r() < (w === 0 ? 0.95 : 0.6);
        truth.set(id, (score >= 0.5) === agree ? 'fraud' : 'ok');
        d.predict('m', 'v1', id, w * H + i * 1000, { x: normal(r) }, score);
      }
    }
    d.label('m', 'early-bird', 'fraud', 10); // label before its prediction
    d.predict('m', 'v1', 'early-bird', 2 * H + 5, { x: 0 }, 0.9);
    for (const [id, label] of truth) if (!id.endsWith('-7')) d.label('m', id, label, 2 * H); // a few never get a label
    d.label('m', 'nobody', 'ok', 2 * H);
    expect(d.out.performance).toHaveLength(0);
    d.inference('m', 'v1', 3 * H, { x: 0 }); // stream time reaches window 0's end + 2h
    expect(d.out.performance.map((p) => p.value.window_start)).toEqual([0]);
    d.inference('m', 'v1', 5 * H, { x: 0 });
    const [w0, w1, w2] = d.out.performance.map((p) => p.value);
    expect([w0.predictions, w0.labeled, w1.predictions, w1.labeled]).toEqual([100, 99, 100, 99]);
    expect(w2).toMatchObject({ window_start: 2 * H, predictions: 1, labeled: 1 });
    const acc = (p: typeof w0) => p.metrics.find((m) => m.metric === 'accuracy')!;
    expect(acc(w0).value).toBeGreaterThan(0.9);
    expect(acc(w0).threshold).toBeCloseTo(0.8, 12);
    expect(acc(w1)).toMatchObject({ breach: true });
    expect(w1.metrics.map((m) => m.metric)).toEqual(['accuracy', 'precision', 'recall', 'f1', 'auc']);
    const perf = d.out.alerts.map((a) => a.value).filter((a) => a.kind === 'PERFORMANCE');
    expect(perf.map((a) => `${a.status} ${a.metric} ${a.window_start / H}`)).toContain(`FIRING accuracy 1`);
    expect(await d.metric('driftline_label_joins_total', { outcome: 'matched' })).toBe(199);
  });

  it('computes MAE and RMSE for regression', () => {
    const d = new TestDriver(cfg({ task: 'regression', horizon: '1h', rules: [{ metric: 'mae', threshold: 1 }] }));
    const errors = [0.5, -1, 2, -0.5, 1, 0, 3, -2, 0.5, 0.5];
    errors.forEach((e, i) => {
      d.predict('m', 'v1', `r${i}`, i, { x: 1 }, 10 + e);
      d.label('m', `r${i}`, 10, 100);
    });
    d.inference('m', 'v1', 2 * H, { x: 0 });
    const p = d.out.performance[0].value;
    const mae = errors.reduce((a, e) => a + Math.abs(e), 0) / errors.length;
    const rmse = Math.sqrt(errors.reduce((a, e) => a + e * e, 0) / errors.length);
    expect(p.metrics.map((m) => [m.metric, m.value])).toEqual([['mae', mae], ['rmse', rmse]]);
    expect(p.metrics[0].breach).toBe(true);
    expect(d.out.alerts.map((a) => `${a.value.status} ${a.value.metric} ${a.value.kind}`)).toContain('FIRING mae PERFORMANCE');
  });
});
