/**
 * The config file: one YAML document validated once at start against one zod schema that also
 * holds the defaults. Unknown keys and wrong types stop start-up with the path of the bad key.
 * Durations are written with their unit in the value (`5s`, `1h`, `1M`) and held internally in
 * fields that carry the unit in their name (`graceMs`).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { LOWER_IS_BETTER, METRICS, METRIC_NAMES, PERFORMANCE_METRICS, defaultMetricNames, type FeatureKind, type PerformanceMetric } from './detect/registry.js';
import { parseDurationMs, windowSpecFromText, type WindowSpec } from './window/spec.js';

const duration = z.string().refine((s) => {
  try { parseDurationMs(s); return true; } catch { return false; }
}, { message: 'expected a duration with a unit: ms, s, m, h, d or w (e.g. 5s, 15m, 1h)' });

const name = z.string().min(1).max(200);

const sasl = z.strictObject({
  mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
  username: z.string().min(1),
  /** Read from this environment variable ... */
  passwordEnv: z.string().optional(),
  /** ... or from this file; never written in the config itself. */
  passwordFile: z.string().optional(),
}).refine((s) => (s.passwordEnv ? 1 : 0) + (s.passwordFile ? 1 : 0) === 1, { message: 'set exactly one of passwordEnv or passwordFile' });

const ssl = z.strictObject({
  caFile: z.string().optional(),
  certFile: z.string().optional(),
  keyFile: z.string().optional(),
  rejectUnauthorized: z.boolean().default(true),
});

const feature = z.strictObject({
  name,
  type: z.enum(['numeric', 'categorical']),
  /** Only for numeric features: bins of the frozen reference histogram for psi, js and hellinger. */
  bins: z.number().int().min(2).max(1000).optional(),
});

const rule = z.strictObject({
  feature: name,
  metric: z.string().refine((m) => METRICS.has(m), { message: `unknown metric; valid metrics are: ${METRIC_NAMES.join(', ')}` }),
  threshold: z.number().finite(),
});

const windowText = z.strictObject({
  size: z.string().min(1),
  advance: duration.optional(),
  grace: duration.default('0s'),
  idle: duration.default('30s'),
});

const model = z.strictObject({
  id: name,
  window: windowText,
  features: z.array(feature).min(1),
  /** Metrics computed in every window (all that apply to each feature's kind when absent). */
  metrics: z.array(z.string().refine((m) => METRICS.has(m), { message: `unknown metric; valid metrics are: ${METRIC_NAMES.join(', ')}` })).optional(),
  rules: z.array(rule).optional(),
  /** A feature with fewer values than this in a window gets metrics but no verdict: no drift flag, no alert change. */
  minRows: z.number().int().min(1).default(30),
  /** The model's prediction, monitored like a feature (reference: the training labels, or serving windows). */
  prediction: z.strictObject({ type: z.enum(['numeric', 'categorical']), name: name.default('prediction'), bins: z.number().int().min(2).max(1000).optional() }).optional(),
  /** What each window is compared with: the training data (skew), or earlier serving windows (drift). */
  reference: z.strictObject({
    source: z.enum(['training', 'baseline', 'previous']).default('training'),
    /** With source baseline: how many first serving windows of a version make its reference. */
    windows: z.number().int().min(1).default(1),
  }).prefault({}),
  /** A feature value of the wrong type: reject the event (dead letter), or count it as missing and as a type mismatch. */
  onTypeMismatch: z.enum(['reject', 'missing']).default('reject'),
  /** Volume: events per window against the median of the model's recent windows. */
  volume: z.strictObject({ windows: z.number().int().min(3).default(8), foldChange: z.number().gt(1).default(5) }).prefault({}),
  /** Dataset-level verdict: the share of drifted features at which the whole window counts as drifted. */
  datasetDrift: z.strictObject({ share: z.number().gt(0).max(1).default(0.5) }).prefault({}),
  /** Multiple-testing correction of p-value metrics across a window's features. */
  correction: z.enum(['none', 'bonferroni', 'bh']).default('none'),
  /** Performance from delayed labels, joined to predictions by event_id. */
  performance: z.strictObject({
    task: z.enum(['classification', 'regression']),
    /** Classification: the positive class, for precision, recall, F1 and ROC AUC (scores >= 0.5 predict it). */
    positiveClass: z.string().optional(),
    /** Labels for a window count until its end plus this (event time). */
    horizon: duration.default('1d'),
    /** Predictions waiting for their label, per model; the oldest are dropped (and counted) beyond it. */
    maxPending: z.number().int().positive().default(100_000),
    rules: z.array(z.strictObject({
      metric: z.enum(PERFORMANCE_METRICS),
      threshold: z.number().finite().optional(),
      /** Alternatively: the figure measured at training time and the largest acceptable drop from it. */
      trainingValue: z.number().finite().optional(),
      maxDrop: z.number().nonnegative().optional(),
    }).refine((r) => (r.threshold !== undefined) !== (r.trainingValue !== undefined && r.maxDrop !== undefined), { message: 'set either threshold, or trainingValue and maxDrop' })).default([]),
  }).optional(),
});

