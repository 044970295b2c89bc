/**
 * Evaluation of one closed window against its reference: the same code for the stream processor
 * and for `driftline compare`. Pure: columns and a frozen reference in, a WindowResult value out.
 */
import { createHash } from 'node:crypto';
import { binCountsSorted } from '../stats/binning.js';
import { sortFloat64, binIndex, unsortedPairStats, chi2Contingency, hellinger, jensenShannon, ks, ksFromSketch, ksFromStatistic, linf, proportions, psi, sortedPairStats, wasserstein, wassersteinWeightedSorted, type KllSketch, type SortedPairStats } from '../stats/index.js';
import { DEFAULT_QUALITY_RULES, DEFAULT_RULE_METRIC, crosses, getMetric, type FeatureKind } from './registry.js';
import type { CategoricalSnapshot, NumericSnapshot, ReferenceSnapshot } from './reference.js';

export interface MetricResult {
  metric: string;
  value: number;
  p_value: number | null;
  threshold: number | null;
  drift: boolean;
  /** The p-value after the multiple-testing correction, when the model has one. */
  p_value_adjusted: number | null;
  signal: 'DISTRIBUTION' | 'DATA_QUALITY';
}
export interface FeatureResult {
  feature: string;
  kind: 'NUMERIC' | 'CATEGORICAL';
  count: number;
  missing: number;
  metrics: MetricResult[];
  role: 'FEATURE' | 'PREDICTION';
}
export interface DatasetDrift {
  drifted_features: number;
  features: number;
  share: number;
  threshold: number;
  drift: boolean;
}
export interface VolumeResult {
  rows: number;
  typical_rows: number;
  fold_change: number;
  threshold: number;
  drift: boolean;
}
export interface WindowResult {
  result_id: string;
  model_id: string;
  model_version: string;
  window_start: number;
  window_end: number;
  rows: number;
  status: 'OK' | 'NO_REFERENCE';
  features: FeatureResult[];
  /** SKEW: compared with the training data; DRIFT: with earlier serving windows. */
  kind: 'SKEW' | 'DRIFT';
  dataset_drift: DatasetDrift | null;
  volume: VolumeResult | null;
}

export interface Rule {
  readonly feature: string;
  readonly metric: string;
  readonly threshold: number;
}

/**
 * The rules of a model: its own (which replace all defaults), or per feature the default
 * distribution metric and the default data-quality metrics at their default thresholds.
 */
export function effectiveRules(features: readonly { name: string; kind: FeatureKind }[], rules: readonly Rule[] | null, opts: { quality?: boolean } = {}): Rule[] {
  if (rules) return [...rules];
  const out: Rule[] = [];
  for (const f of features) {
    const metrics = [DEFAULT_RULE_METRIC[f.kind], ...(opts.quality === false ? [] : DEFAULT_QUALITY_RULES[f.kind])];
    for (const metric of metrics) out.push({ feature: f.name, metric, threshold: getMetric(metric).defaultThreshold! });
  }
  return out;
}

