// compare in two threads (a worker reads the current file and takes half of the features) gives
// byte for byte the report of compare in one thread, and fails with the same errors.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compareFilesDetailed, type CompareOptions } from '../../../src/compare.js';
import { arenas } from '../../../src/stats/arena.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const DATA = path.resolve(repoRoot, '..', 'shared', 'data', 'nannyml');
const REFERENCE = path.join(DATA, 'california_housing_reference.csv');
const ANALYSIS = path.join(DATA, 'california_housing_analysis.csv');

const dir = mkdtempSync(path.join(tmpdir(), 'driftline-compare-parallel-'));
function write(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The outcome of a compare as text: the detailed report as JSON, or the error. */
async function outcome(opts: CompareOptions): Promise<string> {
  try {
    return JSON.stringify(await compareFilesDetailed(opts));
  } catch (err) {
    const e = err as Error & { code?: string; line?: number; column?: string; file?: string };
    return JSON.stringify({ error: e.message, type: e.constructor.name, code: e.code, file: e.file, line: e.line, column: e.column });
  }
}

async function same(opts: CompareOptions): Promise<string> {
  const one = await outcome({ ...opts, parallel: false });
  const two = await outcome({ ...opts, parallel: true });
  expect(two).toBe(one);
  return one;
}

// Mixed columns: numeric with missing cells, categorical, numbers-then-text, empty, timestamps.
const rnd = (() => {
  let s = 7;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
})();
function mixed(rows: number, shift: number, extra: (i: number) => string = () => ''): string {
  const lines = ['t,a,b,c,d,e,f'];
  for (let i = 0; i < rows; i++) {
    const t = new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString();
    const a = i % 17 === 0 ? '' : (rnd() * 10 + shift).toFixed(3);
    const b = ['red', 'green', 'blue', 'gelb'][Math.floor(rnd() * (shift ? 4 : 3))];
    const c = i % 5 === 0 ? '' : String(Math.floor(rnd() * 5 + shift));
    const e = (rnd() - 0.5).toExponential(4);
    lines.push(`${t},${a},${b},${c},,${e},${extra(i) || String(i % 3)}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('compare in two threads = compare in one', () => {
  const ref = write('ref.csv', mixed(3000, 0));
  const cur = write('cur.csv', mixed(2500, 1));
  const curText = write('cur-text.csv', mixed(2500, 1, (i) => (i === 2000 ? 'n/a' : ''))); // f: numbers, then text

  it('whole files, inferred kinds (numeric, categorical, all empty)', async () => {
    const r = JSON.parse(await same({ reference: ref, current: cur }));
    expect(Object.keys(r.report.windows[0].features)).toEqual(['t', 'a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('windows (tumbling and hopping), thresholds, chosen metrics, bins', async () => {
    await same({ reference: ref, current: cur, timestampColumn: 't', window: '1d' });
    await same({ reference: ref, current: cur, timestampColumn: 't', window: '12h', advance: '4h', bins: 7, metrics: ['ks', 'psi', 'chi2', 'missing_rate'], thresholds: new Map([['ks', 0.2]]) });
  });

  it('a big current file: the first reference snapshots built while the worker reads it, those features evaluated by this thread', async () => {
    const big = write('cur-big.csv', mixed(120_000, 1));
    await same({ reference: ref, current: big });
    await same({ reference: ref, current: big, timestampColumn: 't', window: '1w', metrics: ['ks', 'wasserstein', 'psi', 'chi2'] });
  });

  it('forced kinds, including numbers as categories', async () => {
    await same({ reference: ref, current: cur, numeric: ['a', 'e'], categorical: ['c', 'b'] });
  });

  it('a current column inferred differently from the reference: read again, same data or same error', async () => {
    // f is numeric in the reference and turns to text in the current file: the error of a forced numeric read.
    const r = JSON.parse(await same({ reference: ref, current: curText }));
    expect(r).toMatchObject({ type: 'FileInputError', line: 2002, column: 'f' });
    // c numeric in the current file but categorical in the reference: the current file is read as categorical.
    const refText = write('ref-text.csv', mixed(3000, 0, (i) => (i === 10 ? 'x' : '')));
    await same({ reference: refText, current: cur });
  });

  it('errors: the reference first, then the current file, then the options', async () => {
    const bad = write('bad.csv', 't,a,b,c,d,e,f\n2024-01-01,1,2\n');
    expect(JSON.parse(await same({ reference: bad, current: bad }))).toMatchObject({ type: 'FileInputError', file: bad, line: 2 });
    expect(JSON.parse(await same({ reference: ref, current: bad }))).toMatchObject({ type: 'FileInputError', file: bad });
    expect(JSON.parse(await same({ reference: ref, current: path.join(dir, 'missing.csv') }))).toMatchObject({ type: 'FileInputError' });
    expect(JSON.parse(await same({ reference: ref, current: cur, thresholds: new Map([['nope', 1]]) }))).toMatchObject({ type: 'UnknownMetricError' });
    const noTime = write('no-time.csv', mixed(100, 1).replace(/\n2024-01-01T05:00:00.000Z,/, '\n,'));
    expect(JSON.parse(await same({ reference: ref, current: noTime, timestampColumn: 't', window: '1d' }))).toMatchObject({ type: 'FileInputError', column: 't' });
  });

  it('columns in an arena (read in place by the kernels) or in ordinary arrays: the same report', async () => {
    const big = write('cur-big-arena.csv', mixed(60_000, 1));
    for (const opts of [{ reference: ref, current: big }, { reference: REFERENCE, current: ANALYSIS, metrics: ['ks', 'js', 'psi', 'wasserstein'] }]) {
      for (const parallel of [true, false]) {
        const inArena = await outcome({ ...opts, parallel });
        arenas.enabled = false;
        try {
          expect(await outcome({ ...opts, parallel }), JSON.stringify(opts)).toBe(inArena);
        } finally {
          arenas.enabled = true;
        }
      }
    }
  });

  it('the California housing files, windowed by month', async () => {
    await same({ reference: REFERENCE, current: ANALYSIS, timestampColumn: 'timestamp', window: '1M' });
  });

  it('reports progress of both files and of the evaluation', async () => {
    const seen = new Set<string>();
    let evaluated = 0;
    await compareFilesDetailed({ reference: ref, current: cur, parallel: true, onProgress: (file) => seen.add(file), onEvaluate: (done, total) => {
      expect(total).toBe(7);
      evaluated = Math.max(evaluated, done);
    } });
    expect([...seen].sort()).toEqual(['current', 'reference']);
    expect(evaluated).toBe(7);
  });
});
