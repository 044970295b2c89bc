/**
 * Alert state per (model, version, feature, metric) of each rule: FIRING when a window crosses the
 * threshold, RESOLVED at the first later window back under it, nothing in between. Alert ids are
 * derived from (model, version, feature, metric, window start), so a replay yields the same ids.
 */
import type { Rule, WindowResult } from './evaluate.js';
import { scoredValue, stableId } from './evaluate.js';

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
   * The alerts a window result causes. `detectedAt` is the event time at which the window became
   * final (its end plus grace): a function of the window, so replays write identical alerts.
   */
  update(result: WindowResult, rules: readonly Rule[], referenceRows: number, detectedAt: number, minRows = 1): DriftAlert[] {
    if (result.status !== 'OK') return [];
    const alerts: DriftAlert[] = [];
    for (const rule of rules) {
      const f = result.features.find((x) => x.feature === rule.feature);
      const m = f?.metrics.find((x) => x.metric === rule.metric);
      if (!m || f!.count < minRows) continue; // too little data for a verdict: state unchanged
      const key = alertKey(result.model_id, result.model_version, rule.feature, rule.metric);
      const drift = m.threshold === rule.threshold ? m.drift : false;
      const was = this.firing.has(key);
      if (drift === was) continue;
      if (drift) this.firing.add(key);
      else this.firing.delete(key);
      alerts.push({
        alert_id: stableId('alert', result.model_id, result.model_version, rule.feature, rule.metric, result.window_start),
        status: drift ? 'FIRING' : 'RESOLVED',
        model_id: result.model_id,
        model_version: result.model_version,
        feature: rule.feature,
        metric: rule.metric,
        value: scoredValue(m),
        threshold: rule.threshold,
        window_start: result.window_start,
        window_end: result.window_end,
        rows: result.rows,
        reference_rows: referenceRows,
        detected_at: detectedAt,
      });
    }
    return alerts;
  }
}
