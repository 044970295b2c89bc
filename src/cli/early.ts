/**
 * What the CLI starts before it loads the command it runs (bin/driftline.js calls startEarly
 * first). Loading a command's modules takes some 100 ms here, on one core; work that needs none
 * of them can run on the other meanwhile. Today that is compare's worker thread, for files big
 * enough to be read in two threads (see compare-thread.ts): it boots while the CLI loads. Anything
 * unusual in the command line is left to the command itself, which starts its thread as before.
 */
import { startEarlyThread } from '../compare-thread.js';

/**
 * The command a command line names: the first argument that is not an option (root options come
 * before the command and take no value: --version, --help).
 */
export function commandName(argv: readonly string[]): string | undefined {
  return argv.slice(2).find((a) => !a.startsWith('-'));
}

/** The value of `--name value` or `--name=value` in a command line, or undefined. */
export function optionValue(argv: readonly string[], name: string): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return undefined;
    if (a === name) return argv[i + 1];
    if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
  }
  return undefined;
}

export function startEarly(argv: readonly string[]): void {
  if (commandName(argv) !== 'compare') return;
  const reference = optionValue(argv, '--reference');
  const current = optionValue(argv, '--current');
  if (reference && current) startEarlyThread(reference, current);
}
