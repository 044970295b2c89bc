import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { EventDecoder, EventView, TAG_BOOLEAN, TAG_DOUBLE, TAG_NULL, TAG_STRING, encodeEvent } from '../../../src/codec/event.js';
import { loadTypes, readSchema } from '../../../src/codec/schemas.js';
import { RejectedMessageError } from '../../../src/errors.js';

const types = loadTypes();

function framed(id: number, body: Buffer): Buffer {
  const h = Buffer.alloc(5);
  h.writeUInt32BE(id, 1);
  return Buffer.concat([h, body]);
}

function reason(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RejectedMessageError);
    return (err as RejectedMessageError).reason;
  }
  throw new Error('expected a rejection');
}

describe('event codec', () => {
  const event = { model_id: 'm', model_version: 'v2', event_id: 'e1', event_time: Date.UTC(2026, 0, 1), features: { a: 1.25, b: 'x', c: true, d: null }, prediction: 0.7 };

  it('decodes raw bodies written by avsc with the published schema', () => {
    const view = new EventView();
    const body = encodeEvent(types.inference, 'inference', event);
    new EventDecoder('inference', types.inference, new Map()).decode(body, view);
    expect([view.modelId, view.modelVersion, view.eventId, view.eventTime]).toEqual(['m', 'v2', 'e1', Date.UTC(2026, 0, 1)]);
    expect(view.featureCount).toBe(4);
    expect(Array.from(view.tags.subarray(0, 4))).toEqual([TAG_DOUBLE, TAG_STRING, TAG_BOOLEAN, TAG_NULL]);
    expect(view.nums[0]).toBe(1.25);
    expect(view.strs[1]).toBe('x');
    expect(view.targetNum).toBe(0.7);
  });

  it('decodes training events with dataset version and label, and long feature values', () => {
    const schema = readSchema('TrainingEvent');
    const body = types.training.toBuffer({ model_id: 'm', model_version: 'v', dataset_version: { string: 'd7' }, event_id: 't', event_time: 5, features: { n: { long: 42 } }, label: { string: 'yes' } });
    const view = new EventView();
    new EventDecoder('training', avro.Type.forSchema(schema, { wrapUnions: true }), new Map()).decode(body, view);
    expect([view.datasetVersion, view.nums[0], view.targetStr]).toEqual(['d7', 42, 'yes']);
  });

  it('resolves Confluent-framed bodies from a newer writer schema that added optional fields', () => {
    const writerSchema = readSchema('InferenceEvent') as { fields: unknown[] };
    const evolved = { ...writerSchema, fields: [...writerSchema.fields, { name: 'region', type: ['null', 'string'], default: null }] };
    const writer = avro.Type.forSchema(evolved as avro.Schema, { wrapUnions: true });
    const body = writer.toBuffer({ ...types.inference.fromBuffer(encodeEvent(types.inference, 'inference', event)), region: { string: 'eu' } });
    const decoder = new EventDecoder('inference', types.inference, new Map([[12, evolved as avro.Schema], [13, types.inference.schema() as avro.Schema]]));
    const view = new EventView();
    decoder.decode(framed(12, body), view);
    expect([view.modelId, view.featureCount, view.nums[0], view.strs[1]]).toEqual(['m', 4, 1.25, 'x']);
    decoder.decode(framed(13, encodeEvent(types.inference, 'inference', event)), view); // same schema: fast path
    expect(view.eventId).toBe('e1');
  });

  it('rejects with a reason: unknown schema id, incompatible writer, garbage, trailing bytes', () => {
    const d = new EventDecoder('inference', types.inference, new Map([[3, { type: 'record', name: 'X', fields: [{ name: 'q', type: 'int' }] } as avro.Schema]]));
    const v = new EventView();
    const body = encodeEvent(types.inference, 'inference', event);
    expect(reason(() => d.decode(framed(99, body), v))).toBe('unknown_schema_id');
    expect(reason(() => d.decode(framed(3, body), v))).toBe('unknown_schema_id');
    expect(reason(() => d.decode(Buffer.from('hello world'), v))).toBe('undecodable');
    expect(reason(() => d.decode(Buffer.concat([body, Buffer.from([1])]), v))).toBe('undecodable');
    expect(reason(() => d.decode(body.subarray(0, body.length - 3), v))).toBe('undecodable');
    expect(reason(() => d.decode(Buffer.alloc(0), v))).toBe('undecodable');
  });
});
