/**
 * The decoder's caches (string slots per position, recent model ids and categories, the name
 * layout) against avsc: a sequence of events decoded into ONE view must read exactly what avsc
 * reads from each body alone, and `layout` must change whenever the feature names do. (An empty
 * model id is not tried: a raw body starting with byte 0 reads as Confluent-framed.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventDecoder, EventView, TAG_BOOLEAN, TAG_DOUBLE, TAG_LONG, TAG_NULL, TAG_STRING, encodeEvent, type PlainEvent } from '../../../src/codec/event.js';
import { loadTypes } from '../../../src/codec/schemas.js';

const types = loadTypes();

/** Strings that share prefixes of up to 6 bytes and beyond, differ only in length, or are empty. */
const tricky = fc.constantFrom('', 'a', 'ab', 'abc', 'abd', 'abcd', 'abce', 'bbcd', 'abcde', 'abcdf', 'abcdef', 'abcdefg', 'abcdefh', 'abcdefgh', 'abcdeF', 'feature_a_long', 'feature_b_long', 'feature_a_lonG', 'é', 'éé', '\u0000', '\u0000a', 'n0', 'n1', 'c0', 'bench-m0', 'bench-m1', 'abcXefgh', 'abcYefgh', 'abcdefghi', 'abcXXefgh');
const value = fc.oneof(fc.constant(null), fc.double(), fc.integer({ min: -1e6, max: 1e6 }).map((n) => ({ long: n })), tricky, fc.string({ maxLength: 9 }), fc.boolean());
const names = fc.uniqueArray(fc.oneof(tricky, fc.string({ maxLength: 9 })), { maxLength: 8 });

type Value = null | number | string | boolean | { long: number };
interface Ev {
  model: string;
  features: [string, Value][];
}

function body(e: Ev): Buffer {
  const features: Record<string, unknown> = {};
  for (const [k, v] of e.features) features[k] = v === null ? null : typeof v === 'number' ? { double: v } : typeof v === 'string' ? { string: v } : typeof v === 'boolean' ? { boolean: v } : v;
  return types.inference.toBuffer({ model_id: e.model, model_version: 'v1', event_id: 'e', event_time: 5, features, prediction: null, attributes: {} });
}

function expectSameAsAvsc(view: EventView, b: Buffer): void {
  const o = types.inference.fromBuffer(b) as { model_id: string; features: Record<string, Record<string, unknown> | null> };
  expect(view.modelId).toBe(o.model_id);
  const entries = Object.entries(o.features);
  expect(view.featureCount).toBe(entries.length);
  entries.forEach(([name, v], k) => {
    expect(view.names[k]).toBe(name);
    if (v === null) return expect(view.tags[k]).toBe(TAG_NULL);
    const [branch, x] = Object.entries(v)[0];
    if (branch === 'double') expect([view.tags[k], Object.is(view.nums[k], x)]).toEqual([TAG_DOUBLE, true]);
    else if (branch === 'long') expect([view.tags[k], view.nums[k]]).toEqual([TAG_LONG, Number(x)]);
    else if (branch === 'string') {
      expect([view.tags[k], view.strs[k]]).toEqual([TAG_STRING, x]);
      // the remembered slot named for it holds this very text
      const s = view.strSlot[k];
      if (s >= 0) expect(view.valueSlots[k].slots[s].text).toBe(x);
      else expect((x as string).length).toBeGreaterThan(16); // only long strings go unremembered
    }
    else expect([view.tags[k], view.nums[k]]).toEqual([TAG_BOOLEAN, x ? 1 : 0]);
  });
  // the type masks agree with the tags
  expect(view.masksValid).toBe(entries.length <= 32);
  for (let k = 0; k < Math.min(entries.length, 32); k++) {
    const tag = view.tags[k];
    const bit = (mask: number) => (mask & (1 << k)) !== 0;
    expect([bit(view.doubleMask), bit(view.numberMask), bit(view.nullMask), bit(view.nonFiniteMask)])
      .toEqual([tag === TAG_DOUBLE, tag === TAG_DOUBLE || tag === TAG_LONG, tag === TAG_NULL, tag === TAG_DOUBLE && !Number.isFinite(view.nums[k])]);
  }
}

