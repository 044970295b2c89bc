/** 4. Memory: runs memory-child.ts in its own process (clean baseline, --expose-gc). */
import { join } from 'node:path';
import { BENCH_DIR, progress, run } from '../lib/common.js';

export interface MemoryResult {
  events: number;
  exact_rss_mb: number;
  heap_used_mb: number;
  array_buffers_mb: number;
  bytes_per_event: number;
}

export interface SketchResult {
  events: number;
  sketch_rss_mb: number;
  bytes_per_feature_window: number;
  ks_max_error: number;
}

/**
 * Sketch mode: RSS of the same window in sketch mode, the largest sketch of a numeric feature,
 * and the largest |D_sketch - D_exact| over 20 numeric features (a 1,000,000-value window against
 * a 100,000-value reference, several distributions and shifts).
 */
export async function sketchMemory(n: number): Promise<SketchResult> {
  progress(`memory: the same window in sketch mode (bounded memory)`);
  const res = await run(process.execPath, ['--expose-gc', '--import', 'tsx', join(BENCH_DIR, 'sections', 'memory-child.ts'), String(n), 'sketch']);
  if (res.code !== 0) throw new Error(`memory child (sketch) failed: ${res.stderr.slice(-500)}`);
  const j = JSON.parse(res.stdout.trim().split('\n').pop()!);
  const { KllSketch, ks, ksFromSketch } = await import('../../src/stats/index.js');
  const { rng, normal } = await import('../lib/common.js');
  const r = rng(17);
  let worst = 0;
  let bytes = 0;
  for (let f = 0; f < 20; f++) {
    const ref = new Float64Array(100_000);
    for (let i = 0; i < ref.length; i++) ref[i] = f % 2 ? Math.exp(normal(r)) : normal(r);
    ref.sort();
    const cur = new Float64Array(n);
    const shift = (f % 5) * 0.02;
    for (let i = 0; i < n; i++) cur[i] = (f % 2 ? Math.exp(normal(r)) : normal(r)) + shift;
    const sk = new KllSketch();
    sk.updateAll(cur);
    const exact = ks(ref, cur, { sorted: false }).statistic;
    worst = Math.max(worst, Math.abs(ksFromSketch(ref, sk).statistic - exact));
    bytes = Math.max(bytes, sk.byteSize());
  }
  progress(`  +${j.rss_mb.toFixed(0)} MB RSS in sketch mode; sketch ${bytes} bytes per feature-window; KS max error ${worst.toExponential(2)}`);
  return { events: n, sketch_rss_mb: j.rss_mb, bytes_per_feature_window: bytes, ks_max_error: worst };
}

export async function memory(n: number): Promise<MemoryResult> {
  progress(`memory: RSS of one open window of ${n.toLocaleString('en')} events x 25 features (exact mode, own process, --expose-gc)`);
  const res = await run(process.execPath, ['--expose-gc', '--import', 'tsx', join(BENCH_DIR, 'sections', 'memory-child.ts'), String(n)]);
  if (res.code !== 0) throw new Error(`memory child failed: ${res.stderr.slice(-500)}`);
  const j = JSON.parse(res.stdout.trim().split('\n').pop()!);
  if (j.open_windows !== 1) throw new Error(`expected one open window, got ${j.open_windows}`);
  progress(`  +${j.rss_mb.toFixed(0)} MB RSS (${j.bytes_per_event.toFixed(0)} bytes per event)`);
  return { events: n, exact_rss_mb: j.rss_mb, heap_used_mb: j.heap_used_mb, array_buffers_mb: j.array_buffers_mb, bytes_per_event: j.bytes_per_event };
}
