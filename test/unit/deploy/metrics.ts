/**
 * Helpers for the deployment tests: the metric names driftline really exports (read from a live
 * Instrumentation and its prom-client registry, default metrics included), the kafka-exporter
 * metrics the deployment uses, and a small PromQL scanner that finds metric names and labels.
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import { Instrumentation } from '../../../src/instrumentation.js';

export interface KnownMetric {
  labels: Set<string>;
  source: 'driftline' | 'kafka-exporter' | 'prometheus';
}

/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = ['job', 'instance'];

/**
 * kafka-exporter (danielqsj/kafka-exporter) series the deployment may use; names and labels as
 * documented in its README.
 */
const KAFKA_EXPORTER: Record<string, string[]> = {
  kafka_brokers: [],
  kafka_topic_partitions: ['topic'],
  kafka_topic_partition_current_offset: ['topic', 'partition'],
  kafka_topic_partition_oldest_offset: ['topic', 'partition'],
  kafka_consumergroup_current_offset: ['consumergroup', 'topic', 'partition'],
  kafka_consumergroup_current_offset_sum: ['consumergroup', 'topic'],
  kafka_consumergroup_lag: ['consumergroup', 'topic', 'partition'],
  kafka_consumergroup_lag_sum: ['consumergroup', 'topic'],
  kafka_consumergroup_members: ['consumergroup'],
};

export function knownMetrics(): Map<string, KnownMetric> {
  const registry = new Registry();
  new Instrumentation(pino({ level: 'silent' }), registry);
  const out = new Map<string, KnownMetric>();
  for (const m of registry.getMetricsAsArray()) {
    const metric = m as unknown as { name: string; labelNames?: string[]; constructor: { name: string } };
    const labels = new Set([...(metric.labelNames ?? []), ...TARGET_LABELS]);
    out.set(metric.name, { labels, source: 'driftline' });
    if (metric.constructor.name === 'Histogram') {
      out.set(`${metric.name}_bucket`, { labels: new Set([...labels, 'le']), source: 'driftline' });
      out.set(`${metric.name}_sum`, { labels, source: 'driftline' });
      out.set(`${metric.name}_count`, { labels, source: 'driftline' });
    }
  }
  // prom-client default metrics that are labelled at collection time (e.g. nodejs_gc_duration_seconds{kind}).
  for (const [name, m] of out) if (name.startsWith('driftline_nodejs_') || name.startsWith('driftline_process_')) m.labels.add('kind').add('type').add('space').add('version').add('major').add('minor').add('patch');
  for (const [name, labels] of Object.entries(KAFKA_EXPORTER)) out.set(name, { labels: new Set([...labels, ...TARGET_LABELS]), source: 'kafka-exporter' });
  out.set('up', { labels: new Set(TARGET_LABELS), source: 'prometheus' });
  return out;
}

// Keywords and aggregation operators (which may be followed by a grouping clause rather than '(').
const KEYWORDS = new Set(['sum', 'min', 'max', 'avg', 'count', 'group', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'limitk', 'limit_ratio', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

export interface PromqlUse {
  metric: string;
  /** Labels in the metric's own selector, e.g. {reason="x"}. */
  selectorLabels: string[];
}

/** Metric names (with the labels of their selectors) and the grouping labels of a PromQL expression. */
export function scanPromql(expr: string): { uses: PromqlUse[]; groupingLabels: string[] } {
  let s = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  s = s.replace(/\[[^\]]*\]/g, ' ');
  const groupingLabels: string[] = [];
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_m, kw: string, list: string) => {
    groupingLabels.push(...list.split(',').map((x) => x.trim()).filter(Boolean));
    return ` ${kw} `;
  });
  const uses: PromqlUse[] = [];
  const re = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?\s*(\()?/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    const [, name, selector, call] = m;
    if (call && !selector) continue; // a function
    const prev = s[m.index - 1];
    if (prev !== undefined && /[0-9.$]/.test(prev)) continue; // 1e-9, $var
    if (KEYWORDS.has(name.toLowerCase())) continue;
    const selectorLabels = selector ? [...selector.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((x) => x[1]) : [];
    uses.push({ metric: name, selectorLabels });
  }
  return { uses, groupingLabels };
}

/** Problems with an expression: unknown metrics, unknown labels, unbalanced brackets. Empty when fine. */
export function checkPromql(expr: string, known: Map<string, KnownMetric>): string[] {
  const problems: string[] = [];
  let depth = 0;
  for (const c of expr.replace(/"(?:[^"\\]|\\.)*"/g, '')) {
    if ('({['.includes(c)) depth++;
    if (')}]'.includes(c)) depth--;
    if (depth < 0) break;
  }
  if (depth !== 0) problems.push(`unbalanced brackets in: ${expr}`);
  const { uses, groupingLabels } = scanPromql(expr);
  if (uses.length === 0) problems.push(`no metric in: ${expr}`);
  const labelsInExpr = new Set<string>(['le']);
  for (const u of uses) {
    const k = known.get(u.metric);
    if (!k) {
      problems.push(`unknown metric ${u.metric} in: ${expr}`);
      continue;
    }
    for (const l of k.labels) labelsInExpr.add(l);
    for (const l of u.selectorLabels) if (!k.labels.has(l)) problems.push(`metric ${u.metric} has no label ${l} (in: ${expr})`);
  }
  for (const l of groupingLabels) if (!labelsInExpr.has(l)) problems.push(`grouping label ${l} is on none of the metrics of: ${expr}`);
  return problems;
}