export const configSchema = z.strictObject({
  kafka: z.strictObject({
    brokers: z.array(z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port')).min(1).default(['127.0.0.1:9092']),
    clientId: name.default('driftline'),
    groupId: name.default('driftline'),
    ssl: ssl.optional(),
    sasl: sasl.optional(),
    connectionTimeoutMs: z.number().int().positive().default(3000),
    /** Results and alerts in one Kafka transaction with the offsets (see the README). */
    transactions: z.boolean().default(false),
    /**
     * Bytes fetched at most per inference partition and request (kafkajs' default, 1 MiB). Larger
     * fetches mean fewer, bigger batches in memory at once; in the streaming bench 8 MiB was not
     * measurably faster than 1 MiB (bench/RESULTS.md).
     */
    fetchMaxBytesPerPartition: z.number().int().min(1024).default(1024 * 1024),
  }).prefault({}),
  topics: z.strictObject({
    inference: name.default('driftline.inference'),
    training: name.default('driftline.training'),
    alerts: name.default('driftline.alerts'),
    results: name.default('driftline.window-results'),
    deadLetter: name.default('driftline.dead-letter'),
    /** Delayed ground truth (LabelEvent), keyed by model_id, as many partitions as the inference topic. */
    labels: name.default('driftline.labels'),
    /** PerformanceResult per window of models with a performance section. */
    performance: name.default('driftline.performance-results'),
  }).prefault({}),
  metrics: z.strictObject({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(9464),
  }).prefault({}),
  processor: z.strictObject({
    /** Larger message bodies are rejected to the dead-letter topic (reason oversized). */
    maxMessageBytes: z.number().int().positive().default(1_048_576),
    /** Per model version and feature: training rows kept as a reservoir sample (counts stay exact). */
    referenceMaxRows: z.number().int().positive().default(100_000),
    /** Bins of the frozen reference histogram of numeric features (psi, js, hellinger). */
    bins: z.number().int().min(2).max(1000).default(10),
    /** How often idle models are checked and offsets committed. */
    tickIntervalMs: z.number().int().positive().default(1000),
    /**
     * exact: every value of a window is kept (Arrow columns); sketch: bounded memory, a KLL
     * quantile sketch per numeric feature and window (at most ~27 KiB with k = 1024) and category
     * counts, with approximate ks, wasserstein, psi, js and hellinger (see the README).
     */
    mode: z.enum(['exact', 'sketch']).default('exact'),
    sketchK: z.number().int().min(8).max(2600).default(1024),
    /**
     * Worker threads, each a member of the consumer group with its own share of the inference
     * partitions (one process then uses up to this many cores). 1: everything on the main thread.
     */
    workers: z.number().int().min(1).max(64).default(1),
  }).prefault({}),
  codec: z.strictObject({
    /** Writer schemas of Confluent-framed bodies, by schema id. */
    writerSchemas: z.array(z.strictObject({ id: z.number().int().min(0), file: z.string() })).default([]),
  }).prefault({}),
  /** A Confluent-compatible schema registry: writer schemas of framed bodies whose id is not in codec.writerSchemas are fetched from it. */
  schemaRegistry: z.strictObject({
    url: z.url({ protocol: /^https?$/ }),
    /** Basic auth: the user name and password are read from these environment variables (set both or neither). */
    usernameEnv: z.string().min(1).optional(),
    passwordEnv: z.string().min(1).optional(),
    timeoutMs: z.number().int().positive().default(10_000),
  }).refine((r) => !r.usernameEnv === !r.passwordEnv, { message: 'set both usernameEnv and passwordEnv, or neither' }).optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  models: z.array(model).min(1),
});

export type RawConfig = z.infer<typeof configSchema>;

export interface FeatureConfig {
  readonly name: string;
  readonly kind: FeatureKind;
  readonly bins: number;
  /** `prediction`: the event's prediction (serving) or label (training), not a map entry. */
  readonly role: 'feature' | 'prediction';
}
export interface RuleConfig {
  readonly feature: string;
  readonly metric: string;
  readonly threshold: number;
}
export interface ModelConfig {
  readonly id: string;
  readonly window: WindowSpec;
  readonly features: readonly FeatureConfig[];
  /** Metric names computed per feature, in registry order. */
  readonly metricsByFeature: ReadonlyMap<string, readonly string[]>;
  /** Explicit rules, or null to use the defaults. */
  readonly rules: readonly RuleConfig[] | null;
  /** Features with fewer values in a window get metrics but no verdict. */
  readonly minRows: number;
  readonly reference: { readonly source: 'training' | 'baseline' | 'previous'; readonly windows: number };
  readonly onTypeMismatch: 'reject' | 'missing';
  readonly volume: { readonly windows: number; readonly foldChange: number };
  readonly datasetDrift: { readonly share: number };
  readonly correction: 'none' | 'bonferroni' | 'bh';
  readonly performance: PerformanceConfig | null;
}
export interface PerformanceConfig {
  readonly task: 'classification' | 'regression';
  readonly positiveClass: string | null;
  readonly horizonMs: number;
  readonly maxPending: number;
  /** Alert when a metric falls below (errors: rises above) its threshold. */
  readonly rules: readonly { metric: PerformanceMetric; threshold: number }[];
}
export interface Config extends Omit<RawConfig, 'models'> {
  readonly models: readonly ModelConfig[];
}

function zodPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

/** Validates a parsed config object; throws ConfigError naming the first bad key. */
export function parseConfig(input: unknown, env: NodeJS.ProcessEnv = {}): Config {
  const withEnv = applyEnv(input, env);
  const parsed = configSchema.safeParse(withEnv);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const extra = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
    const path = zodPath(issue.path);
    const reason = issue.code === 'unrecognized_keys' ? `unknown key${issue.keys.length > 1 ? 's' : ''}${extra}` : issue.message;
    const key = issue.code === 'unrecognized_keys' ? zodPath([...issue.path, issue.keys[0]]) : path;
    throw new ConfigError(key, reason);
  }
  const raw = parsed.data;
  const seen = new Set<string>();
  const models = raw.models.map((m, i): ModelConfig => {
    if (seen.has(m.id)) throw new ConfigError(`models[${i}].id`, `model id "${m.id}" is configured twice`);
    seen.add(m.id);
    let window: WindowSpec;
    try {
      window = windowSpecFromText(m.window);
    } catch (err) {
      throw new ConfigError(`models[${i}].window`, (err as Error).message);
    }
    const features = m.features.map((f, j): FeatureConfig => {
      if (f.bins !== undefined && f.type !== 'numeric') throw new ConfigError(`models[${i}].features[${j}].bins`, 'bins apply to numeric features only');
      return { name: f.name, kind: f.type, bins: f.bins ?? raw.processor.bins, role: 'feature' as const };
    });
    if (m.prediction) {
      if (features.some((f) => f.name === m.prediction!.name)) throw new ConfigError(`models[${i}].prediction.name`, `"${m.prediction.name}" is also a feature's name; give the prediction another name`);
      features.push({ name: m.prediction.name, kind: m.prediction.type, bins: m.prediction.bins ?? raw.processor.bins, role: 'prediction' });
    }
    const names = new Set<string>();
    features.forEach((f, j) => {
      if (names.has(f.name)) throw new ConfigError(`models[${i}].features[${j}].name`, `feature "${f.name}" is listed twice`);
      names.add(f.name);
    });
    const metricsByFeature = new Map<string, string[]>();
    for (const f of features) {
      const wanted = m.metrics ?? defaultMetricNames(f.kind, { typeMismatch: m.onTypeMismatch === 'missing' });
      metricsByFeature.set(f.name, wanted.filter((name) => METRICS.get(name)!.kinds.includes(f.kind)));
    }
    (m.rules ?? []).forEach((r, j) => {
      const f = features.find((x) => x.name === r.feature);
      if (!f) throw new ConfigError(`models[${i}].rules[${j}].feature`, `no feature "${r.feature}" in this model; its features are: ${features.map((x) => x.name).join(', ')}`);
      const def = METRICS.get(r.metric)!;
      if (!def.kinds.includes(f.kind)) throw new ConfigError(`models[${i}].rules[${j}].metric`, `metric "${r.metric}" does not apply to ${f.kind} feature "${f.name}"; it applies to ${def.kinds.join(' and ')} features`);
      const list = metricsByFeature.get(f.name)!;
      if (!list.includes(r.metric)) metricsByFeature.set(f.name, [...list, r.metric]);
    });
    let performance: PerformanceConfig | null = null;
    if (m.performance) {
      const p = m.performance;
      const classification = ['accuracy', 'precision', 'recall', 'f1', 'auc'];
      p.rules.forEach((r, j) => {
        const fits = p.task === 'classification' ? classification.includes(r.metric) : !classification.includes(r.metric);
        if (!fits) throw new ConfigError(`models[${i}].performance.rules[${j}].metric`, `${r.metric} is not a ${p.task} metric`);
        if (['precision', 'recall', 'f1', 'auc'].includes(r.metric) && !p.positiveClass) throw new ConfigError(`models[${i}].performance.positiveClass`, `${r.metric} needs the positive class`);
      });
      performance = {
        task: p.task,
        positiveClass: p.positiveClass ?? null,
        horizonMs: parseDurationMs(p.horizon),
        maxPending: p.maxPending,
        rules: p.rules.map((r) => ({ metric: r.metric, threshold: r.threshold ?? (LOWER_IS_BETTER.has(r.metric) ? r.trainingValue! + r.maxDrop! : r.trainingValue! - r.maxDrop!) })),
      };
    }
    return { id: m.id, window, features, metricsByFeature, rules: m.rules ?? null, minRows: m.minRows, reference: m.reference, onTypeMismatch: m.onTypeMismatch, volume: m.volume, datasetDrift: m.datasetDrift, correction: m.correction, performance };
  });
  return { ...raw, models };
}

