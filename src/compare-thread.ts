/**
 * The worker thread of `compare` (see compare.ts): the main thread's handle on it, and the
 * messages between them. The worker (compare-worker.ts, loaded through bin/compare-worker.js so
 * that it runs compiled, like the CLI) reads the current file while this thread reads the
 * reference, then both evaluate features, taking the next one from a shared counter until none
 * is left. Columns go between the threads as SharedArrayBuffers: shared, never copied.
 */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EvaluationTask, FeatureOutcome } from './compare.js';
import { FileInputError } from './errors.js';
import type { ColumnData, ReadOptions, TableData } from './io/files/index.js';
import type { ReferenceSnapshot, SnapshotData } from './detect/reference.js';
import type { WasmArena } from './stats/arena.js';
import type { WasmMemory } from './stats/wasm.js';

/** An error as it crosses threads: a FileInputError comes back as one, with its file, line and column. */
export interface ThreadError {
  message: string;
  stack?: string;
  file?: { file: string; line?: number; column?: string };
}

export type ToWorker =
  | { type: 'read'; file: string; options: Pick<ReadOptions, 'columns' | 'kinds'>; progress: boolean; arena: WasmMemory | null }
  | { type: 'evaluate'; task: Omit<EvaluationTask, 'refColumns' | 'curColumns' | 'snapshots'> & { refColumns: ColumnData[]; snapshots: [string, SnapshotData][] }; counters: Int32Array };
export type FromWorker =
  | { type: 'progress'; bytes: number; total: number }
  | { type: 'table'; rows: number; columns: ColumnData[] }
  | { type: 'outcomes'; outcomes: [number, FeatureOutcome][] }
  | { type: 'error'; error: ThreadError };

/** Counters shared by the two threads while evaluating: [next feature to take, features done]. */
export const NEXT = 0;
export const DONE = 1;

/**
 * The feature the counter's value `c` stands for: the features whose snapshots were built ahead
 * (the first `built`) last, so that the threads end on the cheapest ones.
 */
export function featureOf(c: number, built: number, n: number): number {
  return (c + built) % n;
}

export function toThreadError(err: unknown): ThreadError {
  const e = err instanceof Error ? err : new Error(String(err));
  const out: ThreadError = { message: e.message, stack: e.stack };
  if (err instanceof FileInputError) out.file = { file: err.file, line: err.line, column: err.column };
  return out;
}

function fromThreadError(t: ThreadError): Error {
  let e: Error;
  if (t.file) {
    // Rebuilt as a FileInputError of this thread, with the very message the worker made.
    e = new FileInputError(t.file.file, '', t.file.line, t.file.column);
    e.message = t.message;
  } else {
    e = new Error(t.message);
  }
  if (t.stack) e.stack = t.stack;
  return e;
}

/** The entry of the worker thread: compiled or through tsx, as the CLI (bin/load.js). */
const WORKER_ENTRY = new URL('../bin/compare-worker.js', import.meta.url);

/**
 * The node options of this process that a worker thread can take: all but those about the main
 * script (`node --input-type=module -e ...` would stop the worker from loading its entry file).
 */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i];
    if (a === '-e' || a === '--eval' || a === '-p' || a === '--print' || a === '--input-type') i++; // and its value
    else if (!/^--(input-type|eval|print)=/.test(a)) out.push(a);
  }
  return out;
}

/** The main thread's side of the compare worker: one request at a time. */
export class CompareThread {
  private readonly worker: Worker | null = null;
  private pending: { resolve: (m: FromWorker) => void; reject: (e: Error) => void } | null = null;
  private onProgress: ((bytes: number, total: number) => void) | undefined;
  private failure: Error | null = null;
  private closed = false;

