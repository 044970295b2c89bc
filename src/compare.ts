/**
 * `driftline compare`: drift of a current file against a reference file, offline.
 *
 * It runs the very code the stream processor runs, so a file compared here and the same rows sent
 * through Kafka give the same numbers:
 * - the reference goes through a ReferenceProfile (with maxRows = the reference's row count, so the
 *   "reservoir" keeps every row and the profile is exact) and its snapshot() freezes sorted values,
 *   bin edges and category counts;
 * - current rows are assigned to windows by assignWindows/windowEnd from a spec made by
 *   windowSpecFromText (calendar `1d`/`1w`/`1M` or fixed, optionally hopping);
 * - each window is evaluated by evaluateWindow with the rules of effectiveRules, and thresholds
 *   and metric names come from the one registry.
 * One difference from a stream, on purpose: a file has no "late" rows. Every row lands in its
 * windows whatever the order of the file, as if grace were infinite.
 *
 * Big CSV files are compared in two threads (compare-thread.ts): the files are read at the same
 * time, then the features are shared out one at a time. Features are independent of one another
 * here, so each is evaluated on its own (its reference snapshot, then its windows) and the report
 * is the same, byte for byte, in one thread or two.
 */
import { CompareThread, takeEarlyThread, wantsWorkerThread } from './compare-thread.js';
import { WasmArena } from './stats/arena.js';
import { DriftlineError, FileInputError } from './errors.js';
import { effectiveRules, evaluateWindow, readsInOrder, scoredValue, type CurrentColumn, type FeatureResult, type Rule } from './detect/evaluate.js';
import { alignCategories as alignCategoryCounts } from './detect/evaluate.js';
import { ReferenceProfile, snapshotData, type CategoricalSnapshot, type ReferenceSnapshot } from './detect/reference.js';
// (for the worker thread, which loads this module to evaluate)
export { snapshotFromData } from './detect/reference.js';
import { defaultMetricNames, getMetric, metricsForKind, type FeatureKind } from './detect/registry.js';
import { listColumns, readTable, type CategoricalColumnData, type ColumnData, type ColumnKind, type NumericColumnData, type TableData } from './io/files/index.js';
import { binCounts, proportions } from './stats/index.js';
import { assignWindows, windowEnd } from './window/assign.js';
import { windowSpecFromText, type WindowSpec } from './window/spec.js';

/** Bins of the frozen reference histogram when none are asked for (as processor.bins). */
export const DEFAULT_BINS = 10;

export interface CompareOptions {
  readonly reference: string;
  readonly current: string;
  /** Columns to compare as numeric / categorical. When both are absent: every column both files share. */
  readonly numeric?: readonly string[];
  readonly categorical?: readonly string[];
  /** Metric names; by default every registered metric that applies to a feature's kind. */
  readonly metrics?: readonly string[];
  /** Thresholds by metric name, replacing the registry's defaults for every feature. */
  readonly thresholds?: ReadonlyMap<string, number>;
  /** Column of the current file holding event times (needed with `window`). */
  readonly timestampColumn?: string;
  /** Window size as in the config: `1d`, `1w`, `1M` (calendar, UTC) or a duration such as `6h`. */
  readonly window?: string;
  /** Hop of fixed windows (e.g. `30m` with a `1h` window); absent means tumbling windows. */
  readonly advance?: string;
  /** Bins of the reference histogram of numeric features (psi, js, hellinger). */
  readonly bins?: number;
  /** Progress while reading a file, in bytes (the two files may be read at the same time). */
  readonly onProgress?: (file: 'reference' | 'current', bytesRead: number, totalBytes: number) => void;
  /** Progress of the evaluation, in features done. */
  readonly onEvaluate?: (done: number, total: number) => void;
  /**
   * Whether to read and evaluate in two threads (a worker thread next to this one): by default
   * when both files are CSV, together at least 16 MB, and there is more than one CPU; true forces
   * it (CSV files of any size), false forbids it. The report is the same either way.
   */
  readonly parallel?: boolean;
}

