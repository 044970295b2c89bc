// `driftline compare` on the NannyML California housing files (beside the repo, in ../shared).
// Golden numbers come from scipy (test/fixtures/golden/california_housing.json, written by
// scripts/gen_golden.py), never from the code under test.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareFiles, formatTable, type CompareReport } from '../../../src/compare.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const DATA = path.resolve(repoRoot, '..', 'shared', 'data', 'nannyml');
const REFERENCE = path.join(DATA, 'california_housing_reference.csv');
const ANALYSIS = path.join(DATA, 'california_housing_analysis.csv');
const COLUMNS = ['MedInc', 'HouseAge', 'AveRooms', 'AveBedrms', 'Population', 'AveOccup', 'Latitude', 'Longitude'];

interface GoldenColumn {
  name: string;
  reference: number[];
  current: number[];
  statistic: number;
  pValue: number;
  wasserstein: number;
  psi: number;
  jensenShannon: number;
  hellinger: number;
}
const golden = JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/golden/california_housing.json'), 'utf8')) as { columns: GoldenColumn[] };

/** |a - b| <= 1e-9, or relative 1e-9 for large numbers (wasserstein of Population is ~50). */
function close(actual: number, expected: number, tol = 1e-9): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected)));
}

describe('compare, whole files (no --window): reproduces the scipy golden values', async () => {
  const report = await compareFiles({ reference: REFERENCE, current: ANALYSIS, numeric: COLUMNS });

  it('has one window without bounds, with every row', () => {
    expect(report.reference.rows).toBe(golden.columns[0].reference.length);
    expect(report.windows).toHaveLength(1);
    const w = report.windows[0];
    expect(w.start).toBeNull();
    expect(w.end).toBeNull();
    expect(w.rows).toBe(golden.columns[0].current.length);
  });

  for (const g of golden.columns) {
    it(g.name, () => {
      const f = report.windows[0].features[g.name];
      expect(f.kind).toBe('numeric');
      expect(f.count).toBe(g.current.length);
      expect(f.missing).toBe(0);
      close(f.metrics.ks.value, g.statistic);
      // p-values: 1e-9 absolute (they are probabilities; several are ~1e-20 or exactly 0).
      expect(Math.abs(f.metrics.ks.p_value! - g.pValue)).toBeLessThanOrEqual(1e-9);
      close(f.metrics.wasserstein.value, g.wasserstein);
      close(f.metrics.psi.value, g.psi);
      close(f.metrics.js.value, g.jensenShannon);
      close(f.metrics.hellinger.value, g.hellinger);
    });
  }
});

