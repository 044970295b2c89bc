/**
 * Property tests of the event decoder and of the processor's intake: whatever bytes arrive (random,
 * or valid InferenceEvent bodies, raw and Confluent-framed, with bits flipped, truncated, extended
 * or with bytes inserted), nothing throws, and every message ends either accepted or as exactly one
 * dead letter carrying a reason header.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventDecoder, EventView, encodeEvent, type PlainEvent } from '../../../src/codec/event.js';
import { loadTypes, readSchema } from '../../../src/codec/schemas.js';
import { RejectedMessageError } from '../../../src/errors.js';
import { TestDriver } from '../../processor/driver.js';

const types = loadTypes();
const H = 3_600_000;
const REASONS = new Set(['undecodable', 'unknown_schema_id', 'unknown_model', 'wrong_type', 'missing_field', 'oversized', 'late_event', 'invalid_value']);

/** Schema id 7: driftline's own schema; id 8: a compatible writer with an extra field. */
const own = readSchema('InferenceEvent');
const extended = { ...(own as { fields: unknown[] }), fields: [...(own as { fields: unknown[] }).fields, { name: 'extra', type: 'string', default: '' }] } as unknown as import('avsc').Schema;
const writers = new Map<number, import('avsc').Schema>([[7, own], [8, extended]]);
const extendedType = (await import('avsc')).default.Type.forSchema(extended, { wrapUnions: true });

const featureValue = fc.oneof(
  fc.constant(null),
  fc.double(),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.string({ maxLength: 8 }),
  fc.boolean(),
);
const event: fc.Arbitrary<PlainEvent> = fc.record({
  model_id: fc.oneof(fc.constant('m'), fc.constant('other'), fc.string({ maxLength: 6 })),
  model_version: fc.oneof(fc.constant('v1'), fc.string({ maxLength: 4 })),
  event_id: fc.string({ maxLength: 10 }),
  event_time: fc.oneof(fc.integer({ min: 0, max: 10 * H }), fc.integer({ min: -(2 ** 52), max: 2 ** 52 })),
  features: fc.dictionary(fc.oneof(fc.constantFrom('x', 'y', 'c'), fc.string({ maxLength: 4 })), featureValue, { maxKeys: 6 }),
  prediction: fc.oneof(fc.constant(null), fc.double(), fc.string({ maxLength: 5 })),
  attributes: fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 3 }),
});

/** A valid body: raw, framed with id 7 (native), framed with id 8 (resolved), or framed with an unknown id. */
const body = fc.tuple(event, fc.constantFrom('raw', 'own', 'extended', 'unknown')).map(([e, framing]) => {
  if (framing === 'raw') return encodeEvent(types.inference, 'inference', e);
  if (framing === 'own') return encodeEvent(types.inference, 'inference', e, 7);
  if (framing === 'unknown') return encodeEvent(types.inference, 'inference', e, 99);
  const features: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e.features)) features[k] = v === null || v === undefined ? null : typeof v === 'number' ? { double: v } : typeof v === 'string' ? { string: v } : { boolean: v };
  const inner = extendedType.toBuffer({ model_id: e.model_id, model_version: e.model_version, event_id: e.event_id, event_time: e.event_time, features, prediction: null, attributes: {}, extra: 'z' });
  const header = Buffer.alloc(5);
  header.writeUInt32BE(8, 1);
  return Buffer.concat([header, inner]);
});

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'extend'; bytes: Uint8Array }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'set'; at: number; byte: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
  // Large varints: 0xff bytes make lengths and counts huge.
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.constantFrom(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), new Uint8Array([0xfe, 0xff, 0xff, 0xff, 0x0f]), new Uint8Array([0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xff) }),
);

function mutate(buf: Buffer, muts: Mutation[]): Buffer {
  let b = Buffer.from(buf);
  for (const m of muts) {
    const at = b.length === 0 ? 0 : (m as { at?: number }).at === undefined ? 0 : (m as { at: number }).at % (b.length + 1);
    switch (m.kind) {
      case 'flip': if (b.length) b[at % b.length] ^= 1 << m.bit; break;
      case 'truncate': b = b.subarray(0, at); break;
      case 'extend': b = Buffer.concat([b, m.bytes]); break;
      case 'insert': b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]); break;
      case 'set': if (b.length) b[at % b.length] = m.byte; break;
    }
  }
  return b;
}

const input = fc.oneof(
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)) },
  { weight: 2, arbitrary: body },
  { weight: 6, arbitrary: fc.tuple(body, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([b, m]) => mutate(b, m)) },
);

const RUNS = Number(process.env.DRIFTLINE_PROPERTY_RUNS ?? 3000);

describe('EventDecoder.decode on hostile bytes', () => {
  const decoder = new EventDecoder('inference', types.inference, writers);
  const view = new EventView();

  it('either fills the view or throws RejectedMessageError with a known reason; nothing else escapes', () => {
    fc.assert(
      fc.property(input, (buf) => {
        try {
          decoder.decode(buf, view);
          expect(typeof view.modelId).toBe('string');
          expect(Number.isFinite(view.eventTime) || Number.isNaN(view.eventTime)).toBe(true);
        } catch (err) {
          if (!(err instanceof RejectedMessageError)) throw new Error(`escaped: ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
          expect(REASONS.has(err.reason)).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('rejects huge varint lengths and block counts instead of allocating or throwing RangeError', () => {
    const cases = [
      Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), // model_id length ~ 2^62
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), // 11-byte varint
      Buffer.concat([Buffer.from([2, 0x6d, 2, 0x76, 0, 0]), Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])]), // map count huge
      Buffer.concat([Buffer.from([2, 0x6d, 2, 0x76, 0, 0]), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x02])]), // negative block count huge
    ];
    for (const c of cases) expect(() => decoder.decode(c, view)).toThrow(RejectedMessageError);
  });
});

describe('Processor.processInference on hostile bytes', () => {
  it('accepts or dead-letters every input exactly once, with a reason header; accepted + rejected = inputs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(input, { minLength: 1, maxLength: 40 }), async (bodies) => {
        const d = new TestDriver({
          models: [{ id: 'm', window: { size: '1h', grace: '10m', idle: '1h' }, features: [{ name: 'x', type: 'numeric' }, { name: 'y', type: 'numeric' }, { name: 'c', type: 'categorical' }] }],
          processor: { maxMessageBytes: 150 },
        });
        for (const b of bodies) d.raw(b);
        const accepted = await d.metric('driftline_events_consumed_total');
        const rejected = await d.metric('driftline_events_rejected_total');
        expect(d.out.deadLetters.length).toBe(rejected);
        expect(accepted + rejected).toBe(bodies.length);
        for (const dl of d.out.deadLetters) {
          expect(REASONS.has(String(dl.headers['driftline.reason']))).toBe(true);
          expect(dl.headers['driftline.source.offset']).toMatch(/^\d+$/);
        }
      }),
      { numRuns: Math.max(50, Math.floor(RUNS / 10)) },
    );
  });
});