// ------------------------------------------------------------------ the JSON contract

export interface CompareMetric {
  value: number;
  /** Only for metrics that are tests (ks, chi2). */
  p_value?: number;
  threshold: number | null;
  drift: boolean;
}
export interface CompareFeature {
  kind: FeatureKind;
  count: number;
  missing: number;
  metrics: Record<string, CompareMetric>;
}
export interface CompareWindow {
  /** ISO 8601 (UTC) bounds of the half-open window [start, end); null without --window. */
  start: string | null;
  end: string | null;
  rows: number;
  features: Record<string, CompareFeature>;
}
export interface CompareReport {
  reference: { rows: number };
  windows: CompareWindow[];
}

/** Options that do not make sense together, or name unknown things (exit code 2 in the CLI). */
export class CompareOptionsError extends DriftlineError {
  constructor(message: string) {
    super('COMPARE_OPTIONS', message);
  }
}

// ------------------------------------------------------------------ distributions (HTML report only)

/**
 * What the histograms of the HTML report show. Not part of the JSON contract: `--format json`
 * prints only the CompareReport. Computed with the very functions the metrics use: the
 * reference's frozen edges and bin proportions (referenceEdgesSorted, binCounts, proportions in
 * the ReferenceProfile snapshot), binCounts/proportions of the current values on those edges, and
 * alignCategories for categories.
 */
export interface NumericDistribution {
  kind: 'numeric';
  /** Inner bin edges, frozen from the reference: edges.length + 1 right-closed bins. */
  edges: number[];
  reference: number[];
  /** null when the current side has no values. */
  current: number[] | null;
  /** Reference min and max (outer bin bounds for labels). */
  min: number;
  max: number;
}
export interface CategoricalDistribution {
  kind: 'categorical';
  /** Reference categories first, then categories only seen in the current data. */
  categories: string[];
  reference: number[];
  current: number[] | null;
}
export type FeatureDistribution = NumericDistribution | CategoricalDistribution;
export interface CompareDistributions {
  /** Rows of the current file (each once, whatever the windows). */
  currentRows: number;
  /** Reference vs the whole current file, by feature (absent when the reference has no values). */
  features: Record<string, FeatureDistribution>;
  /** Per window (same order as report.windows): the current side of each feature. */
  windows: Record<string, number[] | null>[];
}
export interface DetailedCompare {
  report: CompareReport;
  distributions: CompareDistributions;
}

/** Category names in the order alignCategories lays them out: reference ones, then new current ones. */
function alignedCategoryNames(ref: CategoricalSnapshot, counts: Float64Array, dictionary: readonly string[]): string[] {
  const names = [...ref.counts.keys()];
  const seen = new Set(names);
  for (let c = 0; c < counts.length; c++) {
    if (counts[c] > 0 && !seen.has(dictionary[c])) {
      seen.add(dictionary[c]);
      names.push(dictionary[c]);
    }
  }
  return names;
}

/** Reference and current proportions of one feature, as the metrics see them; null without reference values. */
function featureDistribution(snapshot: ReferenceSnapshot, name: string, current: CurrentColumn): FeatureDistribution | null {
  const ref = snapshot.features.get(name);
  if (!ref) return null;
  if (ref.kind === 'numeric') {
    if (ref.sorted.length === 0 || current.kind !== 'numeric') return null;
    const cur = current.values.length > 0 ? Array.from(proportions(binCounts(current.values, ref.edges))) : null;
    return { kind: 'numeric', edges: Array.from(ref.edges), reference: Array.from(ref.binProportions), current: cur, min: ref.min, max: ref.max };
  }
  if (ref.count === 0 || current.kind !== 'categorical') return null;
  const aligned = alignCategoryCounts(ref, current.counts, current.dictionary);
  const categories = alignedCategoryNames(ref, current.counts, current.dictionary);
  if (categories.length !== aligned.ref.length) throw new Error(`feature ${name}: category alignment mismatch`);
  const total = aligned.cur.reduce((a, b) => a + b, 0);
  return { kind: 'categorical', categories, reference: Array.from(proportions(aligned.ref)), current: total > 0 ? Array.from(proportions(aligned.cur)) : null };
}