describe('compare with --window 1M', async () => {
  const report = await compareFiles({
    reference: REFERENCE,
    current: ANALYSIS,
    numeric: ['MedInc', 'HouseAge', 'Latitude', 'Longitude'],
    timestampColumn: 'timestamp',
    window: '1M',
  });

  it('gives calendar months (UTC) that partition the analysis rows', () => {
    expect(report.windows.length).toBeGreaterThan(1);
    let total = 0;
    let previousEnd: string | null = null;
    for (const w of report.windows) {
      const start = new Date(w.start!);
      const end = new Date(w.end!);
      expect(start.getUTCDate()).toBe(1);
      expect(start.getUTCHours() + start.getUTCMinutes() + start.getUTCSeconds() + start.getUTCMilliseconds()).toBe(0);
      expect(end.getTime()).toBe(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
      if (previousEnd !== null) expect(w.start! >= previousEnd).toBe(true);
      previousEnd = w.end;
      total += w.rows;
      for (const f of Object.values(w.features)) expect(f.count + f.missing).toBe(w.rows);
    }
    expect(total).toBe(8232);
  });

  it('follows the JSON contract', () => {
    const json = JSON.parse(JSON.stringify(report)) as CompareReport;
    expect(Object.keys(json)).toEqual(['reference', 'windows']);
    expect(Object.keys(json.reference)).toEqual(['rows']);
    for (const w of json.windows) {
      expect(Object.keys(w)).toEqual(['start', 'end', 'rows', 'features']);
      expect(Object.keys(w.features)).toEqual(['MedInc', 'HouseAge', 'Latitude', 'Longitude']);
      for (const f of Object.values(w.features)) {
        expect(Object.keys(f)).toEqual(['kind', 'count', 'missing', 'metrics']);
        expect(Object.keys(f.metrics)).toEqual(['ks', 'wasserstein', 'psi', 'js', 'hellinger', 'missing_rate', 'out_of_range']);
        expect(Object.keys(f.metrics.ks)).toEqual(['value', 'p_value', 'threshold', 'drift']);
        expect(Object.keys(f.metrics.psi)).toEqual(['value', 'threshold', 'drift']); // no p_value key
        expect(f.metrics.wasserstein.threshold).toBeNull();
      }
    }
  });

  it('finds Latitude and Longitude drifted in most windows', () => {
    for (const name of ['Latitude', 'Longitude']) {
      const drifted = report.windows.filter((w) => Object.values(w.features[name].metrics).some((m) => m.drift)).length;
      expect(drifted / report.windows.length).toBeGreaterThan(0.5);
    }
  });

  it('prints a table per window, most drifted first, with a summary', () => {
    const text = formatTable(report);
    const blocks = text.split('\n\n').filter((b) => b.startsWith('window '));
    expect(blocks).toHaveLength(report.windows.length);
    for (const b of blocks) {
      const lines = b.split('\n');
      expect(lines[1]).toMatch(/^feature\s+kind\s+count\s+missing\s+ks p\s+wasserstein\s+psi\s+js\s+hellinger\s+missing_rate\s+out_of_range$/);
      expect(lines.at(-1)).toMatch(/^\d of 4 features drifted$/);
      // Drifted rows (marked *) come before the others.
      const marks = lines.slice(2, -1).map((l) => l.includes('*'));
      expect(marks).toEqual([...marks].sort((a, b) => Number(b) - Number(a)));
    }
  });
});

describe('compare options', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'driftline-compare-'));
  const ref = path.join(dir, 'ref.csv');
  const cur = path.join(dir, 'cur.csv');
  writeFileSync(ref, 'x,color,t\n1,red,2021-01-01\n2,blue,2021-01-01\n3,red,2021-01-01\n4,red,2021-01-01\n');
  writeFileSync(cur, 'x,color,t\n1,red,2021-01-01 10:00\n,blue,2021-01-01 11:00\n30,green,2021-01-02 00:00\n40,green,2021-01-02 01:00\n');

  it('without column lists compares the common columns with inferred kinds, skipping the timestamp column', async () => {
    const r = await compareFiles({ reference: ref, current: cur, timestampColumn: 't', window: '1d' });
    expect(r.windows.map((w) => [w.start, w.rows])).toEqual([['2021-01-01T00:00:00.000Z', 2], ['2021-01-02T00:00:00.000Z', 2]]);
    const day1 = r.windows[0].features;
    expect(Object.keys(day1)).toEqual(['x', 'color']);
    expect(day1.x).toMatchObject({ kind: 'numeric', count: 1, missing: 1 });
    expect(day1.color.kind).toBe('categorical');
    expect(Object.keys(day1.color.metrics)).toEqual(['psi', 'js', 'hellinger', 'chi2', 'linf', 'missing_rate', 'unseen_categories']);
  });

  it('hopping windows put a row in each window that contains it', async () => {
    const r = await compareFiles({ reference: ref, current: cur, numeric: ['x'], timestampColumn: 't', window: '1d', advance: '12h' });
    expect(r.windows.reduce((n, w) => n + w.rows, 0)).toBe(8);
  });

  it('--metrics restricts the metrics; unknown names list the valid ones', async () => {
    const r = await compareFiles({ reference: ref, current: cur, numeric: ['x'], metrics: ['ks', 'psi'] });
    expect(Object.keys(r.windows[0].features.x.metrics)).toEqual(['ks', 'psi']);
    await expect(compareFiles({ reference: ref, current: cur, metrics: ['kss'] })).rejects.toThrow('unknown metric "kss"; valid metrics are: ks, wasserstein, psi, js, hellinger, chi2, linf');
  });

  it('--threshold replaces a metric\'s threshold', async () => {
    const r = await compareFiles({ reference: ref, current: cur, numeric: ['x'], metrics: ['ks'], thresholds: new Map([['ks', 0.5]]) });
    expect(r.windows[0].features.x.metrics.ks.threshold).toBe(0.5);
  });
});

describe('the CLI: exit codes', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'driftline-cli-'));
  const run = (...args: string[]) =>
    spawnSync('npx', ['tsx', 'src/cli/main.ts', 'compare', ...args], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const base = ['--reference', REFERENCE, '--current', ANALYSIS, '--numeric', 'Latitude,Longitude'];

  it('0 whatever the verdict; json to a file with --out', () => {
    const out = path.join(dir, 'report.json');
    const r = run(...base, '--format', 'json', '--out', out);
    expect(r.stderr).not.toMatch(/driftline:/);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    const report = JSON.parse(readFileSync(out, 'utf8')) as CompareReport;
    expect(report.windows[0].features.Latitude.metrics.ks.drift).toBe(true);
  }, 30_000);

  it('3 with --fail-on-drift when a feature drifted', () => {
    const r = run(...base, '--fail-on-drift');
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/2 of 2 features drifted/);
  }, 30_000);

  it('2 with a bad file: stderr names the file, line and column', () => {
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, 'Latitude,Longitude\n34.1,-118.2\n34.2,oops\n');
    const r = run('--reference', REFERENCE, '--current', bad, '--numeric', 'Latitude,Longitude');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${bad}, line 3, column "Longitude": "oops" is not a number`);
  }, 30_000);

  it('2 with an unknown metric, listing the valid ones', () => {
    const r = run(...base, '--metrics', 'ks,nope');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown metric "nope"; valid metrics are: ks, wasserstein, psi, js, hellinger, chi2, linf');
  }, 30_000);
});
