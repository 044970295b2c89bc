/**
 * Shared pieces of the benchmarks: deterministic data, the model config, event bodies, timing and
 * small helpers. Nothing here talks to Kafka (see kafka.ts).
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { encodeEvent, type PlainEvent } from '../../src/codec/event.js';
import { loadTypes } from '../../src/codec/schemas.js';

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = join(BENCH_DIR, '..');
export const OUT_DIR = join(BENCH_DIR, 'out');
export const VENV_PY = join(BENCH_DIR, '.venv', 'bin', 'python');

export function outDir(sub = ''): string {
  const d = join(OUT_DIR, sub);
  mkdirSync(d, { recursive: true });
  return d;
}

// ------------------------------------------------------------------ random data

export { mulberry32 as rng, standardNormal as normal } from '../../src/stats/index.js';
import { mulberry32 as rng, standardNormal as normal } from '../../src/stats/index.js';

export function normals(n: number, seed: number, mean = 0, sd = 1): Float64Array {
  const r = rng(seed);
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = mean + sd * normal(r);
  return a;
}

// ------------------------------------------------------------------ the benchmark model

export const NUMERIC = Array.from({ length: 20 }, (_, i) => `n${i}`);
export const CATEGORICAL = Array.from({ length: 5 }, (_, i) => `c${i}`);
const CATEGORIES = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];

export const WINDOW_MS = 60_000;
/** Event times start here (2026-01-01T00:00:00Z), aligned to windows. */
export const T0 = Date.UTC(2026, 0, 1);

export function modelIds(models: number): string[] {
  return Array.from({ length: models }, (_, i) => `bench-m${i}`);
}

/** The `models` section of a config: 20 numeric + 5 categorical features, all metrics. */
export function modelsConfig(models: number, window = '1m', grace = '0s', idle = '30s') {
  return modelIds(models).map((id) => ({
    id,
    window: { size: window, grace, idle },
    features: [...NUMERIC.map((name) => ({ name, type: 'numeric' })), ...CATEGORICAL.map((name) => ({ name, type: 'categorical' }))],
  }));
}

export interface Topics {
  inference: string;
  training: string;
  alerts: string;
  results: string;
  deadLetter: string;
}

export function topicNames(prefix: string): Topics {
  return {
    inference: `${prefix}.inference`,
    training: `${prefix}.training`,
    alerts: `${prefix}.alerts`,
    results: `${prefix}.results`,
    deadLetter: `${prefix}.dlq`,
  };
}

export function rawConfig(opts: { brokers: string; groupId: string; topics: Topics; models: number; window?: string; grace?: string; idle?: string; metricsPort?: number; logLevel?: string; workers?: number }) {
  return {
    kafka: { brokers: [opts.brokers], clientId: 'driftline-bench', groupId: opts.groupId },
    topics: opts.topics,
    metrics: { host: '127.0.0.1', port: opts.metricsPort ?? 0 },
    ...(opts.workers ? { processor: { workers: opts.workers } } : {}),
    logLevel: opts.logLevel ?? 'warn',
    models: modelsConfig(opts.models, opts.window, opts.grace, opts.idle),
  };
}

export function configYaml(raw: unknown): string {
  return stringify(raw);
}

/**
 * Feature values of event i: normals (a few of them drifting slowly with i) and categories.
 * `shift` moves every numeric mean (used for drifted windows).
 */
export function features(r: () => number, drift: number): Record<string, number | string> {
  const f: Record<string, number | string> = {};
  for (let k = 0; k < NUMERIC.length; k++) f[NUMERIC[k]] = normal(r) * (1 + k * 0.1) + k + (k < 4 ? drift : 0);
  for (let k = 0; k < CATEGORICAL.length; k++) {
    const u = r();
    f[CATEGORICAL[k]] = CATEGORIES[Math.min(CATEGORIES.length - 1, Math.floor(u * u * (3 + k)))];
  }
  return f;
}

/** Encoded bodies kept in one contiguous arena (no Buffer object per event until asked). */
export class Bodies {
  constructor(readonly arena: Buffer, readonly starts: Uint32Array, readonly keys: string[], readonly modelOf: Uint8Array) {}
  get length(): number {
    return this.starts.length - 1;
  }
  body(i: number): Buffer {
    return this.arena.subarray(this.starts[i], this.starts[i + 1]);
  }
  get bytes(): number {
    return this.starts[this.starts.length - 1];
  }
}

/**
 * N inference events over `models` models, round-robin, `perWindow` events per model and window,
 * event times increasing within each model. Windows after the first half drift (mean +0.5 on 4
 * features) so alerts fire.
 */
export function inferenceBodies(n: number, models: number, perWindow: number, seed = 1, onProgress?: (done: number) => void): Bodies {
  const types = loadTypes();
  const ids = modelIds(models);
  const r = rng(seed);
  const chunks: Buffer[] = [];
  const starts = new Uint32Array(n + 1);
  const modelOf = new Uint8Array(n);
  let pos = 0;
  const step = WINDOW_MS / perWindow;
  const perModel = Math.ceil(n / models);
  for (let i = 0; i < n; i++) {
    const m = i % models;
    const j = Math.floor(i / models); // index of the event within its model
    const e: PlainEvent = {
      model_id: ids[m],
      model_version: 'v1',
      event_id: `e${i}`,
      event_time: T0 + Math.floor(j * step),
      features: features(r, j > perModel / 2 ? 0.5 : 0),
    };
    const b = encodeEvent(types.inference, 'inference', e);
    chunks.push(b);
    starts[i] = pos;
    pos += b.length;
    modelOf[i] = m;
    if (onProgress && (i + 1) % 100_000 === 0) onProgress(i + 1);
  }
  starts[n] = pos;
  const arena = Buffer.concat(chunks, pos);
  return new Bodies(arena, starts, ids, modelOf);
}

/** `rows` training events per model (the reference), undrifted. */
export function trainingBodies(rows: number, models: number, seed = 2): { key: string; value: Buffer }[] {
  const types = loadTypes();
  const r = rng(seed);
  const out: { key: string; value: Buffer }[] = [];
  for (const id of modelIds(models)) {
    for (let i = 0; i < rows; i++) {
      out.push({ key: id, value: encodeEvent(types.training, 'training', { model_id: id, model_version: 'v1', event_id: `t${i}`, event_time: T0, features: features(r, 0) }) });
    }
  }
  return out;
}

// ------------------------------------------------------------------ timing and stats

export const now = (): number => Number(process.hrtime.bigint()) / 1e6;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Nearest-rank percentile. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function round(x: number | null, digits = 3): number | null {
  if (x === null || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Progress lines go to stderr so that stdout keeps the table (and the JSON line). */
export function progress(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

/** Runs a command, resolves with its exit code, stdout and stderr, and the wall time in ms. */
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const child = spawn(cmd, args, { cwd: opts.cwd ?? REPO_ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : null;
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: now() - t0 });
    });
  });
}
