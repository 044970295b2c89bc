/**
 * The compare worker thread (see compare-thread.ts): reads a file when asked, keeps it, and
 * evaluates features of a task until the shared counter runs out.
 */
import { parentPort } from 'node:worker_threads';
import type { FeatureOutcome } from './compare.js';
import { DONE, featureOf, NEXT, toThreadError, type FromWorker, type ToWorker } from './compare-thread.js';
import { readTable, type TableData } from './io/files/index.js';
import { WasmArena } from './stats/arena.js';

// Evaluation (compare.js and the statistics) loads while the file is read: reading starts sooner.
const evaluation = import('./compare.js');
evaluation.catch(() => {}); // a failure is reported when evaluation is asked for

const port = parentPort!;
const post = (m: FromWorker): void => port.postMessage(m);
let table: TableData | null = null;
let arena: WasmArena | null = null;

port.on('message', (m: ToWorker) => {
  void handle(m).catch((err: unknown) => post({ type: 'error', error: toThreadError(err) }));
});

async function handle(m: ToWorker): Promise<void> {
  if (m.type === 'read') {
    table = null;
    const onProgress = m.progress ? (bytes: number, total: number) => post({ type: 'progress', bytes, total }) : undefined;
    // The main thread's arena: columns go there, and the kernels read both files' in place.
    if (m.arena && arena?.memory !== m.arena) {
      arena?.release();
      arena = WasmArena.adopt(m.arena);
    }
    table = await readTable(m.file, { ...m.options, shared: true, onProgress, arena: arena ?? undefined });
    post({ type: 'table', rows: table.rows, columns: [...table.columns.values()] });
    return;
  }
  if (!table) throw new Error('compare worker: asked to evaluate before reading the current file');
  const { evaluateFeatureAt, snapshotFromData } = await evaluation;
  const snapshots = new Map(m.task.snapshots.map(([name, d]) => [name, snapshotFromData(d)]));
  const task = { ...m.task, refColumns: new Map(m.task.refColumns.map((c) => [c.name, c])), curColumns: new Map(table.columns), snapshots };
  table = null;
  const outcomes: [number, FeatureOutcome][] = [];
  const n = task.features.length;
  const built = snapshots.size; // (each is deleted once used)
  for (let c = Atomics.add(m.counters, NEXT, 1); c < n; c = Atomics.add(m.counters, NEXT, 1)) {
    const i = featureOf(c, built, n);
    outcomes.push([i, evaluateFeatureAt(task, i)]);
    Atomics.add(m.counters, DONE, 1);
  }
  post({ type: 'outcomes', outcomes });
}
