/**
 * bin/load.js: the compiled entry point. dist/ is rebuilt when src/ changes (a file edited, added
 * or removed), stays as it is otherwise, survives many processes starting at once, and falls back
 * to tsx silently when it cannot compile.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureDist, sourceState } from '../../../bin/load.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
const loadJs = join(repoRoot, 'bin', 'load.js');

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

/** A temporary repo layout: root/src with a.ts (importing sub/b.ts). */
function tempRoot(): { root: string; src: string; dist: string } {
  const root = mkdtempSync(join(tmpdir(), 'driftline-load-'));
  roots.push(root);
  const src = join(root, 'src');
  mkdirSync(join(src, 'sub'), { recursive: true });
  writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n'); // as the repo's, for tsx
  writeFileSync(join(src, 'a.ts'), "import { y } from './sub/b.js';\nexport const x: number = 1 + y;\n");
  writeFileSync(join(src, 'sub', 'b.ts'), 'export const y: number = 1;\n');
  return { root, src, dist: join(root, 'dist') };
}

/** Rewrites a file with a modification time `ahead` ms in the future (mtime resolution varies). */
function edit(path: string, text: string, ahead = 5_000): void {
  writeFileSync(path, text);
  const t = new Date(Date.now() + ahead);
  utimesSync(path, t, t);
}

/** Imports src/<rel> of a temporary root through load.js in a fresh process; prints `x`. */
function importInChild(root: string, rel: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = `const m = await import(${JSON.stringify(`file://${loadJs}`)}); const mod = await m.importSrc(${JSON.stringify(rel)}, ${JSON.stringify(root)}); console.log(mod.x);`;
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('bin/load.js', () => {
  it('builds dist/ on first use, then only when a file under src/ changed', async () => {
    const { src, dist } = tempRoot();
    expect(await ensureDist(src, dist)).toBe(true);
    expect(readFileSync(join(dist, 'a.js'), 'utf8')).toContain('1 + y');
    expect(existsSync(join(dist, 'sub', 'b.js'))).toBe(true);
    expect(readFileSync(join(dist, '.build-stamp'), 'utf8')).toBe(sourceState(src));
    expect(await ensureDist(src, dist)).toBe(false);

    edit(join(src, 'sub', 'b.ts'), 'export const y: number = 41;\n');
    expect(await ensureDist(src, dist)).toBe(true);
    expect(readFileSync(join(dist, 'sub', 'b.js'), 'utf8')).toContain('41');
    expect(await ensureDist(src, dist)).toBe(false);
  });

  it('rebuilds when a file is added or removed, and drops the outputs of removed files', async () => {
    const { src, dist } = tempRoot();
    await ensureDist(src, dist);
    edit(join(src, 'sub', 'c.ts'), 'export const z = 3;\n');
    expect(await ensureDist(src, dist)).toBe(true);
    expect(existsSync(join(dist, 'sub', 'c.js'))).toBe(true);
    unlinkSync(join(src, 'sub', 'c.ts'));
    // A removal changes the folder's time, whatever the times of the files left.
    const t = new Date(Date.now() + 10_000);
    utimesSync(join(src, 'sub'), t, t);
    expect(await ensureDist(src, dist)).toBe(true);
    expect(existsSync(join(dist, 'sub', 'c.js'))).toBe(false);
  });

  it('is safe when many processes start at once on a stale dist/', async () => {
    const { root, src } = tempRoot();
    edit(join(src, 'sub', 'b.ts'), 'export const y: number = 6;\n');
    const results = await Promise.all(Array.from({ length: 6 }, () => importInChild(root, 'a')));
    for (const r of results) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe('7');
    }
    expect(existsSync(join(root, 'dist', '.lock'))).toBe(false);
  });

  it('takes over the lock of a builder that died', async () => {
    const { src, dist } = tempRoot();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // exited: its pid is free
    mkdirSync(join(dist, '.lock'), { recursive: true });
    writeFileSync(join(dist, '.lock', 'pid'), String(dead));
    const t = Date.now();
    expect(await ensureDist(src, dist)).toBe(true);
    expect(Date.now() - t).toBeLessThan(20_000); // not the 30 s after which any lock is stale
    expect(existsSync(join(dist, '.lock'))).toBe(false);
  });

  it('falls back to tsx, silently, when src/ does not compile or DRIFTLINE_NO_DIST=1', async () => {
    const { root, src } = tempRoot();
    writeFileSync(join(src, 'broken.ts'), 'export const = ;\n'); // never imported, but fails the build
    const r = await importInChild(root, 'a');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.trim()).toBe('2');
    expect(existsSync(join(root, 'dist', 'a.js'))).toBe(false);

    const { root: root2 } = tempRoot();
    const r2 = await importInChild(root2, 'a', { DRIFTLINE_NO_DIST: '1' });
    expect(r2).toMatchObject({ code: 0, stderr: '' });
    expect(r2.stdout.trim()).toBe('2');
    expect(existsSync(join(root2, 'dist'))).toBe(false);
  });

  it('node bin/driftline.js --help works (compiled and through tsx)', () => {
    for (const env of [{}, { DRIFTLINE_NO_DIST: '1' }]) {
      const r = spawnSync(process.execPath, ['bin/driftline.js', '--help'], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, ...env } });
      expect(r.status).toBe(0);
      for (const command of ['run', 'produce', 'compare', 'simulate', 'tail']) expect(r.stdout).toContain(command);
      const c = spawnSync(process.execPath, ['bin/driftline.js', 'compare', '--help'], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, ...env } });
      expect(c.status).toBe(0);
      expect(c.stdout).toContain('--reference');
    }
  });
});
