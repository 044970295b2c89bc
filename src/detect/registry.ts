/**
 * The one registry of drift metrics. Each entry names the feature kinds it applies to, its default
 * threshold and how the threshold reads: a p-value alerts when it falls below the threshold, a
 * distance alerts when it reaches the threshold or more. The computations live in src/stats.
 */
import { DriftlineError } from '../errors.js';

export type FeatureKind = 'numeric' | 'categorical';
export type Direction = 'pvalue' | 'distance';
/** What a metric watches: the shape of the distribution, or the health of the data itself. */
export type Signal = 'distribution' | 'quality';

export interface MetricDef {
  readonly name: string;
  readonly kinds: readonly FeatureKind[];
  /** null: reported in every window result, but alerts only under a rule that sets a threshold. */
  readonly defaultThreshold: number | null;
  readonly direction: Direction;
  readonly signal: Signal;
  readonly description: string;
}

const DEFS: readonly MetricDef[] = [
  { name: 'ks', kinds: ['numeric'], defaultThreshold: 0.05, direction: 'pvalue', signal: 'distribution', description: 'two-sample Kolmogorov-Smirnov test (scipy.stats.ks_2samp)' },
  { name: 'wasserstein', kinds: ['numeric'], defaultThreshold: null, direction: 'distance', signal: 'distribution', description: 'first Wasserstein distance, in the feature\'s own units (scipy.stats.wasserstein_distance)' },
  { name: 'psi', kinds: ['numeric', 'categorical'], defaultThreshold: 0.25, direction: 'distance', signal: 'distribution', description: 'population stability index on reference-frozen bins' },
  { name: 'js', kinds: ['numeric', 'categorical'], defaultThreshold: 0.1, direction: 'distance', signal: 'distribution', description: 'Jensen-Shannon distance, base 2 (scipy.spatial.distance.jensenshannon)' },
  { name: 'hellinger', kinds: ['numeric', 'categorical'], defaultThreshold: 0.1, direction: 'distance', signal: 'distribution', description: 'Hellinger distance on reference-frozen bins' },
  { name: 'chi2', kinds: ['categorical'], defaultThreshold: 0.05, direction: 'pvalue', signal: 'distribution', description: 'chi-square test of the 2 x k contingency table (scipy.stats.chi2_contingency, no correction)' },
  { name: 'linf', kinds: ['categorical'], defaultThreshold: 0.1, direction: 'distance', signal: 'distribution', description: 'L-infinity distance of category proportions (TFDV)' },
  { name: 'missing_rate', kinds: ['numeric', 'categorical'], defaultThreshold: 0.2, direction: 'distance', signal: 'quality', description: 'share of the window\'s events in which the feature is missing (null, absent or NaN)' },
  { name: 'out_of_range', kinds: ['numeric'], defaultThreshold: 0.05, direction: 'distance', signal: 'quality', description: 'share of the window\'s values outside the training [min, max]' },
  { name: 'unseen_categories', kinds: ['categorical'], defaultThreshold: 0.05, direction: 'distance', signal: 'quality', description: 'share of the window\'s values in categories never seen in the reference' },
  { name: 'type_mismatch_rate', kinds: ['numeric', 'categorical'], defaultThreshold: 0.01, direction: 'distance', signal: 'quality', description: 'share of the window\'s events whose value had the wrong type (models with onTypeMismatch: missing)' },
];

export const METRICS: ReadonlyMap<string, MetricDef> = new Map(DEFS.map((d) => [d.name, Object.freeze(d)]));
export const METRIC_NAMES: readonly string[] = DEFS.map((d) => d.name);

export class UnknownMetricError extends DriftlineError {
  constructor(name: string) {
    super('UNKNOWN_METRIC', `unknown metric "${name}"; valid metrics are: ${METRIC_NAMES.join(', ')}`);
  }
}

export function getMetric(name: string): MetricDef {
  const def = METRICS.get(name);
  if (!def) throw new UnknownMetricError(name);
  return def;
}

export function metricsForKind(kind: FeatureKind): MetricDef[] {
  return DEFS.filter((d) => d.kinds.includes(kind));
}

/**
 * The metrics computed for a feature when none are named: all that apply to its kind, except
 * type_mismatch_rate unless wrong types count as missing (otherwise such events are rejected and
 * the rate is always 0).
 */
export function defaultMetricNames(kind: FeatureKind, opts: { typeMismatch?: boolean } = {}): string[] {
  return metricsForKind(kind).filter((d) => opts.typeMismatch || d.name !== 'type_mismatch_rate').map((d) => d.name);
}

/**
 * Rules used when a model names none. PSI >= 0.25 is the common "significant shift" band
 * (0.1-0.25 is "moderate"): it alerts on shifts worth acting on and stays quiet on the sampling
 * noise of large windows, where a KS p-value flags even negligible shifts. L-infinity >= 0.1 is the
 * usual TFDV bound for categorical skew.
 */
export const DEFAULT_RULE_METRIC: Record<FeatureKind, string> = { numeric: 'psi', categorical: 'linf' };

/**
 * Data-quality rules used when a model names none: a feature missing in more than 20% of a
 * window's events, and categorical values never seen in training in more than 5% of them.
 */
export const DEFAULT_QUALITY_RULES: Record<FeatureKind, readonly string[]> = { numeric: ['missing_rate'], categorical: ['missing_rate', 'unseen_categories'] };

/** Whether a value crosses a threshold, read in the metric's direction. NaN never alerts. */
export function crosses(def: MetricDef, value: number, threshold: number): boolean {
  if (Number.isNaN(value)) return false;
  return def.direction === 'pvalue' ? value < threshold : value >= threshold;
}

/** Performance metrics from delayed labels (their own family: alerts of kind PERFORMANCE). Higher is better for all but the regression errors. */
export const PERFORMANCE_METRICS = ['accuracy', 'precision', 'recall', 'f1', 'auc', 'mae', 'rmse'] as const;
export type PerformanceMetric = (typeof PERFORMANCE_METRICS)[number];
export const LOWER_IS_BETTER: ReadonlySet<string> = new Set(['mae', 'rmse']);
