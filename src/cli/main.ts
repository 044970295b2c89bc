/**
 * The driftline command line. Each command lives in its own file and registers itself here.
 * Exit codes: 0 success, 1 runtime failure, 2 bad input (config or files), 3 drift found under
 * `compare --fail-on-drift`.
 *
 * Command files are imported lazily: a command line naming a command loads only that command's
 * file (so `compare` never loads kafkajs, `run` never the HTML report); anything else (--help,
 * `help`, an unknown or missing command) loads them all, for the full help and suggestions.
 */
import { Command, CommanderError } from 'commander';
import { DriftlineError } from '../errors.js';
import { commandName } from './early.js';

type Register = (program: Command) => void;

/** Command files in help order, each with the command names it registers. */
const COMMAND_FILES: { names: string[]; load: () => Promise<Register> }[] = [
  { names: ['run', 'validate', 'topics'], load: async () => (await import('./run.js')).registerRun },
  { names: ['produce'], load: async () => (await import('./produce.js')).registerProduce },
  { names: ['compare'], load: async () => (await import('./compare.js')).registerCompare },
  { names: ['simulate'], load: async () => (await import('./simulate.js')).registerSimulate },
  { names: ['tail'], load: async () => (await import('./tail.js')).registerTail },
];

/** The command files a command line needs: the one of its command, else all of them. */
export function commandFilesFor(argv: readonly string[]): typeof COMMAND_FILES {
  const name = commandName(argv);
  const one = COMMAND_FILES.find((c) => name !== undefined && c.names.includes(name));
  return one ? [one] : COMMAND_FILES;
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('driftline')
    .description('Streaming drift and training/serving skew detection for ML models on Kafka')
    .version('0.1.0')
    .exitOverride()
    // Root options count only before the subcommand: `driftline produce --version v2` names a model version.
    .enablePositionalOptions()
    .showHelpAfterError('(run driftline --help for usage)');
  for (const register of await Promise.all(commandFilesFor(argv).map((c) => c.load()))) register(program);
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
