// Loads a module of src/ for the entry points in bin/ (the CLI, worker threads), compiled.
//
// importSrc('cli/main') imports dist/cli/main.js, which esbuild compiles from src/cli/main.ts.
// dist/ mirrors src/ file for file at the same depth (so paths found through import.meta.url, such
// as ../../schemas, resolve the same from both). It is rebuilt, all of it, whenever src/ changed
// since the last build: dist/.build-stamp holds the newest modification time and the number of the
// files and folders under src/ at the time of that build, and a cheap walk of src/ compares them at
// every start (a file added, removed or renamed changes its folder's time). Nothing to run by hand.
//
// Many processes may start at once (tests spawn the CLI concurrently): one builds while holding
// dist/.lock (a folder: mkdir is atomic), the others wait for the stamp; every file is written
// under a temporary name and renamed into place, and the stamp is written last, so no process ever
// imports a half-written file. Without esbuild, without a writable dist/, or when the build fails,
// it falls back to tsx (each .ts file compiled as it is imported), silently. DRIFTLINE_NO_DIST=1
// forces that fallback.
import { createRequire } from 'node:module';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Bump when the build options below change, so that existing dist/ folders are rebuilt. */
const BUILD_FORMAT = 1;
const STAMP = '.build-stamp';
const LOCK = '.lock';
/**
 * A lock whose builder (its pid is in the lock folder) is gone was left by a process that died
 * while building; so is one older than this, whoever holds it (a build takes well under a second).
 */
const STALE_LOCK_MS = 30_000;
/** How long a process waits for another one's build before building itself. */
const WAIT_MS = 60_000;

/**
 * The state of a source tree that decides whether its build is fresh: newest mtime (ms) and
 * number of the files and folders under it. Returned as the stamp text.
 */
export function sourceState(srcDir) {
  let newest = statSync(srcDir).mtimeMs;
  let count = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      const t = statSync(p).mtimeMs;
      if (t > newest) newest = t;
      count++;
      if (e.isDirectory()) walk(p);
    }
  };
  walk(srcDir);
  return `${BUILD_FORMAT} ${newest} ${count}`;
}

function readStamp(distDir) {
  try {
    return readFileSync(join(distDir, STAMP), 'utf8');
  } catch {
    return null;
  }
}

/** Every .ts file under a folder (declaration files aside). */
function tsFiles(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) tsFiles(p, out);
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every file under a folder, as paths relative to it. */
function allFiles(dir, base = dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) allFiles(p, base, out);
    else out.push(relative(base, p));
  }
  return out;
}

/** Writes a file whole or not at all, as seen by readers: a temporary name, then a rename. */
function writeAtomic(path, data) {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Compiles every .ts file of srcDir into distDir (same relative paths, .js), then writes the stamp. */
function build(srcDir, distDir, state) {
  const esbuild = createRequire(import.meta.url)('esbuild');
  const result = esbuild.buildSync({
    entryPoints: tsFiles(srcDir),
    outbase: srcDir,
    outdir: distDir,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  const written = new Set([STAMP]);
  for (const f of result.outputFiles) {
    writeAtomic(f.path, f.contents);
    written.add(relative(distDir, f.path));
  }
  // Outputs of source files that are gone (and temporary files left by killed builds).
  for (const rel of allFiles(distDir)) {
    if (written.has(rel) || rel === LOCK || rel.startsWith(LOCK + sep)) continue;
    try {
      unlinkSync(join(distDir, rel));
    } catch {
      // already gone
    }
  }
  writeAtomic(join(distDir, STAMP), state);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether the process that took the lock may still be building (true while its pid is not written yet). */
function builderAlive(lock) {
  let pid;
  try {
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
  } catch {
    return true;
  }
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM'; // alive, someone else's
  }
}

/**
 * Makes distDir a fresh build of srcDir: nothing to do when its stamp matches srcDir's state,
 * else builds it (or waits while another process does). Returns whether it was built here; throws
 * when it cannot be done (no esbuild, a compile error, a folder that cannot be written).
 */
export async function ensureDist(srcDir, distDir) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const state = sourceState(srcDir);
    if (readStamp(distDir) === state) return false;
    mkdirSync(distDir, { recursive: true });
    const lock = join(distDir, LOCK);
    let locked = false;
    try {
      mkdirSync(lock);
      locked = true;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      let age = 0;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {
        continue; // released just now: look again
      }
      if (age > STALE_LOCK_MS || !builderAlive(lock)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() < deadline) {
        await sleep(25);
        continue;
      }
      // Waited long enough: build without the lock (safe, only wasteful).
    }
    try {
      if (locked) writeFileSync(join(lock, 'pid'), String(process.pid));
      // Another process may have finished a build between our look and taking the lock.
      const now = sourceState(srcDir);
      if (readStamp(distDir) === now) return false;
      build(srcDir, distDir, now);
      return true;
    } finally {
      if (locked) rmSync(lock, { recursive: true, force: true });
    }
  }
}

let tsxRegistered = false;
/** Per tree (root): whether importSrc found dist/ usable (its modules are imported from there). */
const checked = new Map();

/**
 * Imports src/<rel>.ts (rel like 'cli/main'): its compiled dist/<rel>.js, built first when src/
 * changed, or the .ts file itself through tsx when it cannot be compiled here.
 */
export async function importSrc(rel, root = ROOT) {
  const srcDir = join(root, 'src');
  const distDir = join(root, 'dist');
  // Looked at once per process and tree: an entry point may import a few modules in turn.
  let compiled = checked.get(root);
  if (compiled === undefined) {
    compiled = process.env.DRIFTLINE_NO_DIST !== '1';
    if (compiled) {
      try {
        await ensureDist(srcDir, distDir);
      } catch {
        compiled = false;
      }
    }
    checked.set(root, compiled);
  }
  if (compiled) return import(pathToFileURL(join(distDir, `${rel}.js`)).href);
  if (!tsxRegistered) {
    const { register } = await import('tsx/esm/api');
    register();
    tsxRegistered = true;
  }
  return import(pathToFileURL(join(srcDir, `${rel}.ts`)).href);
}
