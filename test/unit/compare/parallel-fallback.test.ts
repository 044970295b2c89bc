// compare when its worker thread cannot run: everything is done in the main thread, same report.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { compareFiles } from '../../../src/compare.js';
import { workerExecArgv } from '../../../src/compare-thread.js';

vi.mock('../../../src/compare-thread.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/compare-thread.js')>();
  /** A worker thread that failed to start, as CompareThread reports one. */
  class BrokenThread {
    readonly broken = true;
    read(): Promise<never> {
      return Promise.reject(new Error('compare: the worker thread failed: test'));
    }
    evaluate(): never {
      throw new Error('not to be called');
    }
    close(): void {}
  }
  return { ...real, CompareThread: BrokenThread };
});

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'driftline-compare-fallback-'));
const ref = path.join(dir, 'ref.csv');
const cur = path.join(dir, 'cur.csv');
writeFileSync(ref, `a,b\n${Array.from({ length: 500 }, (_, i) => `${i % 17},${i % 3 ? 'x' : 'y'}`).join('\n')}\n`);
writeFileSync(cur, `a,b\n${Array.from({ length: 400 }, (_, i) => `${(i % 19) + 1},${i % 4 ? 'x' : 'z'}`).join('\n')}\n`);

describe('compare without its worker thread', () => {
  it('falls back to one thread when the worker thread fails', async () => {
    const one = await compareFiles({ reference: ref, current: cur, parallel: false });
    const fallback = await compareFiles({ reference: ref, current: cur, parallel: true });
    expect(JSON.stringify(fallback)).toBe(JSON.stringify(one));
  });

  it('gives the worker thread the node options it can take', () => {
    expect(workerExecArgv(['--input-type=module', '--max-old-space-size=4000', '-e', 'code', '--cpu-prof'])).toEqual(['--max-old-space-size=4000', '--cpu-prof']);
    expect(workerExecArgv(['--input-type', 'module', '--eval', 'x', '-p', 'y', '--conditions', 'dev'])).toEqual(['--conditions', 'dev']);
  });

  it('works from `node --input-type=module -e` (options about the main script are not passed to the worker)', () => {
    const script = `const { compareFiles } = await import(${JSON.stringify(`file://${path.join(repoRoot, 'bin', 'load.js')}`)}).then((m) => m.importSrc('compare')); console.log(JSON.stringify(await compareFiles({ reference: ${JSON.stringify(ref)}, current: ${JSON.stringify(cur)}, parallel: true })));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).windows[0].rows).toBe(400);
  });
});
