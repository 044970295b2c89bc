// The arena (src/stats/arena.ts): memory taken without overlaps, from two threads at once; a
// column found in its arena, and nothing else (not a copy of its memory, not after release).
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { arenas, WasmArena } from '../../../src/stats/arena.js';

const made: WasmArena[] = [];
function arena(): WasmArena {
  const a = WasmArena.create();
  if (!a) throw new Error('no shared WebAssembly memory here');
  made.push(a);
  return a;
}
afterEach(() => {
  for (const a of made.splice(0)) a.release();
});

describe('WasmArena', () => {
  it('takes zeroed, 8-aligned, disjoint memory, growing past a page, and refuses more than 4 GiB', () => {
    const a = arena();
    const first = a.used;
    const cols = [3, 1, 10_000, 70_000, 5].map((n) => a.float64(n)!);
    let end = first;
    for (const c of cols) {
      expect(c.byteOffset % 8).toBe(0);
      expect(c.byteOffset).toBeGreaterThanOrEqual(end);
      expect(c.every((x) => x === 0)).toBe(true);
      c.fill(7);
      end = c.byteOffset + c.byteLength;
    }
    expect(a.used).toBe(end);
    expect(a.memory.buffer.byteLength).toBeGreaterThanOrEqual(end);
    expect(a.alloc(3)).toBe(end); // rounded up to 8
    expect(a.used).toBe(end + 8);
    expect(a.alloc(5 * 2 ** 30)).toBe(-1);
    expect(a.float64(2 ** 29)).toBeNull(); // 4 GiB of numbers
    expect(a.used).toBe(end + 8); // nothing taken by the refusals
    expect(cols[3][69_999]).toBe(7);
  });

  it('finds the arena of its columns and their views, and of nothing else', () => {
    const a = arena();
    const b = arena();
    const col = a.float64(1000)!;
    expect(WasmArena.holding(col)).toBe(a);
    expect(WasmArena.holding(col.subarray(10, 20))).toBe(a);
    expect(WasmArena.holding(new Int32Array(col.buffer, 64, 4))).toBe(a);
    expect(WasmArena.holding(b.float64(10)!)).toBe(b);
    expect(WasmArena.holding(new Float64Array(1000))).toBeNull();
    expect(WasmArena.holding(new Float64Array(new SharedArrayBuffer(8000)))).toBeNull();
    // A copy of the whole memory has the same bytes, header included, but is not the arena.
    const copy = (a.memory.buffer as unknown as SharedArrayBuffer).slice(0);
    expect(WasmArena.holding(new Float64Array(copy, col.byteOffset, 1000))).toBeNull();
    a.release();
    expect(WasmArena.holding(col)).toBeNull();
  });

  it('makes none when switched off', () => {
    arenas.enabled = false;
    try {
      expect(WasmArena.create()).toBeNull();
    } finally {
      arenas.enabled = true;
    }
  });

  it('is shared with another thread: both take memory at once without overlaps, and see each other\'s columns', async () => {
    const a = arena();
    const load = fileURLToPath(new URL('../../../bin/load.js', import.meta.url));
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      (async () => {
        const { importSrc } = await import(${JSON.stringify(load)});
        const { WasmArena } = await importSrc('stats/arena');
        const arena = WasmArena.adopt(workerData.memory);
        const cols = [];
        for (let i = 0; i < 200; i++) { const c = arena.float64(1 + (i * 37) % 5000); c.fill(i + 1000); cols.push(c); }
        parentPort.postMessage({ cols, found: WasmArena.holding(workerData.mine) !== null, mineFirst: workerData.mine[0] });
      })().catch((err) => parentPort.postMessage({ error: String(err && err.stack || err) }));`;
    const mine = a.float64(4)!;
    mine[0] = 42;
    const worker = new Worker(code, { eval: true, workerData: { memory: a.memory, mine } });
    const ours: Float64Array[] = [];
    for (let i = 0; i < 200; i++) {
      const c = a.float64(1 + ((i * 53) % 5000))!;
      c.fill(i);
      ours.push(c);
    }
    const msg = await new Promise<{ cols?: Float64Array[]; found?: boolean; mineFirst?: number; error?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(msg.error).toBeUndefined();
    expect(msg.found).toBe(true);
    expect(msg.mineFirst).toBe(42);
    const theirs = msg.cols!;
    for (const c of theirs) expect(WasmArena.holding(c)).toBe(a);
    const spans = [...ours, ...theirs].map((c) => [c.byteOffset, c.byteOffset + c.byteLength]).sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
    // Every column still holds what its thread wrote: no two of them share a byte.
    ours.forEach((c, i) => expect(c.every((x) => x === i)).toBe(true));
    theirs.forEach((c, i) => expect(c.every((x) => x === i + 1000)).toBe(true));
  });
});
