/**
 * `driftline compare`: drift of a current file against a reference file, without Kafka.
 * The work is done by src/compare.ts; this file parses options, prints and sets the exit code:
 * 0 whatever the verdict, 3 with --fail-on-drift when a feature drifted, 2 for bad input
 * (options, metric names, unreadable files: main.ts maps FileInputError to 2).
 */
import { stat, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { CompareOptionsError, compareFiles, compareFilesDetailed, formatTable, type CompareOptions, type CompareReport } from '../compare.js';
import { METRIC_NAMES, UnknownMetricError } from '../detect/registry.js';
import { ProgressBar } from './progress.js';

/** Files from this size on get a progress bar while read (on a terminal). */
const PROGRESS_MIN_BYTES = 20 * 1024 * 1024;

interface CompareFlags {
  reference: string;
  current: string;
  numeric?: string[];
  categorical?: string[];
  metrics?: string[];
  threshold?: Map<string, number>;
  timestampColumn?: string;
  window?: string;
  advance?: string;
  bins?: number;
  format: 'json' | 'table' | 'html';
  out?: string;
  failOnDrift?: boolean;
}

/** Comma-separated list option: `a,b, c` -> ['a', 'b', 'c']; repeated flags add up. */
function list(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

/** Whether any window of the report has a drifted feature. */
export function anyDrift(report: CompareReport): boolean {
  return report.windows.some((w) => Object.values(w.features).some((f) => Object.values(f.metrics).some((m) => m.drift)));
}

/**
 * Progress bars, shown only for big files on a terminal: one for reading the two files (which may
 * be read at the same time, so it counts the bytes of both), then one for evaluating the features.
 */
async function progressReporter(reference: string, current: string) {
  const sizes = await Promise.all([reference, current].map((f) => stat(f).then((s) => s.size, () => 0)));
  if (Math.max(...sizes) < PROGRESS_MIN_BYTES) return undefined;
  const bytes = { reference: 0, current: 0 };
  const reading = new ProgressBar({ label: `reading ${basename(reference)} and ${basename(current)}`, total: sizes[0] + sizes[1], unit: 'MB' });
  let evaluating: ProgressBar | null = null;
  return {
    onProgress(which: 'reference' | 'current', done: number) {
      bytes[which] = done;
      const both = bytes.reference + bytes.current;
      reading.update(both, both / 1e6);
    },
    onEvaluate(done: number, total: number) {
      if (!evaluating) {
        reading.finish();
        evaluating = new ProgressBar({ label: 'comparing', total, unit: 'features' });
      }
      evaluating.update(done);
    },
    finish() {
      reading.finish();
      evaluating?.finish();
    },
  };
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('Compare a current file against a reference file for drift, with the same windows and metrics as the stream processor (CSV, JSON Lines, Arrow IPC or Avro files)')
    .requiredOption('--reference <file>', 'reference (training) data')
    .requiredOption('--current <file>', 'current (serving) data')
    .option('--numeric <columns>', 'numeric columns to compare, comma-separated', list)
    .option('--categorical <columns>', 'categorical columns to compare, comma-separated', list)
    .option('--metrics <names>', `metrics to compute, comma-separated (${METRIC_NAMES.join(', ')}); default: all that apply`, list)
    .option('--threshold <metric=value>', 'threshold of a metric for every feature, e.g. ks=0.01 (repeatable)', (v: string, prev: Map<string, number> | undefined) => {
      const m = /^([a-z0-9_]+)=(.+)$/i.exec(v.trim());
      const x = m ? Number(m[2]) : NaN;
      if (!m || !Number.isFinite(x)) throw new InvalidArgumentError('write metric=value, e.g. ks=0.01');
      return new Map(prev ?? []).set(m[1], x);
    })
    .option('--timestamp-column <column>', 'column of the current file with event times (UTC unless a zone is given)')
    .option('--window <size>', 'window size: 1d, 1w, 1M (calendar, UTC) or a duration such as 6h, 15m')
    .option('--advance <duration>', 'hop of fixed windows (e.g. 30m with --window 1h)')
    .option('--bins <n>', 'bins of the reference histogram for psi, js and hellinger', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a whole number');
      return n;
    })
    .option('--format <format>', 'json, table, or html (a self-contained page with charts; use with --out)', 'table')
    .option('--out <file>', 'write the report to this file instead of stdout')
    .option('--fail-on-drift', 'exit with code 3 when any feature drifted')
    .action(async (flags: CompareFlags, cmd: Command) => {
      if (flags.format !== 'json' && flags.format !== 'table' && flags.format !== 'html') cmd.error(`error: --format must be json, table or html, got "${flags.format}"`, { exitCode: 2 });
      const progress = await progressReporter(flags.reference, flags.current);
      let report: CompareReport;
      let text: string;
      try {
        const options: CompareOptions = {
          reference: flags.reference,
          current: flags.current,
          numeric: flags.numeric,
          categorical: flags.categorical,
          metrics: flags.metrics,
          thresholds: flags.threshold,
          timestampColumn: flags.timestampColumn,
          window: flags.window,
          advance: flags.advance,
          bins: flags.bins,
          onProgress: progress?.onProgress,
          onEvaluate: progress?.onEvaluate,
        };
        if (flags.format === 'html') {
          // The HTML report also needs the distributions behind the binned metrics.
          const detailed = await compareFilesDetailed(options);
          report = detailed.report;
          const { renderHtmlReport } = await import('../report/html.js');
          text = renderHtmlReport({ compare: detailed, referenceFile: flags.reference, currentFile: flags.current, window: flags.window, advance: flags.advance, bins: flags.bins });
        } else {
          report = await compareFiles(options);
          text = flags.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatTable(report);
        }
      } catch (err) {
        // Usage mistakes: one line on stderr and exit code 2 (commander's error path).
        if (err instanceof UnknownMetricError || err instanceof CompareOptionsError) cmd.error(`error: ${err.message}`, { exitCode: 2 });
        throw err;
      } finally {
        progress?.finish();
      }
      if (flags.out) await writeFile(flags.out, text);
      else process.stdout.write(text);
      if (flags.failOnDrift && anyDrift(report)) process.exitCode = 3;
    });
}
