import { describe, expect, it } from 'vitest';
import { TestDriver, normal, rng } from './driver.js';

const H = 3_600_000;
const features = [
  { name: 'x', type: 'numeric' },
  { name: 'y', type: 'numeric' },
  { name: 'c', type: 'categorical' },
];

function config(window: Record<string, string>, extra: Record<string, unknown> = {}) {
  return { models: [{ id: 'm', window, features, ...extra }], processor: { maxMessageBytes: 4096 } };
}

function category(r: () => number, shifted: boolean): string {
  const u = r();
  if (shifted) return u < 0.2 ? 'a' : u < 0.4 ? 'b' : 'c';
  return u < 0.6 ? 'a' : u < 0.9 ? 'b' : 'c';
}

function train(d: TestDriver, rows = 3000, seed = 1) {
  const r = rng(seed);
  d.training('m', 'v1', Array.from({ length: rows }, () => ({ x: normal(r), y: 10 + normal(r), c: category(r, false) })));
}

/** n events spread over [start, start + 1h). */
function serve(d: TestDriver, start: number, n: number, shift: boolean, r: () => number) {
  for (let i = 0; i < n; i++) {
    d.inference('m', 'v1', start + Math.floor((i * H) / n), { x: normal(r) + (shift ? 1.5 : 0), y: 10 + normal(r), c: category(r, shift) });
  }
}

