/**
 * 3. Offline: a reference/current CSV pair (rows x cols numeric, some columns drifted) compared by
 * `driftline compare`, Evidently's DataDriftPreset and NannyML's UnivariateDriftCalculator. Times
 * are wall times of each process (start-up and imports included for all three; driftline's dist/
 * is built beforehand, see bin/load.js); the Python scripts also report their in-process times
 * (reading the CSVs + computing, imports excluded).
 */
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { BENCH_DIR, normal, outDir, progress, rng, run, VENV_PY } from '../lib/common.js';

export interface Side {
  /** Median of the runs' wall times. */
  wall_s: number | null;
  inner_s: number | null;
  /** Every run's wall time, in order. */
  runs_s?: number[];
  version?: string;
  error?: string;
}
export interface OfflineResult {
  rows: number;
  cols: number;
  /** Every metric that applies (ks, wasserstein, psi, js, hellinger, missing_rate, out_of_range). */
  driftline: Side;
  /** `--metrics ks,js`: the two methods the NannyML script computes, for the same work on both sides. */
  driftline_nannyml_methods: Side;
  evidently: Side;
  nannyml: Side;
  reps: number;
  notes: string[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function writeCsv(path: string, rows: number, cols: number, seed: number, drift: boolean): Promise<void> {
  if (existsSync(path) && statSync(path).size > 0) return; // cached (same seed, same shape)
  const r = rng(seed);
  const out = createWriteStream(path);
  out.write(Array.from({ length: cols }, (_, j) => `x${j}`).join(',') + '\n');
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    let line = '';
    for (let j = 0; j < cols; j++) {
      // every 5th column drifts in the current file (mean +0.3)
      const x = normal(r) * (1 + (j % 7) * 0.2) + j + (drift && j % 5 === 0 ? 0.3 : 0);
      line += (j ? ',' : '') + x.toFixed(6);
    }
    chunk += line + '\n';
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.write(chunk);
  out.end();
  await once(out, 'finish');
}

function lastJson(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

export async function offline(rows: number, cols: number, which: { evidently: boolean; nannyml: boolean }, reps = 3): Promise<OfflineResult> {
  const notes: string[] = [];
  const dir = outDir('data');
  const ref = join(dir, `reference-${rows}x${cols}.csv`);
  const cur = join(dir, `current-${rows}x${cols}.csv`);
  progress(`offline: CSV pair ${rows.toLocaleString('en')} rows x ${cols} numeric columns (every 5th column drifted) in ${dir}`);
  await writeCsv(ref, rows, cols, 41, false);
  await writeCsv(cur, rows, cols, 42, true);
  progress(`  ${(statSync(ref).size / 1e6).toFixed(0)} MB + ${(statSync(cur).size / 1e6).toFixed(0)} MB`);

  // dist/ is compiled from src/ once after each change of src/ (bin/load.js), as Python writes its
  // .pyc files once: done before timing, so that an edit of src/ just before does not count.
  await run(process.execPath, ['bin/driftline.js', '--version'], { timeoutMs: 120_000 });
  const dlRun = async (label: string, side: Side, extra: string[]): Promise<void> => {
    if (side.error) return;
    progress(`offline: driftline compare ${extra.join(' ')} --format json --out /dev/null (${label})`);
    const d = await run(process.execPath, ['bin/driftline.js', 'compare', '--reference', ref, '--current', cur, ...extra, '--format', 'json', '--out', '/dev/null'], { timeoutMs: 1_800_000 });
    if (d.code !== 0) {
      side.error = `driftline compare exited ${d.code}: ${(d.stderr || d.stdout).trim().slice(-300)}`;
      notes.push(side.error);
      return;
    }
    (side.runs_s ??= []).push(d.ms / 1000);
    side.wall_s = median(side.runs_s);
    progress(`  driftline (${label}): ${(d.ms / 1000).toFixed(2)} s`);
  };

  const python = async (label: string, side: Side, script: string, args: string[]): Promise<void> => {
    if (side.error) return;
    if (!existsSync(VENV_PY)) {
      side.error = 'no bench/.venv (python3.11 -m venv bench/.venv && bench/.venv/bin/pip install -r bench/requirements.txt)';
      notes.push(`${label}: ${side.error}`);
      return;
    }
    progress(`offline: ${label}`);
    const res = await run(VENV_PY, [join(BENCH_DIR, 'py', script), ...args], { timeoutMs: 3_600_000 });
    if (res.code !== 0) {
      side.error = `${label} exited ${res.code}: ${res.stderr.trim().slice(-400)}`;
      notes.push(side.error);
      return;
    }
    const j = lastJson(res.stdout);
    (side.runs_s ??= []).push(res.ms / 1000);
    side.wall_s = median(side.runs_s);
    side.inner_s = Number(j.total_s);
    side.version = String(j.evidently ?? j.nannyml ?? '');
    progress(`  ${label}: ${(res.ms / 1000).toFixed(1)} s wall (${side.inner_s.toFixed(1)} s reading + computing)`);
  };

  const driftline: Side = { wall_s: null, inner_s: null };
  const sameMethods: Side = { wall_s: null, inner_s: null };
  const evidently: Side = which.evidently ? { wall_s: null, inner_s: null } : { wall_s: null, inner_s: null, error: 'not run' };
  const nannyml: Side = which.nannyml ? { wall_s: null, inner_s: null } : { wall_s: null, inner_s: null, error: 'not run' };
  // driftline and NannyML take turns, `reps` times each, and each side's median counts: a busy
  // patch of the shared machine then falls on both. Evidently (about 90 s a run) runs once.
  for (let rep = 1; rep <= reps; rep++) {
    progress(`offline: round ${rep} of ${reps}`);
    await dlRun('every metric', driftline, []);
    await dlRun('ks and js, as NannyML', sameMethods, ['--metrics', 'ks,js']);
    if (which.nannyml) await python('NannyML UnivariateDriftCalculator', nannyml, 'nannyml_bench.py', [ref, cur]);
  }
  if (which.evidently) await python('Evidently DataDriftPreset', evidently, 'evidently_bench.py', [ref, cur, join(outDir('tmp'), 'evidently.json')]);
  return { rows, cols, driftline, driftline_nannyml_methods: sameMethods, evidently, nannyml, reps, notes };
}