/** The current side of a feature on the whole-file layout (bins, or the whole-file category list). */
function currentShares(dist: FeatureDistribution, current: CurrentColumn, snapshot: ReferenceSnapshot, name: string): number[] | null {
  const d = featureDistribution(snapshot, name, current);
  if (!d?.current) return null;
  if (d.kind === 'numeric') return d.current;
  const shares = d.current;
  const byName = new Map(d.categories.map((n, i) => [n, i]));
  return (dist as CategoricalDistribution).categories.map((c) => (byName.has(c) ? shares[byName.get(c)!] : 0));
}

export interface Feature {
  readonly name: string;
  readonly kind: FeatureKind;
  readonly metrics: readonly string[];
}

// ------------------------------------------------------------------ steps

/** Checks metric names against the registry (UnknownMetricError lists the valid ones). */
function checkMetrics(metrics: readonly string[] | undefined): void {
  for (const m of metrics ?? []) getMetric(m);
}

/** The metrics computed for a feature of this kind: the requested ones that apply, in registry order. */
function metricsFor(kind: FeatureKind, requested: readonly string[] | undefined): string[] {
  if (requested === undefined) return defaultMetricNames(kind);
  return metricsForKind(kind)
    .map((d) => d.name)
    .filter((name) => requested.includes(name));
}

/**
 * Which columns to compare, and as what. Explicit lists win; otherwise every column common to
 * both files except the timestamp column, with the kinds the reference's values suggest.
 */
async function chooseColumns(opts: CompareOptions): Promise<{ names: string[]; forced: Record<string, ColumnKind> }> {
  const forced: Record<string, ColumnKind> = {};
  if (opts.numeric?.length || opts.categorical?.length) {
    for (const c of opts.numeric ?? []) forced[c] = 'numeric';
    for (const c of opts.categorical ?? []) {
      if (forced[c]) throw new CompareOptionsError(`column "${c}" is listed as both numeric and categorical`);
      forced[c] = 'categorical';
    }
    if (opts.timestampColumn && forced[opts.timestampColumn]) {
      throw new CompareOptionsError(`column "${opts.timestampColumn}" is the timestamp column; it cannot also be a feature`);
    }
    return { names: Object.keys(forced), forced };
  }
  const [ref, cur] = await Promise.all([listColumns(opts.reference), listColumns(opts.current)]);
  const inCurrent = new Set(cur);
  const names = ref.filter((c) => inCurrent.has(c) && c !== opts.timestampColumn);
  if (names.length === 0) {
    throw new CompareOptionsError(`the files have no column in common to compare (reference: ${ref.join(', ')}; current: ${cur.join(', ')})`);
  }
  return { names, forced };
}

/**
 * Feeds every reference row of one feature into a ReferenceProfile, as the processor feeds training
 * events, and returns its snapshot. Features are independent in a profile (each has its own
 * reservoir, seeded from its name, and with maxRows = the reference's rows it keeps every value),
 * so a profile of one feature gives that feature exactly what a profile of all of them gives it.
 * A numeric column is handed to the profile whole (addColumn, the same as adding its values one
 * by one) and given up: nothing else reads it afterwards (evaluateFeatureAt deletes it from the
 * task), so it becomes the snapshot's sample, and no copy is made. It is sorted in place, at once
 * when the feature's metrics or the HTML report (`detailed`) read it in order, else never (see
 * ReferenceProfile.finalSnapshot). The profile itself is garbage once the snapshot is taken.
 */