export function stableId(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

/** Current values of one feature in a window, as evaluation needs them. */
export type CurrentColumn =
  | { kind: 'numeric'; values: Float64Array; missing: number; mismatches?: number }
  | { kind: 'sketch'; sketch: KllSketch; missing: number; mismatches?: number }
  | { kind: 'categorical'; counts: Float64Array; dictionary: readonly string[]; missing: number; mismatches?: number };

interface Raw {
  value: number;
  pValue: number | null;
}

/** Metrics served by one merge pass of the sorted reference and window (sortedPairStats). */
const MERGED_METRICS: ReadonlySet<string> = new Set(['ks', 'wasserstein']);
const BINNED_METRICS: ReadonlySet<string> = new Set(['psi', 'js', 'hellinger']);

/**
 * Whether a numeric feature's metrics are better computed by one merge pass: when at least two of
 * KS, Wasserstein and the binned metrics (which share the bin counts) are asked for, and both
 * sorted samples are finite (the pass requires it; the separate functions take ±Infinity).
 */
function mergedPass(metrics: readonly string[], ref: Float64Array, cur: Float64Array): boolean {
  let wanted = 0;
  let binned = false;
  for (const m of metrics) {
    if (MERGED_METRICS.has(m)) wanted++;
    else if (BINNED_METRICS.has(m) && !binned) {
      binned = true;
      wanted++;
    }
  }
  return wanted >= 2 && Number.isFinite(ref[0]) && Number.isFinite(ref[ref.length - 1]) && Number.isFinite(cur[0]) && Number.isFinite(cur[cur.length - 1]);
}

/**
 * Whether evaluating these metrics of a numeric feature reads the values in order (the sorted
 * reference and window): every time, but when KS comes with binned and data-quality metrics only.
 */
export function readsInOrder(metrics: readonly string[]): boolean {
  return !orderFree(metrics);
}

/**
 * Whether a numeric feature's metrics are served without ordering the values: KS, by bucket
 * counts (unsortedPairStats), with only binned and data-quality metrics beside it.
 */
function orderFree(metrics: readonly string[]): boolean {
  let ks = false;
  for (const m of metrics) {
    if (m === 'ks') ks = true;
    else if (!BINNED_METRICS.has(m) && getMetric(m).signal !== 'quality') return false;
  }
  return ks;
}

/** The metrics on the reference's frozen bins (the current side's proportions from `curBins`). */
function binnedMetric(metric: string, ref: NumericSnapshot, curBins: () => Float64Array): Raw {
  switch (metric) {
    case 'psi': return { value: psi(ref.binProportions, curBins()), pValue: null };
    case 'js': return { value: jensenShannon(ref.binProportions, curBins()), pValue: null };
    case 'hellinger': return { value: hellinger(ref.binProportions, curBins()), pValue: null };
    default: throw new Error(`metric ${metric} does not apply to numeric features`);
  }
}

function numericMetric(metric: string, ref: NumericSnapshot, cur: Float64Array, curBins: () => Float64Array, pair: (() => SortedPairStats) | null): Raw {
  switch (metric) {
    case 'ks': {
      const r = pair ? ksFromStatistic(pair().ksStatistic, ref.sorted.length, cur.length) : ks(ref.sorted, cur, { sorted: true });
      return { value: r.statistic, pValue: r.pValue };
    }
    case 'wasserstein': return { value: pair ? pair().wasserstein : wasserstein(ref.sorted, cur, { sorted: true }), pValue: null };
    default: return binnedMetric(metric, ref, curBins);
  }
}

/**
 * Numeric metrics of a window kept as a quantile sketch (sketch mode): KS from the sketch's CDF,
 * Wasserstein against its weighted items, and the binned metrics from the sketch's counts at the
 * frozen reference edges. Approximations within the sketch's rank error (docs/METRICS.md).
 */
function sketchMetric(metric: string, ref: NumericSnapshot, sketch: KllSketch, curBins: () => Float64Array): Raw {
  switch (metric) {
    case 'ks': {
      const r = ksFromSketch(ref.sorted, sketch);
      return { value: r.statistic, pValue: r.pValue };
    }
    case 'wasserstein': {
      const { values, weights } = sketch.sortedView();
      return { value: wassersteinWeightedSorted(ref.sorted, values, weights), pValue: null };
    }
    default: return binnedMetric(metric, ref, curBins);
  }
}

/** Bin proportions of a sketch at the reference edges (right-closed bins, as binCounts). */
function sketchBins(sketch: KllSketch, edges: Float64Array): Float64Array {
  const { values, weights } = sketch.sortedView();
  const counts = new Float64Array(edges.length + 1);
  let b = 0;
  for (let i = 0; i < values.length; i++) {
    while (b < edges.length && values[i] > edges[b]) b++;
    counts[b] += weights[i];
  }
  return proportions(counts);
}

/** Aligns reference and current category counts over the union of their categories. */
export function alignCategories(ref: CategoricalSnapshot, counts: Float64Array, dictionary: readonly string[]): { ref: Float64Array; cur: Float64Array } {
  const index = new Map<string, number>();
  const names: string[] = [];
  for (const name of ref.counts.keys()) {
    index.set(name, names.length);
    names.push(name);
  }
  for (let c = 0; c < counts.length; c++) {
    if (counts[c] > 0 && !index.has(dictionary[c])) {
      index.set(dictionary[c], names.length);
      names.push(dictionary[c]);
    }
  }
  const r = new Float64Array(names.length);
  const q = new Float64Array(names.length);
  for (const [name, n] of ref.counts) r[index.get(name)!] = n;
  for (let c = 0; c < counts.length; c++) if (counts[c] > 0) q[index.get(dictionary[c])!] += counts[c];
  return { ref: r, cur: q };
}

function categoricalMetric(metric: string, ref: Float64Array, cur: Float64Array): Raw {
  switch (metric) {
    case 'chi2': {
      const r = chi2Contingency(ref, cur);
      return { value: r.statistic, pValue: r.pValue };
    }
    case 'psi': return { value: psi(proportions(ref), proportions(cur)), pValue: null };
    case 'js': return { value: jensenShannon(proportions(ref), proportions(cur)), pValue: null };
    case 'hellinger': return { value: hellinger(proportions(ref), proportions(cur)), pValue: null };
    case 'linf': return { value: linf(proportions(ref), proportions(cur)), pValue: null };
    default: throw new Error(`metric ${metric} does not apply to categorical features`);
  }
}

/** Number of values of an ascending array below `lo` plus those above `hi` (two binary searches). */
function countOutsideSorted(sorted: Float64Array, lo: number, hi: number): number {
  const below = binIndex(sorted, lo); // values < lo
  let a = below;
  let b = sorted.length;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (sorted[mid] > hi) b = mid;
    else a = mid + 1;
  }
  return below + (sorted.length - a);
}

