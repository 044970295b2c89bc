// Runs `driftline compare --format html` in-process (the same commander setup as the CLI) on the
// NannyML California housing files beside the repo (../shared), and returns the page.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerCompare } from '../../../src/cli/compare.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const DATA = path.resolve(repoRoot, '..', 'shared', 'data', 'nannyml');
export const REFERENCE = path.join(DATA, 'california_housing_reference.csv');
export const ANALYSIS = path.join(DATA, 'california_housing_analysis.csv');
export const NUMERIC = ['MedInc', 'HouseAge', 'AveRooms', 'AveBedrms', 'Population', 'AveOccup', 'Latitude', 'Longitude', 'y_pred_proba'];
export const CATEGORICAL = ['y_pred'];
export const FEATURES = [...NUMERIC, ...CATEGORICAL];

/** Writes the report with --window 1M to a fresh temp dir; returns its path and text. */
export async function makeReport(): Promise<{ file: string; html: string; dir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'driftline-report-'));
  const file = path.join(dir, 'report.html');
  const program = new Command('driftline').exitOverride();
  registerCompare(program);
  await program.parseAsync([
    'compare',
    '--reference', REFERENCE,
    '--current', ANALYSIS,
    '--numeric', NUMERIC.join(','),
    '--categorical', CATEGORICAL.join(','),
    '--timestamp-column', 'timestamp',
    '--window', '1M',
    '--format', 'html',
    '--out', file,
  ], { from: 'user' });
  return { file, html: readFileSync(file, 'utf8'), dir };
}
