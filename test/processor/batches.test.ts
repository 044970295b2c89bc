/**
 * The per-event shortcuts of processInference: events of the model's current tumbling window skip
 * window assignment and lookup, and a batch of records is stamped with one wall-clock reading.
 * Each test checks that the shortcut gives what the general path gives.
 */
import { describe, expect, it } from 'vitest';
import { TestDriver, normal, rng } from './driver.js';

const H = 3_600_000;
const M = 60_000;
const features = [{ name: 'x', type: 'numeric' }];

function driver(window: Record<string, string>) {
  const d = new TestDriver({ models: [{ id: 'm', window, features }] });
  const r = rng(3);
  for (const version of ['v1', 'v2']) d.training('m', version, Array.from({ length: 500 }, () => ({ x: normal(r) })));
  return d;
}

describe('events of the current window', () => {
  it('interleaved model versions in one time window each get their own window', () => {
    const d = driver({ size: '1h', grace: '0s', idle: '1h' });
    const r = rng(5);
    // v1, v1, v2, v1, v2, v2, ...: the previous event's window is often the other version's
    const versions: string[] = [];
    for (let i = 0; i < 300; i++) versions.push(r() < 0.5 ? 'v1' : 'v2');
    versions.forEach((v, i) => d.inference('m', v, i * 10_000, { x: normal(r) }));
    d.inference('m', 'v1', H, { x: 0 }); // closes [0, 1h)
    const closed = d.out.results.map((x) => x.value).filter((x) => x.window_start === 0);
    const rows = Object.fromEntries(closed.map((x) => [x.model_version, x.rows]));
    expect(rows).toEqual({ v1: versions.filter((v) => v === 'v1').length, v2: versions.filter((v) => v === 'v2').length });
    expect(d.out.deadLetters).toHaveLength(0);
  });

  it('an event back in an earlier, still open window goes there, and the next one back in the current', () => {
    const d = driver({ size: '1h', grace: '30m', idle: '1h' });
    d.inference('m', 'v1', 50 * M, { x: 1 });
    d.inference('m', 'v1', H + 10 * M, { x: 2 }); // [1h, 2h) is the current window now
    d.inference('m', 'v1', 55 * M, { x: 3 }); // late but within grace: [0, 1h)
    d.inference('m', 'v1', H + 20 * M, { x: 4 });
    d.inference('m', 'v1', 3 * H, { x: 5 }); // closes both
    const rows = d.out.results.map((x) => x.value).filter((x) => x.model_version === 'v1').map((x) => [x.window_start, x.rows]);
    expect(rows).toEqual([[0, 2], [H, 2]]);
  });

  it('a window whose end plus grace the stream time passed takes no more events, even the current one', () => {
    const d = driver({ size: '1h', grace: '0s', idle: '1h' });
    d.inference('m', 'v1', 10 * M, { x: 1 }, 0);
    // Another partition of the model is restored with a later stream time; [0, 1h) is still open
    // in memory (nothing closed it yet), but by stream time it is closed.
    d.processor.assignPartition(1, { upTo: 0, streamTime: { m: 2 * H } });
    d.inference('m', 'v1', 20 * M, { x: 2 }, 0);
    expect(d.out.deadLetters.map((x) => String(x.headers['driftline.reason']))).toEqual(['late_event']);
  });

  it('hopping windows take the general path: every event in each of its windows', () => {
    const d = driver({ size: '1h', advance: '30m', grace: '0s', idle: '1h' });
    for (let i = 0; i < 12; i++) d.inference('m', 'v1', i * 10 * M, { x: i }); // [0, 2h)
    d.inference('m', 'v1', 4 * H, { x: 0 });
    const rows = d.out.results.map((x) => x.value).filter((x) => x.model_version === 'v1' && x.window_start < 2 * H).map((x) => [x.window_start / M, x.rows]);
    expect(rows).toEqual([[-30, 3], [0, 6], [30, 6], [60, 6], [90, 3]]);
  });
});

describe('wall clock per batch', () => {
  it('stamps the events of a batch with the reading taken when the batch started', () => {
    const d = driver({ size: '1h', idle: '5s' });
    d.processor.batchStarted(); // clock t0
    d.inference('m', 'v1', 10 * M, { x: 1 });
    d.clock.advance(4_000); // a long batch
    d.inference('m', 'v1', 11 * M, { x: 2 });
    d.processor.batchEnded();
    // idle counts from t0: 5.5 s, so the window closes (per-event readings would say 1.5 s)
    d.tick(1_500);
    expect(d.out.results.map((x) => x.value.rows)).toEqual([2]);
  });

  it('reads the clock per event outside a batch', () => {
    const d = driver({ size: '1h', idle: '5s' });
    d.inference('m', 'v1', 10 * M, { x: 1 });
    d.clock.advance(4_000);
    d.inference('m', 'v1', 11 * M, { x: 2 });
    d.tick(1_500);
    expect(d.out.results).toHaveLength(0);
    d.tick(3_500);
    expect(d.out.results.map((x) => x.value.rows)).toEqual([2]);
  });
});
