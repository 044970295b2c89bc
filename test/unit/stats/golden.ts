// Helpers shared by the stats tests: golden-fixture loading and tolerance checks.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const GOLDEN_DIR = fileURLToPath(new URL('../../fixtures/golden/', import.meta.url));

export function loadGolden<T>(name: string): T {
  return JSON.parse(readFileSync(GOLDEN_DIR + name, 'utf8')) as T;
}

/** Tolerances from the contract: values 1e-9 abs or 1e-7 rel; p-values 1e-6 abs or 1e-3 rel. */
export const VALUE_TOL = { abs: 1e-9, rel: 1e-7 };
export const P_TOL = { abs: 1e-6, rel: 1e-3 };

const deviations = new Map<string, { abs: number; rel: number }>();

/** Asserts |actual − expected| <= abs or <= rel·|expected|, and records the deviation under `metric`. */
export function expectClose(
  metric: string,
  actual: number,
  expected: number,
  tol: { abs: number; rel: number },
  label = '',
): void {
  const diff = Math.abs(actual - expected);
  const rel = expected === 0 ? (diff === 0 ? 0 : Infinity) : diff / Math.abs(expected);
  const rec = deviations.get(metric) ?? { abs: 0, rel: 0 };
  rec.abs = Math.max(rec.abs, diff);
  if (Number.isFinite(rel)) rec.rel = Math.max(rec.rel, rel);
  deviations.set(metric, rec);
  const ok = diff <= tol.abs || diff <= tol.rel * Math.abs(expected);
  if (!ok) {
    expect.fail(`${metric} ${label}: got ${actual}, scipy ${expected} (abs ${diff.toExponential(3)}, rel ${rel.toExponential(3)})`);
  }
}

/** Prints the largest deviations seen (call from afterAll). */
export function reportDeviations(file: string): void {
  const lines = [...deviations.entries()].map(
    ([k, v]) => `  ${k}: max abs ${v.abs.toExponential(2)}, max rel ${v.rel.toExponential(2)}`,
  );
  if (process.env.STATS_DEVIATIONS) console.log(`[${file}] deviation from scipy/numpy:\n${lines.join('\n')}`);
}

export const f64 = (a: number[]): Float64Array => Float64Array.from(a);
