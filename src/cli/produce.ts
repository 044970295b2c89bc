import type { Command } from 'commander';

/** Registers `driftline produce` (placeholder; full implementation follows). */
export function registerProduce(program: Command): void {
  program.command('produce').description('Produce rows of a file to Kafka as inference/training events');
}