  constructor() {
    try {
      this.worker = new Worker(WORKER_ENTRY, { execArgv: workerExecArgv(process.execArgv) });
    } catch (err) {
      this.failure = new Error(`compare: cannot start a worker thread: ${(err as Error).message}`, { cause: err });
      return;
    }
    this.worker.on('message', (m: FromWorker) => {
      if (m.type === 'progress') {
        this.onProgress?.(m.bytes, m.total);
        return;
      }
      const p = this.pending;
      this.pending = null;
      if (m.type === 'error') p?.reject(fromThreadError(m.error));
      else p?.resolve(m);
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      const p = this.pending;
      this.pending = null;
      p?.reject(this.failure);
    };
    this.worker.on('error', (err) => fail(new Error(`compare: the worker thread failed: ${err.message}`, { cause: err })));
    this.worker.on('exit', (code) => fail(new Error(`compare: the worker thread stopped (exit code ${code})`)));
  }

  /** Whether the thread itself failed (could not start, crashed): the caller can do its work instead. */
  get broken(): boolean {
    return this.failure !== null && !this.closed;
  }

  private request(message: ToWorker): Promise<FromWorker> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker!.postMessage(message);
    });
  }

  /** Reads a file in the worker (which keeps it for evaluate); its numeric columns are shared, in `arena` if given. */
  async read(file: string, options: Pick<ReadOptions, 'columns' | 'kinds'>, onProgress?: (bytes: number, total: number) => void, arena?: WasmArena | null): Promise<TableData> {
    this.onProgress = onProgress;
    const m = await this.request({ type: 'read', file, options, progress: onProgress !== undefined, arena: arena?.memory ?? null });
    if (m.type !== 'table') throw new Error(`compare: unexpected answer "${m.type}" from the worker thread to "read"`);
    return { file, rows: m.rows, columns: new Map(m.columns.map((c) => [c.name, c])) };
  }

  /**
   * Evaluates the task's features with evaluateFeatureAt in both threads: the worker with the
   * current file it read last (the same columns as task.curColumns, which came from it), this
   * thread meanwhile, each taking the next feature from a shared counter. The features whose
   * reference snapshots this thread built ahead (task.snapshots: the first ones) come last, the
   * cheapest, so that the threads finish together; the worker is sent those snapshots as data
   * (their samples are shared, not copied), and whichever thread takes a feature uses its snapshot.
   */
  async evaluate(
    task: EvaluationTask,
    // (passed in: this module is loaded by the worker too, which loads evaluation only once it reads)
    { evaluateFeatureAt, snapshotData }: { evaluateFeatureAt: (task: EvaluationTask, index: number) => FeatureOutcome; snapshotData: (s: ReferenceSnapshot) => SnapshotData },
    onEvaluate?: (done: number, total: number) => void,
  ): Promise<FeatureOutcome[]> {
    const counters = new Int32Array(new SharedArrayBuffer(8));
    const built = task.snapshots?.size ?? 0;
    const { refColumns, curColumns, snapshots, ...rest } = task;
    const answer = this.request({
      type: 'evaluate',
      task: { ...rest, refColumns: [...refColumns.values()], snapshots: [...(snapshots ?? new Map())].map(([name, s]) => [name, snapshotData(s)]) },
      counters,
    });
    answer.catch(() => {}); // awaited below
    const n = task.features.length;
    const outcomes: FeatureOutcome[] = new Array(n);
    for (let c = Atomics.add(counters, NEXT, 1); c < n; c = Atomics.add(counters, NEXT, 1)) {
      const i = featureOf(c, built, n);
      outcomes[i] = evaluateFeatureAt(task, i);
      onEvaluate?.(Atomics.add(counters, DONE, 1) + 1, n);
    }
    // (Should the thread die now, its error is the answer: the features it took cannot be done
    // again here, as evaluation may have used up their columns, sorting them in place.)
    const m = await answer;
    if (m.type !== 'outcomes') throw new Error(`compare: unexpected answer "${m.type}" from the worker thread to "evaluate"`);
    for (const [i, o] of m.outcomes) outcomes[i] = o;
    onEvaluate?.(n, n);
    return outcomes;
  }

  close(): void {
    this.closed = true;
    this.failure ??= new Error('compare: the worker thread was closed');
    void this.worker?.terminate();
  }

  /** Whether the thread keeps the process alive (as any worker, by default) or not. */
  keepAlive(on: boolean): void {
    if (on) this.worker?.ref();
    else this.worker?.unref();
  }
}

/** Files from this size on (both together) are read and evaluated in two threads. */
const PARALLEL_MIN_BYTES = 16 * 1024 * 1024;

/**
 * Whether compare uses a worker thread: both files CSV (the reader that shares its columns between
 * threads), more than one CPU, and big enough files (a thread costs some 50 to 100 ms to start),
 * unless `parallel` says otherwise. A file that cannot be looked at counts as empty (reading it
 * reports the error).
 */
export function wantsWorkerThread(reference: string, current: string, parallel?: boolean): boolean {
  if (parallel === false || availableParallelism() < 2) return false;
  if (extname(reference).toLowerCase() !== '.csv' || extname(current).toLowerCase() !== '.csv') return false;
  if (parallel === true) return true;
  const size = (f: string): number => {
    try {
      return statSync(f).size;
    } catch {
      return 0;
    }
  };
  return size(reference) + size(current) >= PARALLEL_MIN_BYTES;
}

/**
 * A worker thread started ahead of compare (startEarlyThread) for these two files. A thread takes
 * some 100 ms to boot here, and the CLI takes about as long to load compare's modules: started
 * first, the thread boots on the other core meanwhile. One per process, taken once.
 */
let early: { thread: CompareThread; reference: string; current: string } | null = null;

/**
 * Starts compare's worker thread now, when compare of these files will want one. It does not keep
 * the process alive until compare takes it (a command line that fails before that still exits).
 */
export function startEarlyThread(reference: string, current: string): void {
  if (early || !wantsWorkerThread(reference, current)) return;
  const thread = new CompareThread();
  thread.keepAlive(false);
  early = { thread, reference, current };
}

/**
 * The thread startEarlyThread started for these files, or null (none, or one for other files,
 * which is closed).
 */
export function takeEarlyThread(reference: string, current: string): CompareThread | null {
  const e = early;
  early = null;
  if (!e) return null;
  if (e.reference !== reference || e.current !== current) {
    e.thread.close();
    return null;
  }
  e.thread.keepAlive(true);
  return e.thread;
}