function buildReference(col: ColumnData, rows: number, f: Feature, bins: number, detailed: boolean): ReferenceSnapshot {
  const profile = new ReferenceProfile('compare', 'reference', [{ name: f.name, kind: f.kind, bins }], rows);
  if (f.kind === 'numeric') {
    // The column is read for the last time: handed over, it becomes the sorted sample itself.
    profile.numericFeature(f.name)!.addColumn((col as NumericColumnData).values.subarray(0, rows), true);
  } else {
    const r = profile.categoricalFeature(f.name)!;
    const { codes, dictionary } = col as CategoricalColumnData;
    for (let i = 0; i < rows; i++) {
      const code = codes[i];
      if (code < 0) r.addMissing();
      else r.add(dictionary[code]);
    }
  }
  profile.rowsAdded(rows);
  return profile.finalSnapshot({ sortNow: detailed || (f.kind === 'numeric' && readsInOrder(f.metrics)) });
}

/** Row indices of a window, in a growable Int32Array (no array of boxed numbers). */
class RowList {
  rows = new Int32Array(256);
  length = 0;
  push(i: number): void {
    if (this.length === this.rows.length) {
      const r = new Int32Array(this.rows.length * 2);
      r.set(this.rows);
      this.rows = r;
    }
    this.rows[this.length++] = i;
  }
}

/** A window of the current file: its bounds and its rows (null: every row of the file). */
export interface WindowRows {
  readonly start: number;
  readonly end: number;
  readonly rows: Int32Array | null;
  readonly count: number;
}

/** Groups current rows by window, with the same assignment as the stream. Ascending by start. */
function groupByWindow(spec: WindowSpec, times: Float64Array, file: string, column: string): WindowRows[] {
  const groups = new Map<number, RowList>();
  const starts: number[] = [];
  for (let i = 0; i < times.length; i++) {
    const t = times[i];
    if (Number.isNaN(t)) throw new FileInputError(file, `data row ${i + 1} has no timestamp; every row needs one to be put in a window`, undefined, column);
    const n = assignWindows(spec, t, starts);
    for (let w = 0; w < n; w++) {
      let g = groups.get(starts[w]);
      if (!g) groups.set(starts[w], (g = new RowList()));
      g.push(i);
    }
  }
  return [...groups.keys()].sort((a, b) => a - b).map((start) => {
    const g = groups.get(start)!;
    return { start, end: windowEnd(spec, start), rows: g.rows.subarray(0, g.length), count: g.length };
  });
}

/**
 * The values of one feature in one window as evaluation wants them (see CurrentColumn):
 * numeric non-missing values (a fresh array, as evaluation sorts it, unless `useUp` says the file's
 * column is read for the last time), or counts per category code. `w.rows` null means every row.
 */
function currentColumn(col: ColumnData, w: WindowRows, useUp = false): CurrentColumn {
  const { rows, count: n } = w;
  if (col.kind === 'categorical') {
    const counts = new Float64Array(col.dictionary.length);
    const codes = col.codes;
    let missing = 0;
    for (let k = 0; k < n; k++) {
      const code = codes[rows ? rows[k] : k];
      if (code < 0) missing++;
      else counts[code]++;
    }
    return { kind: 'categorical', counts, dictionary: col.dictionary, missing };
  }
  const src = col.values;
  let missing = 0;
  if (!rows) {
    // (The reader counted the column's missing cells, its NaNs: with none, nothing to look for.)
    if (col.missing > 0) for (let k = 0; k < n; k++) if (src[k] !== src[k]) missing++;
    // Every row, none missing (the usual case): the column itself when nothing else will read it
    // (evaluation may sort it in place), else one copy of it.
    if (missing === 0) return { kind: 'numeric', values: useUp ? src.subarray(0, n) : src.slice(0, n), missing };
  } else {
    for (let k = 0; k < n; k++) if (src[rows[k]] !== src[rows[k]]) missing++;
  }
  const values = new Float64Array(n - missing);
  let j = 0;
  for (let k = 0; k < n; k++) {
    const x = src[rows ? rows[k] : k];
    if (x === x) values[j++] = x;
  }
  return { kind: 'numeric', values, missing };
}

