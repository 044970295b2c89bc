/**
 * Model performance from delayed labels: the accumulators of one window's labeled predictions,
 * and the metrics computed from them when the window's label horizon has passed.
 */
import { rocAuc } from '../stats/index.js';
import type { PerformanceConfig } from '../config.js';
import { LOWER_IS_BETTER } from './registry.js';
import { stableId } from './evaluate.js';

export interface PerformanceMetricResult {
  metric: string;
  value: number;
  threshold: number | null;
  breach: boolean;
}
export interface PerformanceResult {
  result_id: string;
  model_id: string;
  model_version: string;
  window_start: number;
  window_end: number;
  task: 'CLASSIFICATION' | 'REGRESSION';
  predictions: number;
  labeled: number;
  metrics: PerformanceMetricResult[];
}

/** A prediction or label value: a number, a class name, or nothing. */
export type Target = number | string | null;

export class PerformanceWindow {
  predictions = 0;
  labeled = 0;
  // classification
  correct = 0;
  tp = 0;
  fp = 0;
  fn = 0;
  scores: number[] = [];
  positives: number[] = [];
  // regression
  absErr = 0;
  sqErr = 0;
  constructor(readonly version: string, readonly start: number, readonly end: number) {}

  /** Adds one (prediction, label) pair; pairs that cannot be scored (a missing side) are not counted. */
  add(cfg: PerformanceConfig, prediction: Target, label: Target): void {
    if (prediction === null || label === null) return;
    if (cfg.task === 'regression') {
      if (typeof prediction !== 'number' || typeof label !== 'number') return;
      const e = prediction - label;
      this.absErr += Math.abs(e);
      this.sqErr += e * e;
      this.labeled++;
      return;
    }
    const pos = cfg.positiveClass;
    const labelClass = typeof label === 'number' ? String(label) : label;
    let predictedClass: string;
    if (typeof prediction === 'number' && pos !== null) {
      // A score: the positive class at 0.5 and above; kept for ROC AUC.
      predictedClass = prediction >= 0.5 ? pos : `not ${pos}`;
      this.scores.push(prediction);
      this.positives.push(labelClass === pos ? 1 : 0);
    } else predictedClass = String(prediction);
    this.labeled++;
    const labelPositive = pos !== null && labelClass === pos;
    const predictedPositive = pos !== null && predictedClass === pos;
    if (pos !== null) {
      if (predictedPositive && labelPositive) this.tp++;
      else if (predictedPositive) this.fp++;
      else if (labelPositive) this.fn++;
      if (predictedPositive === labelPositive) this.correct++;
    } else if (predictedClass === labelClass) this.correct++;
  }

  /** The metrics of the window; metrics that are undefined here (no positives, say) are left out. */
  result(modelId: string, cfg: PerformanceConfig, minLabeled: number): PerformanceResult {
    const metrics: PerformanceMetricResult[] = [];
    const values = new Map<string, number>();
    if (this.labeled > 0) {
      if (cfg.task === 'regression') {
        values.set('mae', this.absErr / this.labeled);
        values.set('rmse', Math.sqrt(this.sqErr / this.labeled));
      } else {
        values.set('accuracy', this.correct / this.labeled);
        if (cfg.positiveClass !== null) {
          if (this.tp + this.fp > 0) values.set('precision', this.tp / (this.tp + this.fp));
          if (this.tp + this.fn > 0) values.set('recall', this.tp / (this.tp + this.fn));
          if (2 * this.tp + this.fp + this.fn > 0) values.set('f1', (2 * this.tp) / (2 * this.tp + this.fp + this.fn));
          const npos = this.positives.reduce((a, b) => a + b, 0);
          if (npos > 0 && npos < this.positives.length) values.set('auc', rocAuc(Float64Array.from(this.scores), Uint8Array.from(this.positives)));
        }
      }
    }
    for (const [metric, value] of values) {
      const rule = cfg.rules.find((r) => r.metric === metric);
      const threshold = rule ? rule.threshold : null;
      const breach = threshold !== null && this.labeled >= minLabeled && (LOWER_IS_BETTER.has(metric) ? value > threshold : value < threshold);
      metrics.push({ metric, value, threshold, breach });
    }
    return {
      result_id: stableId('performance', modelId, this.version, this.start, this.end),
      model_id: modelId,
      model_version: this.version,
      window_start: this.start,
      window_end: this.end,
      task: cfg.task === 'regression' ? 'REGRESSION' : 'CLASSIFICATION',
      predictions: this.predictions,
      labeled: this.labeled,
      metrics,
    };
  }
}
