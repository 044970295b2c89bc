/**
 * The driftline command line. Each command lives in its own file and registers itself here.
 * Exit codes: 0 success, 1 runtime failure, 2 bad input (config or files), 3 drift found under
 * `compare --fail-on-drift`.
 */
import { Command, CommanderError } from 'commander';
import { DriftlineError } from '../errors.js';
import { registerCompare } from './compare.js';
import { registerProduce } from './produce.js';
import { registerRun } from './run.js';
import { registerSimulate } from './simulate.js';
import { registerTail } from './tail.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('driftline')
    .description('Streaming drift and training/serving skew detection for ML models on Kafka')
    .version('0.1.0')
    .exitOverride()
    // Root options count only before the subcommand: `driftline produce --version v2` names a model version.
    .enablePositionalOptions()
    .showHelpAfterError('(run driftline --help for usage)');
  registerRun(program);
  registerProduce(program);
  registerCompare(program);
  registerSimulate(program);
  registerTail(program);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof DriftlineError) {
      process.stderr.write(`driftline: ${err.message}\n`);
      return ['CONFIG_INVALID', 'FILE_INVALID', 'UNKNOWN_METRIC', 'BAD_ARGUMENT'].includes(err.code) ? 2 : 1;
    }
    process.stderr.write(`driftline: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

const code = await main(process.argv);
process.exitCode = code;