/** A window's feature results as the stable JSON contract of `compare`. */
function toCompareWindow(w: WindowRows, results: readonly FeatureResult[], windowed: boolean): CompareWindow {
  const features: Record<string, CompareFeature> = {};
  for (const f of results) {
    const metrics: Record<string, CompareMetric> = {};
    for (const m of f.metrics) {
      metrics[m.metric] = m.p_value === null
        ? { value: m.value, threshold: m.threshold, drift: m.drift }
        : { value: m.value, p_value: m.p_value, threshold: m.threshold, drift: m.drift };
    }
    features[f.feature] = { kind: f.kind === 'NUMERIC' ? 'numeric' : 'categorical', count: f.count, missing: f.missing, metrics };
  }
  return {
    start: windowed ? new Date(w.start).toISOString() : null,
    end: windowed ? new Date(w.end).toISOString() : null,
    rows: w.count,
    features,
  };
}

// ------------------------------------------------------------------ evaluation, feature by feature

/**
 * What evaluating the features needs, for any thread: the features, both files' columns (shared,
 * not copied, between threads: see ReadOptions.shared), the windows, the rules.
 */
export interface EvaluationTask {
  readonly features: readonly Feature[];
  readonly referenceRows: number;
  readonly currentRows: number;
  /** Columns by feature name; each is deleted once its feature is done, to free memory early. */
  readonly refColumns: Map<string, ColumnData>;
  readonly curColumns: Map<string, ColumnData>;
  readonly windows: readonly WindowRows[];
  readonly rules: readonly Rule[];
  readonly bins: number;
  readonly detailed: boolean;
  /**
   * Reference snapshots built ahead, by feature name (this thread builds them while the worker
   * still reads the current file): features 0 to snapshots.size − 1, whose reference columns are
   * no longer in refColumns. Either thread may evaluate them (the worker is sent them as data,
   * see CompareThread.evaluate); each is deleted once used.
   */
  readonly snapshots?: Map<string, ReferenceSnapshot>;
}

/** One feature evaluated: its result in every window, and its distributions for the HTML report. */
export interface FeatureOutcome {
  results: FeatureResult[];
  /** Reference vs the whole current file (detailed only; null without reference values). */
  distribution: FeatureDistribution | null;
  /** The current side in each window (with distribution). */
  shares: (number[] | null)[] | null;
}

/**
 * Evaluates feature `index` of the task in every window: its reference snapshot, then each window
 * by evaluateWindow (the stream processor's evaluation) with that one feature. Features are
 * independent of one another in compare (no correction across features), so evaluating them one
 * at a time, in any thread and any order, gives each the result a whole window would give it.
 */
export function evaluateFeatureAt(task: EvaluationTask, index: number): FeatureOutcome {
  const f = task.features[index];
  const refColumn = task.refColumns.get(f.name);
  const curColumn = task.curColumns.get(f.name)!;
  task.refColumns.delete(f.name);
  task.curColumns.delete(f.name);
  const built = task.snapshots?.get(f.name);
  task.snapshots?.delete(f.name);
  const snapshot = built ?? buildReference(refColumn!, task.referenceRows, f, task.bins, task.detailed);
  // One window and no HTML report: the current column is read once, so it may be used up.
  const once = task.windows.length === 1 && !task.detailed;
  const results = task.windows.map((w) =>
    evaluateWindow(
      { modelId: 'compare', modelVersion: 'reference', start: w.start, end: w.end, rows: w.count, features: [f], column: () => currentColumn(curColumn, w, once) },
      snapshot,
      task.rules,
    ).features[0]);
  let distribution: FeatureDistribution | null = null;
  let shares: (number[] | null)[] | null = null;
  if (task.detailed) {
    const whole: WindowRows = { start: 0, end: 0, rows: null, count: task.currentRows };
    distribution = featureDistribution(snapshot, f.name, currentColumn(curColumn, whole));
    if (distribution) shares = task.windows.map((w) => currentShares(distribution!, currentColumn(curColumn, w), snapshot, f.name));
  }
  return { results, distribution, shares };
}