/**
 * Data-quality metrics; a null value means "not defined here" (no values to look at).
 * `sorted`: the current numeric values are in ascending order (evaluateFeature sorted them).
 */
function qualityMetric(metric: string, ref: NumericSnapshot | CategoricalSnapshot, current: CurrentColumn, count: number, sorted = false): number | null {
  const rows = count + current.missing;
  switch (metric) {
    case 'missing_rate': return rows === 0 ? null : current.missing / rows;
    case 'type_mismatch_rate': return rows === 0 ? null : (current.mismatches ?? 0) / rows;
    case 'out_of_range': {
      if (current.kind === 'sketch' && ref.kind === 'numeric' && count > 0 && ref.count > 0) {
        const { values, weights } = current.sketch.sortedView();
        let outside = 0;
        for (let i = 0; i < values.length; i++) if (values[i] < ref.min || values[i] > ref.max) outside += weights[i];
        return outside / count;
      }
      if (current.kind !== 'numeric' || ref.kind !== 'numeric' || count === 0 || ref.count === 0) return null;
      if (sorted) return countOutsideSorted(current.values, ref.min, ref.max) / count;
      let outside = 0;
      for (let i = 0; i < current.values.length; i++) if (current.values[i] < ref.min || current.values[i] > ref.max) outside++;
      return outside / count;
    }
    case 'unseen_categories': {
      if (current.kind !== 'categorical' || ref.kind !== 'categorical' || count === 0) return null;
      let unseen = 0;
      for (let c = 0; c < current.counts.length; c++) if (current.counts[c] > 0 && !ref.counts.has(current.dictionary[c])) unseen += current.counts[c];
      return unseen / count;
    }
    default: throw new Error(`metric ${metric} is not a data-quality metric`);
  }
}

/**
 * Computes the metrics of one feature. Distribution metrics need values on both sides: a side
 * with none yields no distribution metrics rather than NaN (nothing to compare is not a drift, and
 * a NaN must never reach an alert). Data-quality metrics are computed whenever they are defined,
 * so a window in which a feature is always missing still reports missing_rate = 1.
 */
