/**
 * LabelEvents framed in Confluent's wire format (magic byte 0, 4-byte schema id) are decoded with
 * their writer schema (from codec.writerSchemas or the schema registry) and resolved to
 * driftline's LabelEvent: the same performance results as raw labels; an unknown id or a body that
 * does not match its schema goes to the dead-letter topic with the reason.
 */
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { readSchema } from '../../src/codec/schemas.js';
import { TestDriver, normal, rng } from './driver.js';

const H = 3_600_000;
/** driftline's LabelEvent as a producer might have evolved it: a field added at the end, with a default. */
const evolved = { ...(readSchema('LabelEvent') as Record<string, unknown>), fields: [...((readSchema('LabelEvent') as { fields: object[] }).fields), { name: 'source', type: 'string', default: 'crm' }] };
const writer = avro.Type.forSchema(evolved as avro.Schema, { wrapUnions: true });

function framed(id: number, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(id, 1);
  return Buffer.concat([head, body]);
}

function run(framing: 'raw' | 'framed'): TestDriver {
  const d = new TestDriver({ models: [{ id: 'm', window: { size: '1h', idle: '1h' }, minRows: 10, features: [{ name: 'x', type: 'numeric' }], performance: { task: 'classification', positiveClass: 'fraud', horizon: '1h' } }] });
  d.processor.addWriterSchema(42, evolved as avro.Schema);
  const r = rng(4);
  const labels: [string, string][] = [];
  for (let i = 0; i < 200; i++) {
    const score = r();
    d.predict('m', 'v1', `p${i}`, i * 1000, { x: normal(r) }, score);
    labels.push([`p${i}`, (score >= 0.5) === r() < 0.8 ? 'fraud' : 'ok']);
  }
  for (const [id, label] of labels) {
    if (framing === 'raw') d.label('m', id, label, H);
    else {
      const body = framed(42, writer.toBuffer({ model_id: 'm', event_id: id, label: { string: label }, event_time: H, source: 'crm' }));
      d.processor.processLabel(d.record(d.config.topics.labels, body));
    }
  }
  d.inference('m', 'v1', 3 * H, { x: 0 });
  return d;
}

describe('Confluent-framed LabelEvents', () => {
  it('are joined as raw ones are: the same performance results', () => {
    const raw = run('raw');
    const framed = run('framed');
    expect(raw.out.performance.length).toBeGreaterThan(0);
    expect(raw.out.performance[0].value.labeled).toBe(200);
    expect(framed.out.performance.map((p) => p.value)).toEqual(raw.out.performance.map((p) => p.value));
    expect(framed.out.deadLetters).toEqual([]);
  });

  it('with an unknown schema id, or a body that does not match its schema: dead-lettered with the reason', () => {
    const d = run('raw');
    const before = d.out.deadLetters.length;
    d.processor.processLabel(d.record(d.config.topics.labels, framed(77, writer.toBuffer({ model_id: 'm', event_id: 'q', label: null, event_time: 1, source: 'x' }))));
    d.processor.processLabel(d.record(d.config.topics.labels, framed(42, Buffer.from([2, 109, 0xff, 0xff, 0xff]))));
    d.processor.processLabel(d.record(d.config.topics.labels, Buffer.from([0, 0, 1])));
    const dead = d.processor.drain().deadLetters.map((x) => ({ reason: String(x.headers['driftline.reason']), error: String(x.headers['driftline.error']) }));
    expect(before).toBe(0);
    expect(dead.map((x) => x.reason)).toEqual(['unknown_schema_id', 'undecodable', 'undecodable']);
    expect(dead[0].error).toContain('unknown writer schema id 77');
    expect(dead[2].error).toContain('shorter than its 5-byte header');
  });
});
