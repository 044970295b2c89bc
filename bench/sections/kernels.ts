/**
 * 2. Kernels: driftline's ks against scipy.stats.ks_2samp on the same data (a binary file both
 * read), and the evaluation of one closed window of 100,000 events x 25 features, all metrics.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { encodeEvent } from '../../src/codec/event.js';
import { loadTypes } from '../../src/codec/schemas.js';
import { parseConfig } from '../../src/config.js';
import { Instrumentation } from '../../src/instrumentation.js';
import { Processor } from '../../src/processor.js';
import { ks } from '../../src/stats/index.js';
import { BENCH_DIR, features, median, modelIds, normals, now, outDir, progress, rawConfig, rng, run, T0, topicNames, trainingBodies, VENV_PY } from '../lib/common.js';

export interface KsCase {
  n1: number;
  n2: number;
  driftline_ms: number | null;
  scipy_ms: number | null;
  ratio: number | null;
  driftline_statistic: number;
  driftline_p_value: number;
  scipy_statistic: number | null;
  scipy_p_value: number | null;
}

export interface KernelsResult {
  ks: KsCase;
  ks_exact: KsCase;
  window_eval_ms: number;
  window_eval_rows: number;
  notes: string[];
}

async function ksCase(n1: number, n2: number, reps: number, notes: string[]): Promise<KsCase> {
  const a = normals(n1, 11);
  const b = normals(n2, 12, 0.01);
  const path = join(outDir('tmp'), `ks-${n1}-${n2}.f64`);
  const buf = Buffer.alloc((n1 + n2) * 8);
  Buffer.from(a.buffer).copy(buf, 0);
  Buffer.from(b.buffer).copy(buf, n1 * 8);
  writeFileSync(path, buf);
  ks(a.subarray(0, 100), b.subarray(0, 100)); // warm-up
  const times: number[] = [];
  let r = ks(a, b);
  for (let i = 0; i < reps; i++) {
    const t0 = now();
    r = ks(a, b);
    times.push(now() - t0);
  }
  const dl = median(times);
  let scipy: { median_ms: number; statistic: number; p_value: number } | null = null;
  if (existsSync(VENV_PY)) {
    const res = await run(VENV_PY, [join(BENCH_DIR, 'py', 'ks_bench.py'), path, String(n1), String(reps)]);
    if (res.code === 0) scipy = JSON.parse(res.stdout.trim().split('\n').pop()!);
    else notes.push(`scipy ks failed: ${res.stderr.slice(-300)}`);
  } else notes.push('no bench/.venv: scipy not measured (python3.11 -m venv bench/.venv && bench/.venv/bin/pip install -r bench/requirements.txt)');
  return {
    n1,
    n2,
    driftline_ms: dl,
    scipy_ms: scipy?.median_ms ?? null,
    ratio: scipy ? dl / scipy.median_ms : null,
    driftline_statistic: r.statistic,
    driftline_p_value: r.pValue,
    scipy_statistic: scipy?.statistic ?? null,
    scipy_p_value: scipy?.p_value ?? null,
  };
}

/** One model, reference of `rows` training rows, windows of `rows` events; times each window's close. */
function windowEval(rows: number, windows: number): number {
  const types = loadTypes();
  const raw = rawConfig({ brokers: '127.0.0.1:1', groupId: 'x', topics: topicNames('x'), models: 1, window: '1h' });
  const config = parseConfig({ ...raw, processor: { referenceMaxRows: rows } });
  const p = new Processor(config, new Instrumentation(pino({ level: 'silent' }), new Registry(), { defaultMetrics: false }), { now: () => Date.now() }, types);
  trainingBodies(rows, 1, 21).forEach((t, i) => p.processTraining({ topic: 't', partition: 0, offset: String(i), key: null, value: t.value }));
  const r = rng(22);
  const id = modelIds(1)[0];
  let offset = 0;
  const times: number[] = [];
  const feed = (t: number) => {
    const body = encodeEvent(types.inference, 'inference', { model_id: id, model_version: 'v1', event_id: `e${offset}`, event_time: t, features: features(r, 0.1) });
    p.processInference({ topic: 'i', partition: 0, offset: String(offset++), key: null, value: body });
  };
  for (let w = 0; w <= windows; w++) {
    const start = T0 + w * 3_600_000;
    if (w > 0) {
      // the first event of window w closes window w-1: that call is (almost only) the evaluation
      const t0 = now();
      feed(start);
      times.push(now() - t0);
      const out = p.drain();
      if (out.results.length !== 1) throw new Error(`expected one window result, got ${out.results.length}`);
      progress(`  window of ${rows.toLocaleString('en')} events evaluated in ${times[times.length - 1].toFixed(0)} ms`);
    }
    if (w === windows) break;
    for (let i = w > 0 ? 1 : 0; i < rows; i++) feed(start + Math.floor((i * 3_600_000) / rows));
  }
  return median(times);
}

export async function kernels(opts: { ksN: number; windowRows: number; reps: number }): Promise<KernelsResult> {
  const notes: string[] = [];
  progress(`kernels: ks on ${opts.ksN.toLocaleString('en')} vs ${opts.ksN.toLocaleString('en')} normals, driftline vs scipy (median of ${opts.reps})`);
  const big = await ksCase(opts.ksN, opts.ksN, opts.reps, notes);
  progress(`  driftline ${big.driftline_ms?.toFixed(2)} ms, scipy ${big.scipy_ms?.toFixed(2) ?? 'n/a'} ms`);
  progress('kernels: ks exact p-value path (10,000 vs 5,000), driftline vs scipy');
  const exact = await ksCase(10_000, 5_000, Math.max(3, Math.min(opts.reps, 5)), notes);
  progress(`  driftline ${exact.driftline_ms?.toFixed(2)} ms, scipy ${exact.scipy_ms?.toFixed(2) ?? 'n/a'} ms`);
  progress(`kernels: evaluation of one closed window of ${opts.windowRows.toLocaleString('en')} events x 25 features, all metrics (reference ${opts.windowRows.toLocaleString('en')} rows)`);
  const evalMs = windowEval(opts.windowRows, 3);
  return { ks: big, ks_exact: exact, window_eval_ms: evalMs, window_eval_rows: opts.windowRows, notes };
}