export function evaluateFeature(
  name: string,
  ref: NumericSnapshot | CategoricalSnapshot,
  current: CurrentColumn,
  metrics: readonly string[],
  thresholds: ReadonlyMap<string, number>,
  minRows = 1,
  role: 'FEATURE' | 'PREDICTION' = 'FEATURE',
): FeatureResult {
  const out: FeatureResult = { feature: name, kind: ref.kind === 'numeric' ? 'NUMERIC' : 'CATEGORICAL', count: 0, missing: current.missing, metrics: [], role };
  let compute: ((metric: string) => Raw) | null = null;
  let sorted = false;
  if (ref.kind === 'numeric' && current.kind === 'numeric') {
    out.count = current.values.length;
    // KS and bins by bucket counts (unsortedPairStats), the window left in its order.
    const unsorted = current.values.length > 0 && ref.sample.length > 0 && orderFree(metrics);
    if (unsorted) {
      const counts = new Float64Array(ref.edges.length + 1);
      const statistic = unsortedPairStats(ref.sample, current.values, ref.edges, counts, ref.buckets);
      const bins = proportions(counts);
      compute = (m) => {
        if (m !== 'ks') return binnedMetric(m, ref, () => bins);
        const r = ksFromStatistic(statistic, ref.sample.length, current.values.length);
        return { value: r.statistic, pValue: r.pValue };
      };
    } else if (current.values.length > 0 && ref.sample.length > 0) {
      const cur = sortFloat64(current.values);
      sorted = true;
      let bins: Float64Array | null = null;
      let stats: SortedPairStats | null = null;
      const pair = mergedPass(metrics, ref.sorted, cur)
        ? () => {
          if (!stats) {
            const counts = new Float64Array(ref.edges.length + 1);
            stats = sortedPairStats(ref.sorted, cur, ref.edges, counts);
            bins = proportions(counts);
          }
          return stats;
        }
        : null;
      const curBins = () => {
        if (pair) pair();
        return (bins ??= proportions(binCountsSorted(cur, ref.edges)));
      };
      compute = (m) => numericMetric(m, ref, cur, curBins, pair);
    }
  } else if (ref.kind === 'numeric' && current.kind === 'sketch') {
    out.count = current.sketch.n;
    if (out.count > 0 && ref.sorted.length > 0) {
      let bins: Float64Array | null = null;
      const curBins = () => (bins ??= sketchBins(current.sketch, ref.edges));
      compute = (m) => sketchMetric(m, ref, current.sketch, curBins);
    }
  } else if (ref.kind === 'categorical' && current.kind === 'categorical') {
    let n = 0;
    for (let i = 0; i < current.counts.length; i++) n += current.counts[i];
    out.count = n;
    if (n > 0 && ref.count > 0) {
      const aligned = alignCategories(ref, current.counts, current.dictionary);
      compute = (m) => categoricalMetric(m, aligned.ref, aligned.cur);
    }
  } else throw new Error(`feature ${name}: reference is ${ref.kind} but the window column is ${current.kind}`);
  for (const metric of metrics) {
    const def = getMetric(metric);
    let value: number;
    let pValue: number | null = null;
    if (def.signal === 'quality') {
      const q = qualityMetric(metric, ref, current, out.count, sorted);
      if (q === null) continue;
      value = q;
    } else {
      if (!compute) continue;
      ({ value, pValue } = compute(metric));
    }
    if (!Number.isFinite(value) || (pValue !== null && !Number.isFinite(pValue))) continue;
    const threshold = thresholds.get(metric) ?? def.defaultThreshold;
    const scored = def.direction === 'pvalue' ? pValue ?? value : value;
    const support = def.signal === 'quality' ? out.count + out.missing : out.count;
    const verdict = threshold !== null && support >= minRows;
    out.metrics.push({ metric, value, p_value: pValue, threshold, drift: verdict ? crosses(def, scored, threshold!) : false, p_value_adjusted: null, signal: def.signal === 'quality' ? 'DATA_QUALITY' : 'DISTRIBUTION' });
  }
  return out;
}

/** Values a window needs for a verdict on this metric result (valid values, or all rows for quality). */
export function verdictSupport(f: FeatureResult, m: MetricResult): number {
  return m.signal === 'DATA_QUALITY' ? f.count + f.missing : f.count;
}

/**
 * Adjusts the p-values of each p-value metric across the window's features: Bonferroni
 * (p·m, capped at 1) or Benjamini-Hochberg (the step-up adjusted p-values, Benjamini & Hochberg,
 * "Controlling the False Discovery Rate", JRSS B 1995). Drift flags are then read from the
 * adjusted p-values.
 */
export function applyCorrection(features: FeatureResult[], method: 'none' | 'bonferroni' | 'bh', minRows: number): void {
  if (method === 'none') return;
  const byMetric = new Map<string, { f: FeatureResult; m: MetricResult }[]>();
  for (const f of features) {
    for (const m of f.metrics) {
      if (m.p_value === null) continue;
      let list = byMetric.get(m.metric);
      if (!list) byMetric.set(m.metric, (list = []));
      list.push({ f, m });
    }
  }
  for (const list of byMetric.values()) {
    const n = list.length;
    if (method === 'bonferroni') {
      for (const x of list) x.m.p_value_adjusted = Math.min(1, x.m.p_value! * n);
    } else {
      const order = list.map((_, i) => i).sort((a, b) => list[a].m.p_value! - list[b].m.p_value!);
      let running = 1;
      for (let k = n - 1; k >= 0; k--) {
        const x = list[order[k]];
        running = Math.min(running, (x.m.p_value! * n) / (k + 1));
        x.m.p_value_adjusted = Math.min(1, running);
      }
    }
    for (const { f, m } of list) {
      const def = getMetric(m.metric);
      m.drift = m.threshold !== null && verdictSupport(f, m) >= minRows ? crosses(def, m.p_value_adjusted!, m.threshold) : false;
    }
  }
}

