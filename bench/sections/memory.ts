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

export async function memory(n: number): Promise<MemoryResult> {
  progress(`memory: RSS of one open window of ${n.toLocaleString('en')} events x 25 features (exact mode, own process, --expose-gc)`);
  const res = await run(process.execPath, ['--expose-gc', '--import', 'tsx', join(BENCH_DIR, 'sections', 'memory-child.ts'), String(n)]);
  if (res.code !== 0) throw new Error(`memory child failed: ${res.stderr.slice(-500)}`);
  const j = JSON.parse(res.stdout.trim().split('\n').pop()!);
  if (j.open_windows !== 1) throw new Error(`expected one open window, got ${j.open_windows}`);
  progress(`  +${j.rss_mb.toFixed(0)} MB RSS (${j.bytes_per_event.toFixed(0)} bytes per event)`);
  return { events: n, exact_rss_mb: j.rss_mb, heap_used_mb: j.heap_used_mb, array_buffers_mb: j.array_buffers_mb, bytes_per_event: j.bytes_per_event };
}
