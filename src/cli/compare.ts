import type { Command } from 'commander';

/** Registers `driftline compare` (placeholder; full implementation follows). */
export function registerCompare(program: Command): void {
  program.command('compare').description('Compare a current file against a reference file for drift');
}