/** Compares the current file against the reference file; see CompareOptions. */
export async function compareFiles(opts: CompareOptions): Promise<CompareReport> {
  return (await compare(opts, false)).report;
}

/**
 * compareFiles plus the distributions behind the binned metrics, for the HTML report. The
 * report part is exactly what compareFiles returns.
 */
export async function compareFilesDetailed(opts: CompareOptions): Promise<DetailedCompare> {
  const r = await compare(opts, true);
  return { report: r.report, distributions: r.distributions! };
}

async function compare(opts: CompareOptions, detailed: boolean): Promise<{ report: CompareReport; distributions: CompareDistributions | null }> {
  checkMetrics(opts.metrics);
  if (opts.window !== undefined && !opts.timestampColumn) throw new CompareOptionsError('--window needs --timestamp-column: the column of the current file that holds event times');
  if (opts.advance !== undefined && opts.window === undefined) throw new CompareOptionsError('--advance needs --window');
  const bins = opts.bins ?? DEFAULT_BINS;
  if (!Number.isInteger(bins) || bins < 2 || bins > 1000) throw new CompareOptionsError(`--bins must be a whole number from 2 to 1000, got ${bins}`);
  let spec: WindowSpec | null = null;
  if (opts.window !== undefined) {
    try {
      spec = windowSpecFromText({ size: opts.window, advance: opts.advance });
    } catch (err) {
      throw new CompareOptionsError(`--window ${opts.window}${opts.advance ? ` --advance ${opts.advance}` : ''}: ${(err as Error).message}`);
    }
  }

  // The worker thread starts first (unless the CLI started it already: cli/early.ts): it boots
  // while this thread looks at the files' headers.
  const ahead = takeEarlyThread(opts.reference, opts.current);
  let worker: CompareThread | null = null;
  if (wantsWorkerThread(opts.reference, opts.current, opts.parallel)) worker = ahead ?? new CompareThread();
  else ahead?.close();
  // Numeric columns of both files go to one arena, where the statistics' kernels read them in
  // place (stats/arena.ts); it goes when the report is made.
  const arena = WasmArena.create();
  try {
    const { names, forced } = await chooseColumns(opts);
    const columns = [...names];
    if (spec && opts.timestampColumn) columns.push(opts.timestampColumn);
    const kindsOf = (features: readonly Feature[]): Record<string, ColumnKind> => {
      const kinds: Record<string, ColumnKind> = {};
      for (const f of features) kinds[f.name] = f.kind;
      if (spec && opts.timestampColumn) kinds[opts.timestampColumn] = 'timestamp';
      return kinds;
    };
    const featuresOf = (ref: TableData): Feature[] => names.map((name) => {
      const kind: FeatureKind = ref.columns.get(name)!.kind === 'categorical' ? 'categorical' : 'numeric';
      return { name, kind, metrics: metricsFor(kind, opts.metrics) };
    });
    const progress = (file: 'reference' | 'current') => opts.onProgress && ((b: number, t: number) => opts.onProgress!(file, b, t));

    let ref: TableData;
    let cur: TableData;
    let features: Feature[];
    const built = new Map<string, ReferenceSnapshot>();
    if (!worker) {
      ref = await readTable(opts.reference, { columns: names, kinds: forced, onProgress: progress('reference'), arena: arena ?? undefined });
      features = featuresOf(ref);
      // Current: the features with the reference's kinds (a numeric reference column makes a
      // non-numeric current cell an error, not a silent change of kind), plus the timestamps.
      cur = await readTable(opts.current, { columns, kinds: kindsOf(features), onProgress: progress('current'), arena: arena ?? undefined });
    } else {
      // Both files at once: the current one in the worker, before the reference's kinds are
      // known, with the kinds forced by the options only. Where it inferred a feature's kind as
      // the reference's, the columns are what a read with that kind forced gives; if not (or if
      // it failed), it is read again with the reference's kinds, so data and errors are exactly
      // those of reading one file after the other.
      const forcedKinds: Record<string, ColumnKind> = { ...forced };
      if (spec && opts.timestampColumn) forcedKinds[opts.timestampColumn] = 'timestamp';
      const early = worker.read(opts.current, { columns, kinds: forcedKinds }, progress('current'), arena);
      early.catch(() => {}); // awaited below, after the reference (whose errors come first)
      ref = await readTable(opts.reference, { columns: names, kinds: forced, onProgress: progress('reference'), shared: true, arena: arena ?? undefined });
      features = featuresOf(ref);
      // While the worker still reads, this thread builds the first features' reference snapshots
      // (they depend on the reference alone), one at a time, looking between two whether the
      // current file is read. This thread evaluates those features later (see EvaluationTask).
      let read = false;
      early.then(() => { read = true; }, () => { read = true; });
      for (const f of features) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (read || worker.broken) break;
        built.set(f.name, buildReference(ref.columns.get(f.name)!, ref.rows, f, bins, detailed));
      }
      const guess = await early.catch(() => null);
      const same = guess !== null && features.every((f) => (guess.columns.get(f.name)!.kind === 'categorical') === (f.kind === 'categorical'));
      if (worker.broken) {
        // The worker thread could not start (or died): everything in this thread, as without it.
        worker.close();
        worker = null;
        cur = await readTable(opts.current, { columns, kinds: kindsOf(features), onProgress: progress('current'), arena: arena ?? undefined });
      } else {
        cur = same ? guess : await worker.read(opts.current, { columns, kinds: kindsOf(features) }, progress('current'), arena);
      }
    }

    const rules: Rule[] = effectiveRules(features, null);
    for (const [metric, threshold] of opts.thresholds ?? []) {
      getMetric(metric);
      for (const f of features) {
        const i = rules.findIndex((r) => r.feature === f.name && r.metric === metric);
        if (i >= 0) rules.splice(i, 1);
        rules.push({ feature: f.name, metric, threshold });
      }
    }
    const windows: WindowRows[] = spec
      ? groupByWindow(spec, (cur.columns.get(opts.timestampColumn!) as { values: Float64Array }).values, opts.current, opts.timestampColumn!)
      : [{ start: 0, end: 0, rows: null, count: cur.rows }];

    const task: EvaluationTask = {
      features,
      referenceRows: ref.rows,
      currentRows: cur.rows,
      refColumns: new Map([...ref.columns].filter(([name]) => !built.has(name))),
      curColumns: new Map(cur.columns),
      windows,
      rules,
      bins,
      detailed,
      snapshots: built,
    };
    const outcomes = worker ? await worker.evaluate(task, { evaluateFeatureAt, snapshotData }, opts.onEvaluate) : evaluateAll(task, opts.onEvaluate);

    const report: CompareReport = {
      reference: { rows: ref.rows },
      windows: windows.map((w, k) => toCompareWindow(w, outcomes.map((o) => o.results[k]), spec !== null)),
    };
    let distributions: CompareDistributions | null = null;
    if (detailed) {
      // For the HTML report: reference vs the whole current file, then each window's current side.
      distributions = { currentRows: cur.rows, features: {}, windows: windows.map(() => ({})) };
      features.forEach((f, i) => {
        const o = outcomes[i];
        if (!o.distribution) return;
        distributions!.features[f.name] = o.distribution;
        o.shares!.forEach((share, k) => {
          distributions!.windows[k][f.name] = share;
        });
      });
    }
    return { report, distributions };
  } finally {
    worker?.close();
    arena?.release();
  }
}