describe('tumbling windows', () => {
  it('closes each window when stream time passes end + grace, alerts only for shifted features, resolves after', async () => {
    const d = new TestDriver(config({ size: '1h', grace: '0s', idle: '1h' }));
    train(d);
    const r = rng(2);
    serve(d, 0, 800, false, r);
    serve(d, H, 800, true, r);
    serve(d, 2 * H, 800, false, r);
    d.inference('m', 'v1', 3 * H, { x: 0, y: 10, c: 'a' }); // closes window 2
    expect(d.out.results.map((x) => x.value.window_start)).toEqual([0, H, 2 * H]);
    for (const { key, value } of d.out.results) {
      expect(key).toBe('m');
      expect(value.status).toBe('OK');
      expect(value.rows).toBe(800);
      expect(value.window_end - value.window_start).toBe(H);
      const x = value.features.find((f) => f.feature === 'x')!;
      expect(x.metrics.map((m) => m.metric)).toEqual(['ks', 'wasserstein', 'psi', 'js', 'hellinger', 'missing_rate', 'out_of_range']);
      const c = value.features.find((f) => f.feature === 'c')!;
      expect(c.metrics.map((m) => m.metric)).toEqual(['psi', 'js', 'hellinger', 'chi2', 'linf', 'missing_rate', 'unseen_categories']);
    }
    const alerts = d.out.alerts.map((a) => `${a.value.status} ${a.value.feature} ${a.value.metric} ${a.value.window_start}`);
    // Two of three features drifted in window 1: the dataset-level share (2/3) passes 0.5 too.
    expect(alerts.sort()).toEqual([`FIRING * drift_share ${H}`, `FIRING c linf ${H}`, `FIRING x psi ${H}`, `RESOLVED * drift_share ${2 * H}`, `RESOLVED c linf ${2 * H}`, `RESOLVED x psi ${2 * H}`].sort());
    expect(d.out.alerts.map((a) => a.value.kind)).toEqual(['SKEW', 'SKEW', 'SKEW', 'SKEW', 'SKEW', 'SKEW']);
    expect(d.out.results[1].value.dataset_drift).toEqual({ drifted_features: 2, features: 3, share: 2 / 3, threshold: 0.5, drift: true });
    const firing = d.out.alerts.find((a) => a.value.feature === 'x' && a.value.status === 'FIRING')!.value;
    expect(firing.value).toBeGreaterThanOrEqual(0.25);
    expect(firing.threshold).toBe(0.25);
    expect(firing.reference_rows).toBe(3000);
    expect(firing.detected_at).toBe(2 * H);
    expect(await d.metric('driftline_windows_closed_total', { model: 'm' })).toBe(3);
    expect(await d.metric('driftline_events_consumed_total', { topic: 'driftline.inference', model: 'm' })).toBe(2401);
    expect(await d.metric('driftline_feature_drift_alert', { feature: 'x', metric: 'psi' })).toBe(0);
    expect(await d.metric('driftline_alerts_published_total', { status: 'FIRING' })).toBe(0); // published counts are the io layer's
  });

  it('gives deterministic result and alert ids: the same input twice yields identical records', () => {
    const run = () => {
      const d = new TestDriver(config({ size: '1h', idle: '1h' }));
      train(d);
      const r = rng(3);
      serve(d, 0, 300, true, r);
      d.inference('m', 'v1', H, { x: 0, y: 0, c: 'a' });
      return d.out;
    };
    const a = run();
    const b = run();
    expect(a.results.length).toBe(1);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.results[0].value.result_id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('counts missing values (null, absent, NaN) apart from the values', () => {
    const d = new TestDriver(config({ size: '1h', idle: '1h' }));
    train(d, 500);
    d.inference('m', 'v1', 1, { x: 1, y: null, c: 'a' });
    d.inference('m', 'v1', 2, { x: NaN, c: null });
    d.inference('m', 'v1', 3, { x: 2, y: 3, c: true });
    const table = d.processor.openWindowTable('m', 'v1', 0)!;
    expect(table.numRows).toBe(3);
    expect([...table.getChild('x')!]).toEqual([1, null, 2]);
    expect(table.getChild('x')!.nullCount).toBe(1);
    expect(table.getChild('y')!.nullCount).toBe(2);
    expect([...table.getChild('c')!]).toEqual(['a', null, 'true']);
    d.inference('m', 'v1', H, { x: 0, y: 0, c: 'a' });
    const res = d.out.results[0].value;
    expect(res.features.map((f) => [f.feature, f.count, f.missing])).toEqual([['x', 2, 1], ['y', 1, 2], ['c', 2, 1]]);
  });
});

describe('hopping windows', () => {
  it('puts each event in every window that contains it', () => {
    const d = new TestDriver(config({ size: '1h', advance: '30m', idle: '1h' }));
    train(d, 200);
    const M = 60_000;
    d.inference('m', 'v1', 10 * M, { x: 1, y: 1, c: 'a' }); // windows [-30m,30m) and [0,60m)
    d.inference('m', 'v1', 45 * M, { x: 1, y: 1, c: 'a' }); // windows [0,60m) and [30m,90m)
    d.inference('m', 'v1', 120 * M, { x: 1, y: 1, c: 'a' }); // closes all three
    expect(d.out.results.map((r) => [r.value.window_start / M, r.value.window_end / M, r.value.rows])).toEqual([
      [-30, 30, 1],
      [0, 60, 2],
      [30, 90, 1],
    ]);
  });
});

describe('calendar windows', () => {
  it('aligns monthly windows to UTC month starts', () => {
    const d = new TestDriver(config({ size: '1M', idle: '1h' }));
    train(d, 200);
    d.inference('m', 'v1', Date.UTC(2021, 0, 15), { x: 1, y: 1, c: 'a' });
    d.inference('m', 'v1', Date.UTC(2021, 0, 31, 23, 59, 59, 999), { x: 1, y: 1, c: 'a' });
    d.inference('m', 'v1', Date.UTC(2021, 1, 1), { x: 1, y: 1, c: 'a' });
    d.inference('m', 'v1', Date.UTC(2021, 2, 3), { x: 1, y: 1, c: 'a' });
    expect(d.out.results.map((r) => [new Date(r.value.window_start).toISOString(), new Date(r.value.window_end).toISOString(), r.value.rows])).toEqual([
      ['2021-01-01T00:00:00.000Z', '2021-02-01T00:00:00.000Z', 2],
      ['2021-02-01T00:00:00.000Z', '2021-03-01T00:00:00.000Z', 1],
    ]);
  });

  it('starts weekly windows on Monday 00:00 UTC', () => {
    const d = new TestDriver(config({ size: '1w', idle: '1h' }));
    train(d, 200);
    d.inference('m', 'v1', Date.UTC(2026, 10, 25, 12), { x: 1, y: 1, c: 'a' }); // a Wednesday
    d.inference('m', 'v1', Date.UTC(2026, 11, 2), { x: 1, y: 1, c: 'a' });
    expect(new Date(d.out.results[0].value.window_start).toISOString()).toBe('2026-11-23T00:00:00.000Z');
  });
});

describe('late events', () => {
  it('accepts events within grace and dead-letters those after it, with the reason', async () => {
    const M = 60_000;
    const d = new TestDriver(config({ size: '1h', grace: '10m', idle: '1h' }));
    train(d, 200);
    d.inference('m', 'v1', 30 * M, { x: 1, y: 1, c: 'a' });
    d.inference('m', 'v1', 65 * M, { x: 1, y: 1, c: 'a' });
    d.inference('m', 'v1', 50 * M, { x: 1, y: 1, c: 'a' }); // window [0,60) open until 70m: accepted
    expect(d.out.results).toHaveLength(0);
    d.inference('m', 'v1', 70 * M, { x: 1, y: 1, c: 'a' }); // closes [0,60)
    expect(d.out.results.map((r) => r.value.rows)).toEqual([2]);
    d.inference('m', 'v1', 59 * M, { x: 1, y: 1, c: 'a' }); // late
    expect(d.out.deadLetters).toHaveLength(1);
    expect(String(d.out.deadLetters[0].headers['driftline.reason'])).toBe('late_event');
    expect(await d.metric('driftline_late_events_total', { model: 'm' })).toBe(1);
    expect(await d.metric('driftline_events_rejected_total', { reason: 'late_event' })).toBe(1);
  });
});

describe('idle close', () => {
  it('closes the windows of a quiet model after idle time on the clock', () => {
    const d = new TestDriver(config({ size: '1h', idle: '5s' }));
    train(d, 200);
    d.inference('m', 'v1', 5, { x: 1, y: 1, c: 'a' });
    d.tick(4000);
    expect(d.out.results).toHaveLength(0);
    d.tick(1000);
    expect(d.out.results.map((r) => r.value.rows)).toEqual([1]);
    expect(d.processor.openWindowCount('m')).toBe(0);
    d.inference('m', 'v1', 10, { x: 1, y: 1, c: 'a' }); // its window was closed by idleness: late
    expect(String(d.out.deadLetters[0].headers['driftline.reason'])).toBe('late_event');
  });
});

describe('no reference', () => {
  it('publishes a NO_REFERENCE result with counts and no alerts', async () => {
    const d = new TestDriver(config({ size: '1h', idle: '1h' }));
    d.inference('m', 'v9', 1, { x: 100, y: 1, c: 'zzz' });
    d.inference('m', 'v9', H, { x: 100, y: 1, c: 'zzz' });
    expect(d.out.results).toHaveLength(1);
    const r = d.out.results[0].value;
    expect(r.status).toBe('NO_REFERENCE');
    expect(r.features.map((f) => [f.feature, f.count, f.metrics.length])).toEqual([['x', 1, 0], ['y', 1, 0], ['c', 1, 0]]);
    expect(d.out.alerts).toHaveLength(0);
    expect(await d.metric('driftline_windows_no_reference_total', { model: 'm' })).toBe(1);
  });
});

describe('bad input', () => {
  it('dead-letters each bad message with its reason and original key, value and headers, and counts the valid ones', async () => {
    const d = new TestDriver(config({ size: '1h', idle: '1h' }));
    train(d, 200);
    const before = () => d.inference('m', 'v1', 1, { x: 1, y: 1, c: 'a' });
    const bad: [string, () => void][] = [
      ['undecodable', () => d.raw(Buffer.from([0x02, 0x61, 0xff, 0xff]))],
      ['unknown_schema_id', () => d.raw(Buffer.from([0, 0, 0, 0, 42, 1, 2, 3]))],
      ['unknown_model', () => d.inference('nope', 'v1', 1, { x: 1 })],
      ['wrong_type', () => d.inference('m', 'v1', 1, { x: 'high', y: 1, c: 'a' })],
      ['wrong_type', () => d.inference('m', 'v1', 1, { x: 1, y: 1, c: 1.5 })],
      ['invalid_value', () => d.inference('m', 'v1', 1, { x: Infinity, y: 1, c: 'a' })],
      ['oversized', () => d.inference('m', 'v1', 1, { x: 1, y: 1, c: 'a'.repeat(5000) })],
      ['undecodable', () => d.raw(null)],
    ];
    for (const [, send] of bad) {
      before();
      send();
    }
    before();
    expect(d.out.deadLetters.map((x) => String(x.headers['driftline.reason']))).toEqual(bad.map(([r]) => r));
    const dl = d.out.deadLetters[0];
    expect(dl.key).toEqual(Buffer.from('k'));
    expect(dl.value).toEqual(Buffer.from([0x02, 0x61, 0xff, 0xff]));
    expect(dl.headers.trace).toBe('abc');
    expect(dl.headers['driftline.source.topic']).toBe('driftline.inference');
    expect(dl.headers['driftline.source.partition']).toBe('0');
    expect(String(dl.headers['driftline.error'])).toMatch(/not a valid Avro body/);
    expect(await d.metric('driftline_events_consumed_total', { topic: 'driftline.inference', model: 'm' })).toBe(bad.length + 1);
    expect(await d.metric('driftline_events_rejected_total')).toBe(bad.length);
    expect(await d.metric('driftline_events_rejected_total', { reason: 'wrong_type' })).toBe(2);
    expect(d.processor.openWindowTable('m', 'v1', 0)!.numRows).toBe(bad.length + 1);
  });
});

describe('checkpoints', () => {
  it('a restart from the committed offset and checkpoint rebuilds open windows exactly', () => {
    const cfg = config({ size: '1h', grace: '10m', idle: '1h' });
    // One input stream with out-of-order events, on partition 0.
    const r = rng(9);
    const events: [number, Record<string, number | string>][] = [];
    for (let i = 0; i < 600; i++) {
      const t = Math.floor((i / 600) * 4 * H) + Math.floor((r() - 0.5) * 20 * 60_000);
      events.push([Math.max(0, t), { x: normal(r) + (t > 2 * H ? 1 : 0), y: normal(r), c: category(r, t > 2 * H) }]);
    }
    events.push([5 * H, { x: 0, y: 0, c: 'a' }]);
    const uninterrupted = new TestDriver(cfg);
    train(uninterrupted);
    for (const [t, f] of events) uninterrupted.inference('m', 'v1', t, f);

    for (const cut of [150, 301, 450]) {
      const first = new TestDriver(cfg);
      train(first);
      for (const [t, f] of events.slice(0, cut)) first.inference('m', 'v1', t, f);
      const commit = first.processor.committable(0)!;
      expect(commit.offset).toBeLessThanOrEqual(cut);
      // A new instance: same training data, resumes from the committed offset with its checkpoint.
      const second = new TestDriver(cfg);
      train(second);
      second.processor.assignPartition(0, JSON.parse(JSON.stringify(commit.checkpoint)));
      second.seek('driftline.inference', 0, commit.offset); // Kafka resumes at the committed offset
      for (const [t, f] of events.slice(commit.offset)) second.inference('m', 'v1', t, f);
      const merged = new Map<string, string>();
      for (const x of [...first.out.results, ...second.out.results]) merged.set(x.value.result_id, JSON.stringify(x.value));
      expect([...merged.values()].sort()).toEqual(uninterrupted.out.results.map((x) => JSON.stringify(x.value)).sort());
      expect(second.out.deadLetters.length + first.out.deadLetters.length).toBe(uninterrupted.out.deadLetters.length);
    }
  });
});

describe('minimum rows', () => {
  it('gives a window with fewer values than minRows metrics but no verdict, and leaves alert state alone', () => {
    const d = new TestDriver(config({ size: '1h', idle: '1h' }, { minRows: 50 }));
    train(d, 1000);
    const r = rng(5);
    serve(d, 0, 400, true, r); // drifted, enough rows: FIRING
    for (let i = 0; i < 10; i++) d.inference('m', 'v1', H + i, { x: 0, y: 10, c: 'a' }); // 10 undrifted rows
    d.inference('m', 'v1', 2 * H, { x: 0, y: 10, c: 'a' });
    expect(d.out.results.map((x) => x.value.rows)).toEqual([400, 10]);
    const small = d.out.results[1].value.features.find((f) => f.feature === 'x')!;
    expect(small.metrics.length).toBeGreaterThan(0);
    expect(small.metrics.every((m) => m.drift === false)).toBe(true);
    expect(d.out.alerts.map((a) => `${a.value.status} ${a.value.feature}`).sort()).toEqual(['FIRING *', 'FIRING c', 'FIRING x']); // no RESOLVED from 10 rows
  });
});
