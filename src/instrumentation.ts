/**
 * All of driftline's instrumentation in one place: one named function per event, which logs (pino
 * child logger per component) and counts (prom-client) together. Metric names follow
 * driftline_<noun>_<unit>; counters end in _total. Label values come from the config (model ids,
 * feature names, topic names, metric names) or from fixed enumerations (reasons, statuses); the one
 * exception is the model version, which only events carry (see the README on its cardinality).
 *
 * With processor.workers > 1 each worker thread has its own registry and the supervisor merges
 * them for /metrics: counters and histograms add up; each gauge says how it merges (aggregator):
 * the latest scores, alert states and reference sizes take the largest value (every worker reads
 * the whole training topic, and a worker that handed a partition over keeps its last value),
 * readiness the smallest (ready when every worker is), open windows the sum.
 */
import pino, { type Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RejectReason } from './errors.js';
import type { DriftAlert } from './detect/alerts.js';
import type { WindowResult } from './detect/evaluate.js';

/** Paths pino blanks out wherever they appear in a log line. */
export const REDACT_PATHS = ['password', '*.password', '*.*.password', '*.*.*.password', 'ssl.key', '*.ssl.key', '*.*.ssl.key', 'authorization', '*.authorization', '*.*.authorization'];

/** The process's logger; `base` adds fields to every line (a worker thread adds its number). */
export function makeLogger(config: { logLevel: string }, base: Record<string, unknown> = {}): Logger {
  return pino({ level: config.logLevel, base: { service: 'driftline', ...base }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
}

export class Instrumentation {
  readonly log: { processor: Logger; kafka: Logger; reference: Logger; http: Logger };
  private readonly consumed: Counter<'topic' | 'model'>;
  private readonly consumedPending = new Map<string, Map<string, { n: number }>>();
  private readonly rejected: Counter<'topic' | 'reason'>;
  private readonly late: Counter<'model'>;
  private readonly score: Gauge<'model' | 'version' | 'feature' | 'metric'>;
  private readonly alertGauge: Gauge<'model' | 'version' | 'feature' | 'metric'>;
  private readonly windowsClosed: Counter<'model'>;
  private readonly noReference: Counter<'model'>;
  private readonly alertsPublished: Counter<'model' | 'status'>;
  private readonly evalSeconds: Histogram;
  private readonly referenceRowsGauge: Gauge<'model' | 'version'>;
  /** Reference row counts not yet set on the gauge, by model and version (see referenceRows). */
  private readonly referenceRowsPending = new Map<string, Map<string, number>>();
  private readonly openWindowsGauge: Gauge<'model'>;
  private readonly ready: Gauge;
  private readonly commits: Counter;
  private readonly labels: Counter<'model' | 'outcome'>;
  private readonly perfGauge: Gauge<'model' | 'version' | 'metric'>;
  /**
   * Per model, the label sets of the gauges that say a model's latest state (scores, alert states,
   * performance), so that they can be removed when the model's partition goes to another instance
   * or worker: a stale series there would stay in /metrics (and win a max over workers).
   */
  private readonly modelSeries = new Map<string, Map<string, { gauge: Gauge<string>; labels: Record<string, string> }>>();

  constructor(logger: Logger, readonly registry: Registry, opts: { defaultMetrics?: boolean } = {}) {
    this.log = {
      processor: logger.child({ component: 'processor' }),
      kafka: logger.child({ component: 'kafka' }),
      reference: logger.child({ component: 'reference' }),
      http: logger.child({ component: 'http' }),
    };
    const registers = [registry];
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'driftline_' });
    const pending = this.consumedPending;
    this.consumed = new Counter({
      name: 'driftline_events_consumed_total', help: 'Events accepted, by source topic and model.', labelNames: ['topic', 'model'], registers,
      collect() {
        for (const [topic, byModel] of pending) {
          for (const [model, cell] of byModel) {
            if (cell.n > 0) this.inc({ topic, model }, cell.n);
            cell.n = 0;
          }
        }
      },
    });
    this.rejected = new Counter({ name: 'driftline_events_rejected_total', help: 'Messages rejected to the dead-letter topic, by source topic and reason.', labelNames: ['topic', 'reason'], registers });
    this.late = new Counter({ name: 'driftline_late_events_total', help: 'Events that arrived after all their windows had closed (also counted as rejected, reason late_event).', labelNames: ['model'], registers });
    this.score = new Gauge({ name: 'driftline_feature_drift_score', help: 'Latest value of a drift metric of a feature (the p-value for tests, the distance otherwise).', labelNames: ['model', 'version', 'feature', 'metric'], aggregator: 'max', registers });
    this.alertGauge = new Gauge({ name: 'driftline_feature_drift_alert', help: '1 while an alert of this feature and metric is firing, else 0.', labelNames: ['model', 'version', 'feature', 'metric'], aggregator: 'max', registers });
    this.windowsClosed = new Counter({ name: 'driftline_windows_closed_total', help: 'Windows closed and evaluated.', labelNames: ['model'], registers });
    this.noReference = new Counter({ name: 'driftline_windows_no_reference_total', help: 'Windows closed while their model version had no training reference.', labelNames: ['model'], registers });
    this.alertsPublished = new Counter({ name: 'driftline_alerts_published_total', help: 'Alert state changes published to the alerts topic.', labelNames: ['model', 'status'], registers });
    this.evalSeconds = new Histogram({ name: 'driftline_window_evaluation_seconds', help: 'Time to evaluate one closed window (all features and metrics).', buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers });
    const rowsPending = this.referenceRowsPending;
    this.referenceRowsGauge = new Gauge({
      name: 'driftline_reference_rows', help: 'Training rows in the reference of a model version.', labelNames: ['model', 'version'], aggregator: 'max', registers,
      collect() {
        for (const [model, byVersion] of rowsPending) for (const [version, rows] of byVersion) this.set({ model, version }, rows);
        rowsPending.clear();
      },
    });
    this.openWindowsGauge = new Gauge({ name: 'driftline_open_windows', help: 'Windows open in memory.', labelNames: ['model'], aggregator: 'sum', registers });
    this.ready = new Gauge({ name: 'driftline_ready', help: '1 when the processor is connected, bootstrapped and consuming (with several workers: all of them).', aggregator: 'min', registers });
    this.labels = new Counter({ name: 'driftline_label_joins_total', help: 'Label join outcomes: matched (a label counted for its prediction), expired (a label after its horizon), unmatched (a label whose prediction never came, dropped beyond maxPending), prediction_evicted and prediction_expired (predictions that got no label).', labelNames: ['model', 'outcome'], registers });
    this.perfGauge = new Gauge({ name: 'driftline_model_performance', help: 'Latest performance metric of a model version from delayed labels (accuracy, precision, recall, f1, auc, mae, rmse).', labelNames: ['model', 'version', 'metric'], aggregator: 'max', registers });
    this.commits = new Counter({ name: 'driftline_offset_commits_total', help: 'Offset commits to the inference consumer group.', registers });
  }

  /**
   * Per event, so it only adds to a plain number; the counter takes the sum when Prometheus (or a
   * test) reads it (prom-client's collect hook), instead of hashing labels for every event.
   */
  eventConsumed(topic: string, model: string): void {
    let byModel = this.consumedPending.get(topic);
    if (!byModel) this.consumedPending.set(topic, (byModel = new Map()));
    const cell = byModel.get(model);
    if (cell) cell.n++;
    else byModel.set(model, { n: 1 });
  }

  eventRejected(topic: string, reason: RejectReason, message: string, where: { partition: number; offset: string }): void {
    this.rejected.inc({ topic, reason });
    this.log.processor.debug({ topic, reason, ...where }, `message rejected to the dead-letter topic: ${message}`);
  }

  lateEvent(model: string): void {
    this.late.inc({ model });
  }

  windowClosed(result: WindowResult, seconds: number): void {
    this.windowsClosed.inc({ model: result.model_id });
    this.evalSeconds.observe(seconds);
    if (result.status === 'NO_REFERENCE') this.noReference.inc({ model: result.model_id });
    for (const f of result.features) {
      for (const m of f.metrics) {
        const labels = { model: result.model_id, version: result.model_version, feature: f.feature, metric: m.metric };
        this.score.set(labels, m.p_value ?? m.value);
        this.track(this.score, 'score', labels);
      }
    }
    const drifted = result.features.filter((f) => f.metrics.some((m) => m.drift)).map((f) => f.feature);
    this.log.processor.info(
      { model: result.model_id, version: result.model_version, windowStart: new Date(result.window_start).toISOString(), windowEnd: new Date(result.window_end).toISOString(), rows: result.rows, status: result.status, drifted, evaluationMs: Math.round(seconds * 1e4) / 10 },
      `window closed: ${result.model_id} ${result.model_version} ${new Date(result.window_start).toISOString()}, ${result.rows} rows, ${result.status === 'OK' ? `${drifted.length} feature(s) over a threshold` : 'no training reference yet'}`,
    );
  }

  alertPublished(alert: DriftAlert): void {
    this.alertsPublished.inc({ model: alert.model_id, status: alert.status });
    this.setAlertState(alert);
    this.log.processor.warn(
      { alertId: alert.alert_id, status: alert.status, model: alert.model_id, version: alert.model_version, feature: alert.feature, metric: alert.metric, value: alert.value, threshold: alert.threshold, windowStart: new Date(alert.window_start).toISOString() },
      `drift alert ${alert.status}: ${alert.model_id} ${alert.model_version} feature ${alert.feature}, ${alert.metric} = ${alert.value.toPrecision(4)} (threshold ${alert.threshold})`,
    );
  }

  /**
   * An alert state read back from the alerts topic when a model's partition is taken over (after a
   * restart or a rebalance): its gauge says so at once, before the next state change.
   */
  alertRestored(alert: Pick<DriftAlert, 'status' | 'model_id' | 'model_version' | 'feature' | 'metric'>): void {
    this.setAlertState(alert);
  }

  /** The model's partition went elsewhere: its score, alert and performance series are removed. */
  modelReleased(model: string): void {
    const series = this.modelSeries.get(model);
    if (!series) return;
    for (const { gauge, labels } of series.values()) gauge.remove(labels);
    this.modelSeries.delete(model);
    this.log.processor.info({ model, series: series.size }, `model ${model} moved to another instance or worker: its ${series.size} score, alert and performance series removed here`);
  }

  private setAlertState(alert: Pick<DriftAlert, 'status' | 'model_id' | 'model_version' | 'feature' | 'metric'>): void {
    const labels = { model: alert.model_id, version: alert.model_version, feature: alert.feature, metric: alert.metric };
    this.alertGauge.set(labels, alert.status === 'FIRING' ? 1 : 0);
    this.track(this.alertGauge, 'alert', labels);
  }

  private track(gauge: Gauge<string>, name: string, labels: Record<string, string>): void {
    let series = this.modelSeries.get(labels.model);
    if (!series) this.modelSeries.set(labels.model, (series = new Map()));
    const key = `${name}\u0000${labels.version}\u0000${labels.feature ?? ''}\u0000${labels.metric}`;
    if (!series.has(key)) series.set(key, { gauge, labels });
  }

  /**
   * Per training event, so it only keeps the latest count; the gauge is set when it is read
   * (collect), instead of hashing labels for every training row.
   */
  referenceRows(model: string, version: string, rows: number): void {
    let byVersion = this.referenceRowsPending.get(model);
    if (!byVersion) this.referenceRowsPending.set(model, (byVersion = new Map()));
    byVersion.set(version, rows);
  }

  openWindows(model: string, n: number): void {
    this.openWindowsGauge.set({ model }, n);
  }

  readiness(ready: boolean, why: string): void {
    this.ready.set(ready ? 1 : 0);
    this.log.kafka.info({ ready }, ready ? 'ready: consuming' : `not ready: ${why}`);
  }

  labelDropped(model: string, outcome: 'matched' | 'expired' | 'unmatched' | 'prediction_evicted' | 'prediction_expired'): void {
    this.labels.inc({ model, outcome });
  }

  performancePublished(model: string, version: string, windowStart: number, labeled: number, metrics: { metric: string; value: number }[]): void {
    for (const m of metrics) {
      const labels = { model, version, metric: m.metric };
      this.perfGauge.set(labels, m.value);
      this.track(this.perfGauge, 'performance', labels);
    }
    this.log.processor.info({ model, version, windowStart: new Date(windowStart).toISOString(), labeled, metrics }, `performance of ${model} ${version} window ${new Date(windowStart).toISOString()}: ${metrics.map((m) => `${m.metric} ${m.value.toPrecision(3)}`).join(', ') || 'no labels'} (${labeled} labeled)`);
  }

  offsetsCommitted(partitions: number): void {
    this.commits.inc();
    this.log.kafka.debug({ partitions }, 'offsets committed');
  }
}