/** Evaluates every feature of the task in this thread, in order. */
function evaluateAll(task: EvaluationTask, onEvaluate?: (done: number, total: number) => void): FeatureOutcome[] {
  return task.features.map((_, i) => {
    const o = evaluateFeatureAt(task, i);
    onEvaluate?.(i + 1, task.features.length);
    return o;
  });
}

// ------------------------------------------------------------------ the table for people

/** A number in a few significant digits; tiny and huge ones in exponent form. */
export function formatNumber(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-3 || a >= 1e6) return x.toExponential(2);
  return String(Number(x.toPrecision(4)));
}

/**
 * How far past (or short of) its threshold a feature is, for sorting: the largest, over its
 * metrics with a threshold, of log(threshold / p) for tests and log(value / threshold) for
 * distances. Positive means drift. Logarithms keep p-values like 1e-320 apart instead of all
 * overflowing to Infinity.
 */
export function severity(f: CompareFeature): number {
  let worst = -Infinity;
  for (const [name, m] of Object.entries(f.metrics)) {
    if (m.threshold === null) continue;
    const scored = scoredValue({ metric: name, value: m.value, p_value: m.p_value ?? null, threshold: m.threshold, drift: m.drift, p_value_adjusted: null, signal: 'DISTRIBUTION' });
    const s = getMetric(name).direction === 'pvalue'
      ? Math.log(m.threshold) - Math.log(Math.max(scored, Number.MIN_VALUE))
      : Math.log(Math.max(scored, Number.MIN_VALUE)) - Math.log(Math.max(m.threshold, Number.MIN_VALUE));
    if (s > worst) worst = s;
  }
  return worst;
}

