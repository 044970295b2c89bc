/**
 * The Avro contract: schemas/*.avsc loaded once, as avsc types.
 *
 * Events (InferenceEvent, TrainingEvent) use wrapped unions in avsc because their feature values
 * are a union of double and long, which avsc cannot tell apart unwrapped. Outputs (WindowResult,
 * DriftAlert) only have null-unions and are unwrapped.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';

export const SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas');

export type SchemaName = 'InferenceEvent' | 'TrainingEvent' | 'WindowResult' | 'DriftAlert' | 'LabelEvent' | 'PerformanceResult';

export function readSchema(name: SchemaName): avro.Schema {
  return JSON.parse(readFileSync(join(SCHEMA_DIR, `${name}.avsc`), 'utf8')) as avro.Schema;
}

export interface AvroTypes {
  inference: avro.Type;
  training: avro.Type;
  windowResult: avro.Type;
  driftAlert: avro.Type;
  label: avro.Type;
  performanceResult: avro.Type;
}

/** Builds fresh avsc types (no module-level singletons; callers keep the instance they need). */
export function loadTypes(): AvroTypes {
  return {
    inference: avro.Type.forSchema(readSchema('InferenceEvent'), { wrapUnions: true }),
    training: avro.Type.forSchema(readSchema('TrainingEvent'), { wrapUnions: true }),
    windowResult: avro.Type.forSchema(readSchema('WindowResult'), { wrapUnions: 'auto' }),
    driftAlert: avro.Type.forSchema(readSchema('DriftAlert'), { wrapUnions: 'auto' }),
    label: avro.Type.forSchema(readSchema('LabelEvent'), { wrapUnions: true }),
    performanceResult: avro.Type.forSchema(readSchema('PerformanceResult'), { wrapUnions: 'auto' }),
  };
}
