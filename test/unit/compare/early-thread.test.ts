// The CLI starts compare's worker thread before it loads the command (src/cli/early.ts), for
// files big enough to be read in two threads: the command line is read the way commander reads
// it, compare takes the thread only for the same files, and a command line that fails before
// compare takes it still exits, with the usual error.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commandName, optionValue } from '../../../src/cli/early.js';
import { startEarlyThread, takeEarlyThread, wantsWorkerThread } from '../../../src/compare-thread.js';
import { compareFiles } from '../../../src/compare.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'driftline-early-'));

/** A CSV file of `rows` rows of three numeric columns, about 9 MB for 300,000 rows. */
function csv(name: string, rows: number, shift: number): string {
  const file = path.join(dir, name);
  const lines = ['a,b,c'];
  for (let i = 0; i < rows; i++) lines.push(`${((i * 7919) % 1000) / 10 + shift},${(i % 97) * 0.5},${Math.sin(i + shift).toFixed(6)}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('the worker thread started early', () => {
  it('reads the command and the files from the command line', () => {
    const argv = ['node', 'driftline', 'compare', '--reference', 'r.csv', '--current=c.csv', '--metrics', 'ks'];
    expect(commandName(argv)).toBe('compare');
    expect(optionValue(argv, '--reference')).toBe('r.csv');
    expect(optionValue(argv, '--current')).toBe('c.csv');
    expect(optionValue(argv, '--window')).toBeUndefined();
    expect(commandName(['node', 'driftline', '--help'])).toBeUndefined();
    expect(optionValue(['node', 'driftline', 'compare', '--', '--reference', 'x'], '--reference')).toBeUndefined();
  });

  const ref = csv('ref.csv', 700_000, 0);
  const cur = csv('cur.csv', 600_000, 3);

  it('is taken by compare of the same files only', () => {
    expect(wantsWorkerThread(ref, cur)).toBe(true);
    expect(wantsWorkerThread(ref, cur, false)).toBe(false);
    expect(wantsWorkerThread(path.join(dir, 'a.jsonl'), cur)).toBe(false);
    startEarlyThread(ref, cur);
    const t = takeEarlyThread(ref, cur);
    expect(t).not.toBeNull();
    expect(takeEarlyThread(ref, cur)).toBeNull(); // taken once
    t!.close();
    startEarlyThread(ref, cur);
    expect(takeEarlyThread(cur, ref)).toBeNull(); // other files: closed, not given
    expect(takeEarlyThread(ref, cur)).toBeNull();
  });

  it('gives the CLI the report of compare without it, and a failing command line still exits', async () => {
    const cli = (args: string[]) => spawnSync(process.execPath, ['bin/driftline.js', 'compare', ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
    const run = cli(['--reference', ref, `--current=${cur}`, '--metrics', 'ks,js,psi', '--format', 'json']);
    expect(run.status, run.stderr).toBe(0);
    const expected = await compareFiles({ reference: ref, current: cur, metrics: ['ks', 'js', 'psi'], parallel: false });
    expect(JSON.parse(run.stdout)).toEqual(JSON.parse(JSON.stringify(expected)));
    const bad = cli(['--reference', ref, '--current', cur, '--metrics', 'nope']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/nope/);
  });
});