/** Descending severity; features without thresholded metrics (-Infinity) last. */
function bySeverity(a: CompareFeature, b: CompareFeature): number {
  const sa = severity(a);
  const sb = severity(b);
  return sa === sb ? 0 : sb > sa ? 1 : -1;
}

function drifted(f: CompareFeature): boolean {
  return Object.values(f.metrics).some((m) => m.drift);
}

/** The report as aligned text tables, one per window, most drifted features first. */
export function formatTable(report: CompareReport): string {
  const out: string[] = [];
  const windowed = report.windows.some((w) => w.start !== null);
  out.push(`reference: ${report.reference.rows} rows; ${windowed ? `${report.windows.length} window${report.windows.length === 1 ? '' : 's'}` : 'current file as one window'}`);
  let anyDrift = false;
  for (const w of report.windows) {
    out.push('');
    out.push(w.start === null ? `whole current file: ${w.rows} rows` : `window ${w.start} .. ${w.end}: ${w.rows} rows`);
    const metricNames: string[] = [];
    for (const f of Object.values(w.features)) for (const m of Object.keys(f.metrics)) if (!metricNames.includes(m)) metricNames.push(m);
    // Registry order, whatever order features came in.
    metricNames.sort((a, b) => orderOf(a) - orderOf(b));
    const entries = Object.entries(w.features).sort(([an, a], [bn, b]) =>
      Number(drifted(b)) - Number(drifted(a)) || bySeverity(a, b) || (an < bn ? -1 : an > bn ? 1 : 0));
    const header = ['feature', 'kind', 'count', 'missing', ...metricNames.map((m) => (getMetric(m).direction === 'pvalue' ? `${m} p` : m))];
    const rows = entries.map(([name, f]) => [
      name,
      f.kind,
      String(f.count),
      String(f.missing),
      ...metricNames.map((m) => {
        const r = f.metrics[m];
        if (!r) return '-';
        const shown = r.p_value !== undefined ? r.p_value : r.value;
        return `${formatNumber(shown)}${r.drift ? ' *' : '  '}`;
      }),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
    out.push(line(header));
    for (const r of rows) out.push(line(r));
    const n = entries.filter(([, f]) => drifted(f)).length;
    if (n > 0) anyDrift = true;
    out.push(`${n} of ${entries.length} features drifted`);
  }
  out.push('');
  out.push(anyDrift
    ? '* drift: a test\'s p-value below its threshold, or a distance at or above its threshold. Tests (ks, chi2) show p-values; others their value.'
    : 'No drift. Tests (ks, chi2) show p-values; others their value.');
  return `${out.join('\n')}\n`;
}

function orderOf(metric: string): number {
  const names = [...metricsForKind('numeric'), ...metricsForKind('categorical')].map((d) => d.name);
  const i = names.indexOf(metric);
  return i < 0 ? names.length : i;
}