/** The share of (non-prediction) features with at least one distribution rule drifting; features with fewer than minRows values do not count. */
export function datasetDrift(features: readonly FeatureResult[], rules: readonly Rule[], threshold: number, minRows = 1): DatasetDrift | null {
  let evaluated = 0;
  let drifted = 0;
  for (const f of features) {
    if (f.role !== 'FEATURE' || f.count < minRows) continue;
    const ruled = f.metrics.filter((m) => m.signal === 'DISTRIBUTION' && rules.some((r) => r.feature === f.feature && r.metric === m.metric));
    if (ruled.length === 0) continue;
    evaluated++;
    if (ruled.some((m) => m.drift)) drifted++;
  }
  if (evaluated === 0) return null;
  const share = drifted / evaluated;
  return { drifted_features: drifted, features: evaluated, share, threshold, drift: share >= threshold };
}

/** The number a rule compares with its threshold: the p-value for tests, the value for distances. */
export function scoredValue(m: MetricResult): number {
  return getMetric(m.metric).direction === 'pvalue' ? (m.p_value_adjusted ?? m.p_value ?? m.value) : m.value;
}

export interface WindowInput {
  modelId: string;
  modelVersion: string;
  start: number;
  end: number;
  rows: number;
  features: readonly { name: string; kind: FeatureKind; metrics: readonly string[]; role?: 'feature' | 'prediction' }[];
  column: (feature: string) => CurrentColumn;
  /** Features with fewer values get metrics but no drift verdict (default 1). */
  minRows?: number;
  /** SKEW (default): the reference is the training data; DRIFT: earlier serving windows. */
  kind?: 'SKEW' | 'DRIFT';
  correction?: 'none' | 'bonferroni' | 'bh';
  /** Share of drifted features at which the window as a whole drifted (default 0.5). */
  datasetDriftShare?: number;
}

/** Evaluates a closed window; a null reference gives a NO_REFERENCE result with counts only. */
export function evaluateWindow(input: WindowInput, reference: ReferenceSnapshot | null, rules: readonly Rule[]): WindowResult {
  const features: FeatureResult[] = [];
  const minRows = input.minRows ?? 1;
  for (const f of input.features) {
    const current = input.column(f.name);
    const role = f.role === 'prediction' ? 'PREDICTION' : 'FEATURE';
    const snap = reference?.features.get(f.name);
    if (!reference || !snap || reference.rows === 0) {
      const count = current.kind === 'numeric' ? current.values.length : current.kind === 'sketch' ? current.sketch.n : current.counts.reduce((a, b) => a + b, 0);
      features.push({ feature: f.name, kind: f.kind === 'numeric' ? 'NUMERIC' : 'CATEGORICAL', count, missing: current.missing, metrics: [], role });
      continue;
    }
    const thresholds = new Map<string, number>();
    for (const r of rules) if (r.feature === f.name) thresholds.set(r.metric, r.threshold);
    features.push(evaluateFeature(f.name, snap, current, f.metrics, thresholds, minRows, role));
  }
  const ok = reference !== null && reference.rows > 0;
  if (ok) applyCorrection(features, input.correction ?? 'none', minRows);
  return {
    result_id: stableId('result', input.modelId, input.modelVersion, input.start, input.end),
    model_id: input.modelId,
    model_version: input.modelVersion,
    window_start: input.start,
    window_end: input.end,
    rows: input.rows,
    status: ok ? 'OK' : 'NO_REFERENCE',
    features,
    kind: input.kind ?? 'SKEW',
    dataset_drift: ok ? datasetDrift(features, rules, input.datasetDriftShare ?? 0.5, minRows) : null,
    volume: null,
  };
}
