/**
 * Dockerfile and .dockerignore, checked by parsing (no Docker engine here): stages, production
 * dependencies only, non-root user, entrypoint and default command, healthcheck, and that what the
 * image needs at run time is copied, not ignored, and needs no devDependency.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

interface Instruction { op: string; args: string }
/** Instructions per stage (continuation lines joined, comments dropped). */
function parseDockerfile(text: string): { args: Map<string, string>; stages: { from: string; name?: string; body: Instruction[] }[] } {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const args = new Map<string, string>();
  const stages: { from: string; name?: string; body: Instruction[] }[] = [];
  for (const line of lines) {
    const [, op, rest] = /^(\S+)\s+(.*)$/.exec(line)!;
    const OP = op.toUpperCase();
    if (OP === 'ARG' && stages.length === 0) {
      const [k, v] = rest.split('=');
      args.set(k, v ?? '');
    } else if (OP === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest)!;
      const from = m[1].replace(/\$\{(\w+)\}/g, (_x, k: string) => args.get(k) ?? '');
      stages.push({ from, name: m[2], body: [] });
    } else {
      stages.at(-1)!.body.push({ op: OP, args: rest });
    }
  }
  return { args, stages };
}

/** .dockerignore as a predicate (the subset of its syntax used here: paths, `**\/` prefixes, `*` globs). */
function dockerignore(text: string): (path: string) => boolean {
  const patterns = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const regexes = patterns.map((p) => {
    const neg = p.startsWith('!');
    const body = (neg ? p.slice(1) : p).replace(/\/$/, '');
    const re = body.split('/').map((seg) => (seg === '**' ? '(?:.*/)?' : `${seg.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}/`)).join('').replace(/\/$/, '');
    return { neg, re: new RegExp(`^${re.replace('(?:.*/)?/', '(?:.*/)?')}(?:/.*)?$`) };
  });
  return (path) => {
    let ignored = false;
    for (const { neg, re } of regexes) if (re.test(path)) ignored = !neg;
    return ignored;
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('Dockerfile', () => {
  const { stages } = parseDockerfile(read('Dockerfile'));
  const final = stages.at(-1)!;
  const ops = (op: string) => final.body.filter((i) => i.op === op).map((i) => i.args);
  const ignored = dockerignore(read('.dockerignore'));

  it('is multi-stage on a small Node 20 image, installing production dependencies only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s.from).toMatch(/^node:20-(slim|alpine)/);
    const deps = stages.find((s) => s.body.some((i) => i.op === 'RUN' && /npm ci\b.*--omit=dev/.test(i.args)));
    expect(deps, 'a stage runs npm ci --omit=dev').toBeDefined();
    expect(ops('COPY').some((a) => new RegExp(`--from=${deps!.name}\\s+/app/node_modules`).test(a))).toBe(true);
    expect(final.body.some((i) => i.op === 'RUN' && /npm (ci|install)/.test(i.args)), 'no npm install in the final stage').toBe(false);
  });

  it('compiles src/ into dist/ at build time, with the function the CLI itself uses', async () => {
    const run = ops('RUN').find((a) => a.includes('ensureDist'));
    expect(run, 'a RUN step in the final stage calls ensureDist').toBeDefined();
    const runIdx = final.body.findIndex((i) => i.op === 'RUN' && i.args.includes('ensureDist'));
    const srcIdx = final.body.findIndex((i) => i.op === 'COPY' && /^src\s/.test(i.args));
    expect(srcIdx).toBeGreaterThanOrEqual(0);
    expect(runIdx).toBeGreaterThan(srcIdx);
    const load = (await import('../../../bin/load.js')) as { ensureDist?: unknown };
    expect(typeof load.ensureDist).toBe('function');
  });

  it('runs as a non-root user', () => {
    const user = ops('USER').at(-1);
    expect(user).toBeDefined();
    expect(user!.split(':')[0]).not.toMatch(/^(root|0)$/);
  });

  it('has the entrypoint, the default command and the metrics environment', () => {
    expect(JSON.parse(ops('ENTRYPOINT').at(-1)!)).toEqual(['node', 'bin/driftline.js']);
    const cmd = JSON.parse(ops('CMD').at(-1)!) as string[];
    expect(cmd).toEqual(['run', '-c', '/etc/driftline/driftline.yaml']);
    const env = ops('ENV').join(' ');
    expect(env).toMatch(/DRIFTLINE_METRICS_HOST=0\.0\.0\.0/);
    const port = loadConfig(join(ROOT, 'deploy/config/driftline.yaml'), {}).metrics.port;
    expect(env).toContain(`DRIFTLINE_METRICS_PORT=${port}`);
    expect(ops('EXPOSE')).toContain(String(port));
    // The default config is in the image, where CMD looks for it.
    expect(ops('COPY')).toContain(`deploy/config/driftline.yaml ${cmd[2]}`);
  });

  it('has a HEALTHCHECK on /healthz that needs nothing but node', () => {
    const hc = ops('HEALTHCHECK').at(-1)!;
    expect(hc).toContain('/healthz');
    expect(hc).toMatch(/CMD \["node", "-e"/);
    expect(hc).toContain('DRIFTLINE_METRICS_PORT');
  });

  it('copies what the CLI needs at run time, none of it ignored by .dockerignore', () => {
    const sources = ops('COPY').filter((a) => !a.startsWith('--from')).flatMap((a) => a.split(/\s+/).slice(0, -1));
    for (const needed of ['package.json', 'package-lock.json', 'bin', 'src', 'schemas']) expect(sources).toContain(needed);
    for (const s of sources) {
      expect(existsSync(join(ROOT, s)), `${s} exists`).toBe(true);
      const files = statSync(join(ROOT, s)).isDirectory() ? filesUnder(join(ROOT, s)).map((f) => relative(ROOT, f)) : [s];
      for (const f of files) expect(ignored(f), `${f} is not in .dockerignore`).toBe(false);
    }
    // The deps stage's inputs too.
    for (const s of stages[0].body.filter((i) => i.op === 'COPY').flatMap((i) => i.args.split(/\s+/).slice(0, -1))) expect(ignored(s), s).toBe(false);
    // And the bulky or private things stay out of the build context.
    for (const p of ['node_modules/avsc/package.json', '.git/HEAD', '.kafka/49092/broker.log', 'test/unit/deploy/k8s.test.ts', 'bench/run.ts']) expect(ignored(p), p).toBe(true);
  });

  it('needs no devDependency at run time: every package src/ and bin/ import is a dependency (tsx included)', () => {
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    const files = [...filesUnder(join(ROOT, 'src')), ...filesUnder(join(ROOT, 'bin'))].filter((f) => /\.(ts|js|mjs)$/.test(f));
    const missing: string[] = [];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      // (a side-effect import starts its line: `(import "env" "mem" ...)` in a WebAssembly text is none)
      for (const [, spec] of text.matchAll(/(?:from\s+|import\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)) {
        if (spec.startsWith('.') || spec.startsWith('node:')) {
          if (spec.startsWith('.')) {
            const target = relative(ROOT, resolve(f, '..', spec));
            if (!/^(src|schemas|bin)\//.test(target)) missing.push(`${relative(ROOT, f)} imports ${target}, which is not in the image`);
          }
          continue;
        }
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
        if (!pkg.dependencies[name]) missing.push(`${relative(ROOT, f)} imports ${name}, not a dependency`);
      }
    }
    expect(missing).toEqual([]);
    expect(pkg.dependencies.tsx).toBeDefined();
  });
});
