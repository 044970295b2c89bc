/**
 * Evaluation of one closed window against its reference: the same code for the stream processor
 * and for `driftline compare`. Pure: columns and a frozen reference in, a WindowResult value out.
 */
import { createHash } from 'node:crypto';
import { binCounts, chi2Contingency, hellinger, jensenShannon, ks, linf, proportions, psi, wasserstein } from '../stats/index.js';
import { DEFAULT_RULE_METRIC, crosses, getMetric, type FeatureKind } from './registry.js';
import type { CategoricalSnapshot, NumericSnapshot, ReferenceSnapshot } from './reference.js';

export interface MetricResult {
  metric: string;
  value: number;
  p_value: number | null;
  threshold: number | null;
  drift: boolean;
}
export interface FeatureResult {
  feature: string;
  kind: 'NUMERIC' | 'CATEGORICAL';
  count: number;
  missing: number;
  metrics: MetricResult[];
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
}

export interface Rule {
  readonly feature: string;
  readonly metric: string;
  readonly threshold: number;
}

/** The rules of a model: its own, or per feature the default metric at its default threshold. */
export function effectiveRules(features: readonly { name: string; kind: FeatureKind }[], rules: readonly Rule[] | null): Rule[] {
  if (rules) return [...rules];
  return features.map((f) => {
    const metric = DEFAULT_RULE_METRIC[f.kind];
    return { feature: f.name, metric, threshold: getMetric(metric).defaultThreshold! };
  });
}

export function stableId(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

/** Current values of one feature in a window, as evaluation needs them. */
export type CurrentColumn =
  | { kind: 'numeric'; values: Float64Array; missing: number }
  | { kind: 'categorical'; counts: Float64Array; dictionary: readonly string[]; missing: number };

interface Raw {
  value: number;
  pValue: number | null;
}

function numericMetric(metric: string, ref: NumericSnapshot, cur: Float64Array, curBins: () => Float64Array): Raw {
  switch (metric) {
    case 'ks': {
      const r = ks(ref.sorted, cur, { sorted: true });
      return { value: r.statistic, pValue: r.pValue };
    }
    case 'wasserstein': return { value: wasserstein(ref.sorted, cur, { sorted: true }), pValue: null };
    case 'psi': return { value: psi(ref.binProportions, curBins()), pValue: null };
    case 'js': return { value: jensenShannon(ref.binProportions, curBins()), pValue: null };
    case 'hellinger': return { value: hellinger(ref.binProportions, curBins()), pValue: null };
    default: throw new Error(`metric ${metric} does not apply to numeric features`);
  }
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

/**
 * Computes the metrics of one feature. A side with no values (an empty window column, a reference
 * without rows for this feature) yields no metrics at all rather than NaN: nothing to compare is
 * not a drift, and a NaN must never reach an alert.
 */
export function evaluateFeature(
  name: string,
  ref: NumericSnapshot | CategoricalSnapshot,
  current: CurrentColumn,
  metrics: readonly string[],
  thresholds: ReadonlyMap<string, number>,
  minRows = 1,
): FeatureResult {
  const out: FeatureResult = { feature: name, kind: ref.kind === 'numeric' ? 'NUMERIC' : 'CATEGORICAL', count: 0, missing: current.missing, metrics: [] };
  let compute: (metric: string) => Raw;
  if (ref.kind === 'numeric' && current.kind === 'numeric') {
    out.count = current.values.length;
    if (current.values.length === 0 || ref.sorted.length === 0) return out;
    const cur = current.values.sort();
    let bins: Float64Array | null = null;
    const curBins = () => (bins ??= proportions(binCounts(cur, ref.edges)));
    compute = (m) => numericMetric(m, ref, cur, curBins);
  } else if (ref.kind === 'categorical' && current.kind === 'categorical') {
    let n = 0;
    for (let i = 0; i < current.counts.length; i++) n += current.counts[i];
    out.count = n;
    if (n === 0 || ref.count === 0) return out;
    const aligned = alignCategories(ref, current.counts, current.dictionary);
    compute = (m) => categoricalMetric(m, aligned.ref, aligned.cur);
  } else throw new Error(`feature ${name}: reference is ${ref.kind} but the window column is ${current.kind}`);
  for (const metric of metrics) {
    const def = getMetric(metric);
    const { value, pValue } = compute(metric);
    if (!Number.isFinite(value) || (pValue !== null && !Number.isFinite(pValue))) continue;
    const threshold = thresholds.get(metric) ?? def.defaultThreshold;
    const scored = def.direction === 'pvalue' ? pValue ?? value : value;
    const verdict = threshold !== null && out.count >= minRows;
    out.metrics.push({ metric, value, p_value: pValue, threshold, drift: verdict ? crosses(def, scored, threshold!) : false });
  }
  return out;
}

/** The number a rule compares with its threshold: the p-value for tests, the value for distances. */
export function scoredValue(m: MetricResult): number {
  return getMetric(m.metric).direction === 'pvalue' ? (m.p_value ?? m.value) : m.value;
}

export interface WindowInput {
  modelId: string;
  modelVersion: string;
  start: number;
  end: number;
  rows: number;
  features: readonly { name: string; kind: FeatureKind; metrics: readonly string[] }[];
  column: (feature: string) => CurrentColumn;
  /** Features with fewer values get metrics but no drift verdict (default 1). */
  minRows?: number;
}

/** Evaluates a closed window; a null reference gives a NO_REFERENCE result with counts only. */
export function evaluateWindow(input: WindowInput, reference: ReferenceSnapshot | null, rules: readonly Rule[]): WindowResult {
  const features: FeatureResult[] = [];
  for (const f of input.features) {
    const current = input.column(f.name);
    const snap = reference?.features.get(f.name);
    if (!reference || !snap || reference.rows === 0) {
      const count = current.kind === 'numeric' ? current.values.length : current.counts.reduce((a, b) => a + b, 0);
      features.push({ feature: f.name, kind: f.kind === 'numeric' ? 'NUMERIC' : 'CATEGORICAL', count, missing: current.missing, metrics: [] });
      continue;
    }
    const thresholds = new Map<string, number>();
    for (const r of rules) if (r.feature === f.name) thresholds.set(r.metric, r.threshold);
    features.push(evaluateFeature(f.name, snap, current, f.metrics, thresholds, input.minRows ?? 1));
  }
  return {
    result_id: stableId('result', input.modelId, input.modelVersion, input.start, input.end),
    model_id: input.modelId,
    model_version: input.modelVersion,
    window_start: input.start,
    window_end: input.end,
    rows: input.rows,
    status: reference && reference.rows > 0 ? 'OK' : 'NO_REFERENCE',
    features,
  };
}
