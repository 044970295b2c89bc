/**
 * Alert state per (model, version, feature, metric) of each rule: FIRING when a window crosses the
 * threshold, RESOLVED at the first later window back under it, nothing in between. Alert ids are
 * derived from (model, version, feature, metric, window start), so a replay yields the same ids.
 */
import type { Rule, WindowResult } from './evaluate.js';
import type { PerformanceResult } from './performance.js';
import { scoredValue, stableId, verdictSupport } from './evaluate.js';

export type AlertKind = 'SKEW' | 'DRIFT' | 'PREDICTION' | 'DATA_QUALITY' | 'VOLUME' | 'PERFORMANCE';

/** Pseudo-feature of window-level alerts (dataset drift share, volume). */
export const WHOLE_WINDOW = '*';

export interface DriftAlert {
  alert_id: string;
  status: 'FIRING' | 'RESOLVED';
  model_id: string;
  model_version: string;
  feature: string;
  metric: string;
  value: number;
  threshold: number;
  window_start: number;
  window_end: number;
  rows: number;
  reference_rows: number;
  detected_at: number;
  kind: AlertKind;
}

interface Verdict {
  feature: string;
  metric: string;
  value: number;
  threshold: number;
  drift: boolean;
  kind: AlertKind;
}

export function alertKey(modelId: string, version: string, feature: string, metric: string): string {
  return `${modelId}\u0000${version}\u0000${feature}\u0000${metric}`;
}

export class AlertTracker {
  private readonly firing = new Set<string>();

  isFiring(key: string): boolean {
    return this.firing.has(key);
  }
  /** Restores state, e.g. from the alerts topic after a restart. */
  restore(alert: Pick<DriftAlert, 'status' | 'model_id' | 'model_version' | 'feature' | 'metric'>): void {
    const key = alertKey(alert.model_id, alert.model_version, alert.feature, alert.metric);
    if (alert.status === 'FIRING') this.firing.add(key);
    else this.firing.delete(key);
  }
  /** Drops all state of a model (its partition moved to another instance). */
  forgetModel(modelId: string): void {
    for (const k of this.firing) if (k.startsWith(`${modelId}\u0000`)) this.firing.delete(k);
  }

  /**
   * The alerts a window result causes: one per rule (and for the window-level dataset drift and
   * volume verdicts) whose state changes. Features with fewer values than `minRows` leave their
   * state unchanged. `detectedAt` is the event time at which the window became final (its end plus
   * grace): a function of the window, so replays write identical alerts.
   */
  update(result: WindowResult, rules: readonly Rule[], referenceRows: number, detectedAt: number, minRows = 1): DriftAlert[] {
    const verdicts: Verdict[] = [];
    if (result.status === 'OK') {
      for (const rule of rules) {
        const f = result.features.find((x) => x.feature === rule.feature);
        const m = f?.metrics.find((x) => x.metric === rule.metric);
        if (!f || !m || verdictSupport(f, m) < minRows) continue; // no verdict: state unchanged
        const kind: AlertKind = m.signal === 'DATA_QUALITY' ? 'DATA_QUALITY' : f.role === 'PREDICTION' ? 'PREDICTION' : result.kind;
        verdicts.push({ feature: rule.feature, metric: rule.metric, value: scoredValue(m), threshold: rule.threshold, drift: m.threshold === rule.threshold ? m.drift : false, kind });
      }
      const d = result.dataset_drift;
      if (d) verdicts.push({ feature: WHOLE_WINDOW, metric: 'drift_share', value: d.share, threshold: d.threshold, drift: d.drift, kind: result.kind });
    }
    const v = result.volume;
    if (v) verdicts.push({ feature: WHOLE_WINDOW, metric: 'volume_fold_change', value: v.fold_change, threshold: v.threshold, drift: v.drift, kind: 'VOLUME' });

    return this.transitions(verdicts, result, result.rows, referenceRows, detectedAt);
  }

  /** PERFORMANCE alerts: FIRING when a metric with a rule breaches it, RESOLVED when it recovers. */
  updatePerformance(result: PerformanceResult, detectedAt: number, minLabeled: number): DriftAlert[] {
    if (result.labeled < minLabeled) return [];
    const verdicts: Verdict[] = [];
    for (const m of result.metrics) {
      if (m.threshold !== null) verdicts.push({ feature: WHOLE_WINDOW, metric: m.metric, value: m.value, threshold: m.threshold, drift: m.breach, kind: 'PERFORMANCE' });
    }
    return this.transitions(verdicts, result, result.labeled, 0, detectedAt);
  }

  /** An alert for each verdict that changes its (model, version, feature, metric)'s firing state. */
  private transitions(
    verdicts: readonly Verdict[],
    w: { model_id: string; model_version: string; window_start: number; window_end: number },
    rows: number,
    referenceRows: number,
    detectedAt: number,
  ): DriftAlert[] {
    const alerts: DriftAlert[] = [];
    for (const x of verdicts) {
      const key = alertKey(w.model_id, w.model_version, x.feature, x.metric);
      const was = this.firing.has(key);
      if (x.drift === was) continue;
      if (x.drift) this.firing.add(key);
      else this.firing.delete(key);
      alerts.push({
        alert_id: stableId('alert', w.model_id, w.model_version, x.feature, x.metric, w.window_start),
        status: x.drift ? 'FIRING' : 'RESOLVED',
        model_id: w.model_id,
        model_version: w.model_version,
        feature: x.feature,
        metric: x.metric,
        value: x.value,
        threshold: x.threshold,
        window_start: w.window_start,
        window_end: w.window_end,
        rows,
        reference_rows: referenceRows,
        detected_at: detectedAt,
        kind: x.kind,
      });
    }
    return alerts;
  }
}
