import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { SCHEMA_DIR, loadTypes } from '../../../src/codec/schemas.js';

const old = (name: string) => avro.Type.forSchema(JSON.parse(readFileSync(join(SCHEMA_DIR, 'history', `${name}.v1.avsc`), 'utf8')), { wrapUnions: 'auto' });

describe('schema evolution of outputs', () => {
  const types = loadTypes();
  const alert = { alert_id: 'a', status: 'FIRING', model_id: 'm', model_version: 'v', feature: 'f', metric: 'psi', value: 0.4, threshold: 0.25, window_start: 0, window_end: 1, rows: 10, reference_rows: 100, detected_at: 1, kind: 'VOLUME' };

  it('a version-1 consumer reads version-2 alerts and results with its old schema', () => {
    const v1 = old('DriftAlert');
    const read = v1.fromBuffer(types.driftAlert.toBuffer(alert), v1.createResolver(types.driftAlert)) as Record<string, unknown>;
    expect(read).toMatchObject({ alert_id: 'a', status: 'FIRING', value: 0.4 });
    expect(read.kind).toBeUndefined();
    const result = { result_id: 'r', model_id: 'm', model_version: 'v', window_start: 0, window_end: 1, rows: 3, status: 'OK', kind: 'DRIFT', dataset_drift: null, volume: { rows: 3, typical_rows: 30, fold_change: 10, threshold: 5, drift: true },
      features: [{ feature: 'x', kind: 'NUMERIC', count: 3, missing: 0, role: 'PREDICTION', metrics: [{ metric: 'ks', value: 0.5, p_value: 0.01, threshold: 0.05, drift: true, p_value_adjusted: 0.03, signal: 'DISTRIBUTION' }] }] };
    const r1 = old('WindowResult');
    const back = r1.fromBuffer(types.windowResult.toBuffer(result), r1.createResolver(types.windowResult)) as { features: { metrics: Record<string, unknown>[] }[] };
    expect(back.features[0].metrics[0]).toEqual({ metric: 'ks', value: 0.5, p_value: 0.01, threshold: 0.05, drift: true });
  });

  it('a version-2 consumer reads version-1 records, with the defaults filled in', () => {
    const v1 = old('DriftAlert');
    const { kind: _kind, ...oldAlert } = alert;
    const read = types.driftAlert.fromBuffer(v1.toBuffer(oldAlert), types.driftAlert.createResolver(v1)) as Record<string, unknown>;
    expect(read.kind).toBe('SKEW');
  });
});