/** Environment overrides: DRIFTLINE_KAFKA_BROKERS (or KAFKA_BROKERS), DRIFTLINE_METRICS_HOST, DRIFTLINE_METRICS_PORT. */
function applyEnv(input: unknown, env: NodeJS.ProcessEnv): unknown {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return input;
  const out = structuredClone(input) as Record<string, Record<string, unknown>>;
  const brokers = env.DRIFTLINE_KAFKA_BROKERS ?? env.KAFKA_BROKERS;
  if (brokers) out.kafka = { ...(out.kafka ?? {}), brokers: brokers.split(',').map((s) => s.trim()).filter(Boolean) };
  if (env.DRIFTLINE_METRICS_HOST) out.metrics = { ...(out.metrics ?? {}), host: env.DRIFTLINE_METRICS_HOST };
  if (env.DRIFTLINE_METRICS_PORT) {
    const port = Number(env.DRIFTLINE_METRICS_PORT);
    if (!Number.isInteger(port)) throw new ConfigError('metrics.port', `DRIFTLINE_METRICS_PORT="${env.DRIFTLINE_METRICS_PORT}" is not a port number`);
    out.metrics = { ...(out.metrics ?? {}), port };
  }
  return out;
}

/** Reads, parses and validates a YAML config file. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('', `cannot read config file ${file}: ${(err as Error).message}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError('', `${file} is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  try {
    return parseConfig(doc, env);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.path, `${err.message.replace(/^config: /, '').replace(`${err.path}: `, '')} (in ${file})`);
    throw err;
  }
}