describe('decoding a sequence of events into one view', () => {
  it('reads what avsc reads, whatever came before; layout changes whenever the names do', () => {
    const ev = fc.record({ model: fc.oneof(tricky.filter((m) => m !== ''), fc.constantFrom('bench-m0', 'bench-m1', 'bench-m2')), names, values: fc.array(value, { minLength: 8, maxLength: 8 }) })
      .map(({ model, names, values }): Ev => ({ model, features: names.map((n, i) => [n, values[i]]) }));
    fc.assert(
      fc.property(fc.array(ev, { minLength: 1, maxLength: 30 }), (events) => {
        const decoder = new EventDecoder('inference', types.inference, new Map());
        const view = new EventView();
        let previous: string[] | null = null;
        let layout = view.layout;
        for (const e of events) {
          const b = body(e);
          decoder.decode(b, view);
          expectSameAsAvsc(view, b);
          const now = e.features.map(([n]) => n);
          if (previous === null || previous.join('\u0001') !== now.join('\u0001') || previous.length !== now.length) expect(view.layout).not.toBe(layout);
          else expect(view.layout).toBe(layout);
          layout = view.layout;
          previous = now;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('bodies at the very end of their memory, or amid other bytes, and names of up to 70 bytes: the same reads', () => {
    // The decoder compares a name with the one before at its position in 4-byte words, which may
    // reach past the body into the bytes after it (masked) but never past the end of its memory.
    const long = fc.constantFrom('x'.repeat(62), 'x'.repeat(63), 'x'.repeat(64), 'y'.repeat(70), 'abcdefghijklmnopqrstuvwxyz0123456789', 'abcdefghijklmnopqrstuvwxyz0123456788');
    const ev = fc.record({ names: fc.uniqueArray(fc.oneof(tricky, long), { minLength: 1, maxLength: 6 }), values: fc.array(value, { minLength: 6, maxLength: 6 }), place: fc.constantFrom('exact', 'shared') })
      .map(({ names, values, place }) => ({ e: { model: 'm', features: names.map((n, i): [string, Value] => [n, values[i]]) } as Ev, place }));
    fc.assert(
      fc.property(fc.array(ev, { minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: 255 }), (events, fill) => {
        const decoder = new EventDecoder('inference', types.inference, new Map());
        const view = new EventView();
        for (const { e, place } of events) {
          const b = body(e);
          let at: Buffer;
          if (place === 'exact') {
            // its own ArrayBuffer of exactly its length
            const ab = new ArrayBuffer(b.length);
            at = Buffer.from(ab);
            b.copy(at);
          } else {
            // in the middle of a larger buffer, other bytes before and after it
            const big = Buffer.alloc(b.length + 11, fill);
            b.copy(big, 5);
            at = big.subarray(5, 5 + b.length);
          }
          decoder.decode(at, view);
          expectSameAsAvsc(view, b);
          // cut short at the end of its memory, after the whole body was read (names kept): the
          // same rejection, naming the same byte, as a decoder that never saw a body
          const cut = 1 + ((fill * 7) % (b.length - 1));
          const short = Buffer.from(new ArrayBuffer(cut));
          b.copy(short, 0, 0, cut);
          const fresh = new EventDecoder('inference', types.inference, new Map());
          const expected = (() => { try { fresh.decode(short, new EventView()); return 'decoded'; } catch (err) { return `${(err as Error).name}: ${(err as Error).message}`; } })();
          const got = (() => { try { decoder.decode(short, view); return 'decoded'; } catch (err) { return `${(err as Error).name}: ${(err as Error).message}`; } })();
          expect(got).toBe(expected);
          expect(got).toMatch(/^RejectedMessageError/);
        }
      }),
      { numRuns: 300 },
    );
  });
  it('more distinct categories at a position than it remembers (16), and model ids interleaved', () => {
    const decoder = new EventDecoder('inference', types.inference, new Map());
    const view = new EventView();
    for (let i = 0; i < 500; i++) {
      const e: PlainEvent = { model_id: `model-${i % 5}`, model_version: 'v1', event_id: `e${i}`, event_time: i, features: { x: i * 0.5, cat: `category-${(i * 7) % 23}`, short: `${i % 19}` } };
      const b = encodeEvent(types.inference, 'inference', e);
      decoder.decode(b, view);
      expectSameAsAvsc(view, b);
    }
  });
  it('varint longs of every length: event times and long feature values, negative too (exact while the zig-zag value is at most 2^53)', () => {
    const decoder = new EventDecoder('inference', types.inference, new Map());
    const view = new EventView();
    const values = [0, 1, -1, 63, -64, 64, -65, 8191, 8192, -8193];
    for (let k = 14; k <= 51; k++) values.push(2 ** k - 1, 2 ** k, -(2 ** k), -(2 ** k) - 1, 2 ** k + 12345);
    values.push(2 ** 52, -(2 ** 52), 1_767_225_600_000, -1_767_225_600_000);
    for (const t of values) {
      const b = types.inference.toBuffer({ model_id: 'm', model_version: 'v1', event_id: 'e', event_time: t, features: { x: { long: t } }, prediction: null, attributes: {} });
      decoder.decode(b, view);
      expect([view.eventTime, view.tags[0], view.nums[0]]).toEqual([t, TAG_LONG, t]);
    }
  });
  it('more than 32 features: values read, type masks not valid', () => {
    const decoder = new EventDecoder('inference', types.inference, new Map());
    const view = new EventView();
    const features: Record<string, number | string | null> = {};
    for (let i = 0; i < 40; i++) features[`f${i}`] = i % 3 === 0 ? null : i % 3 === 1 ? i / 2 : `s${i}`;
    const b = encodeEvent(types.inference, 'inference', { model_id: 'm', model_version: 'v1', event_id: 'e', event_time: 1, features });
    decoder.decode(b, view);
    expectSameAsAvsc(view, b);
    expect(view.masksValid).toBe(false);
  });
});
