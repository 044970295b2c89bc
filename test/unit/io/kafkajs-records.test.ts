/**
 * The faster kafkajs record decoder (src/io/kafkajs-records.ts) against kafkajs' own: records and
 * whole record batches written by kafkajs' own encoders (and a few written by hand: attributes,
 * long varints, truncations, bad lengths) must decode to deeply equal objects, with the same keys
 * in the same order, and leave kafkajs' Decoder at the same offset.
 */
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRecordDecoder, type KafkajsBatchContext, type KafkajsRecordDecoder } from '../../../src/io/kafkajs-records.js';
import { patchKafkajsRecordDecoder } from '../../../src/io/kafkajs-patch.js';

const require = createRequire(import.meta.url);
const RECORD_DECODER = require.resolve('kafkajs/src/protocol/recordBatch/record/v0/decoder.js');
const BATCH_DECODER = require.resolve('kafkajs/src/protocol/recordBatch/v0/decoder.js');
type DecoderClass = new (b: Buffer) => { buffer: Buffer; offset: number; readVarIntBytes(): Buffer };
const Decoder = require('kafkajs/src/protocol/decoder.js') as DecoderClass;
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: object) => { buffer: Buffer };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: (b: object) => Promise<{ buffer: Buffer }> };
const { Types: Compression } = require('kafkajs/src/protocol/message/compression/index.js') as { Types: { None: number; GZIP: number } };

/**
 * A fresh copy of a kafkajs module, loaded apart from require's cache (so whatever the fix did to
 * the cache does not matter), with `overrides` answering some of its require() calls.
 */
function freshModule(path: string, overrides: Record<string, unknown> = {}): unknown {
  const M = Module as unknown as { new (id: string): NodeJS.Module & { _compile(code: string, file: string): void; paths: string[] }; _nodeModulePaths(dir: string): string[] };
  const m = new M(path);
  m.filename = path;
  m.paths = M._nodeModulePaths(dirname(path));
  const plain = createRequire(path);
  (m as unknown as { require(id: string): unknown }).require = (id: string) => (id in overrides ? overrides[id] : plain(id));
  m._compile(readFileSync(path, 'utf8'), path);
  return m.exports;
}

const general = freshModule(RECORD_DECODER) as KafkajsRecordDecoder;

/** A batch context as kafkajs' batch decoder makes it. */
function context(o: Partial<KafkajsBatchContext> = {}): KafkajsBatchContext {
  return {
    firstOffset: '1000',
    firstTimestamp: '1764590000000',
    partitionLeaderEpoch: 0,
    inTransaction: false,
    isControlBatch: false,
    lastOffsetDelta: 10,
    producerId: '-1',
    producerEpoch: 0,
    firstSequence: 0,
    maxTimestamp: '1764590000123',
    timestampType: 0,
    magicByte: 2,
    ...o,
  };
}

/** Decodes one record's bytes (without its length prefix) with both decoders; both results. */
function both(body: Buffer, ctx: KafkajsBatchContext, fast = makeRecordDecoder(general)) {
  const d1 = new Decoder(body);
  const d2 = new Decoder(body);
  let expected: unknown;
  let actual: unknown;
  let expectedError: unknown = null;
  let actualError: unknown = null;
  try { expected = general(d1, ctx); } catch (e) { expectedError = e; }
  try { actual = fast(d2, ctx); } catch (e) { actualError = e; }
  return { expected, actual, expectedError, actualError, offsets: [d1.offset, d2.offset] };
}

function expectSame(body: Buffer, ctx: KafkajsBatchContext, fast?: KafkajsRecordDecoder): void {
  const r = both(body, ctx, fast);
  expect(r.actualError === null).toBe(r.expectedError === null);
  if (r.expectedError !== null) {
    expect(String(r.actualError)).toBe(String(r.expectedError));
    return;
  }
  expect(r.actual).toEqual(r.expected);
  expect(Object.keys(r.actual as object)).toEqual(Object.keys(r.expected as object));
  expect(r.offsets[1]).toBe(r.offsets[0]);
}

/** A record as kafkajs' producer writes it, without the length prefix. */
function recordBody(r: { offsetDelta?: number; timestampDelta?: number; key?: Buffer | string | null; value?: Buffer | string | null; headers?: Record<string, string | string[]> }): Buffer {
  const d = new Decoder(Record(r).buffer);
  return d.readVarIntBytes();
}

/** A zig-zag varint of n (n within int32), as Kafka writes lengths and deltas. */
function varint(n: number): number[] {
  let z = ((n << 1) ^ (n >> 31)) >>> 0;
  const out: number[] = [];
  while (z >= 0x80) {
    out.push((z & 0x7f) | 0x80);
    z >>>= 7;
  }
  out.push(z);
  return out;
}

describe('kafkajs record decoder fix: single records', () => {
  it('decodes the common record (key, value, no headers) as kafkajs does', () => {
    const fast = makeRecordDecoder(general);
    for (let i = 0; i < 50; i++) {
      expectSame(recordBody({ offsetDelta: i, timestampDelta: i % 7, key: `model-${i % 3}`, value: Buffer.from(`value ${i}`) }), context(), fast);
    }
    // it really took the fast path: kafkajs' decoder is not called for it
    let calls = 0;
    const counting = makeRecordDecoder((d, c) => { calls++; return general(d, c); });
    counting(new Decoder(recordBody({ offsetDelta: 1, key: 'k', value: 'v' })), context());
    expect(calls).toBe(0);
  });

  it('null and empty keys and values, large deltas, negative timestamp deltas', () => {
    const fast = makeRecordDecoder(general);
    const cases = [
      { key: null, value: 'x' },
      { key: 'k', value: null },
      { key: null, value: null },
      { key: '', value: '' },
      { key: 'k', value: Buffer.alloc(70_000, 7) }, // a 3-byte length varint
      { offsetDelta: 200_000_000, key: 'k', value: 'v' }, // a 4-byte offset delta varint
      { offsetDelta: 300_000_000, key: 'k', value: 'v' }, // 5 bytes: kafkajs' own decoder
      { timestampDelta: -5, key: 'k', value: 'v' },
      { timestampDelta: 100_000_000, key: 'k', value: 'v' },
      { timestampDelta: 2 ** 40, key: 'k', value: 'v' }, // a long varlong: kafkajs' own decoder
    ];
    for (const c of cases) expectSame(recordBody(c), context(), fast);
  });

  it('records with headers (repeated keys too) go to kafkajs and come back the same', () => {
    const fast = makeRecordDecoder(general);
    expectSame(recordBody({ key: 'k', value: 'v', headers: { a: '1' } }), context(), fast);
    expectSame(recordBody({ key: 'k', value: 'v', headers: { a: ['1', '2'], b: 'x' } }), context(), fast);
  });

  it('the batch context: timestamp types, first offsets and timestamps of every kind', () => {
    const body = recordBody({ offsetDelta: 3, timestampDelta: 2, key: 'k', value: 'v' });
    const contexts = [
      context(),
      context({ timestampType: 1 }), // LOG_APPEND_TIME: the batch's max timestamp
      context({ timestampType: 1, maxTimestamp: '' }),
      context({ firstTimestamp: '-1' }), // no timestamp
      context({ firstOffset: '0' }),
      context({ firstOffset: String(2 ** 53 - 2) }), // the sum leaves the safe integers
      context({ firstOffset: '9223372036854775000' }), // beyond doubles: kafkajs' own decoder
      context({ firstTimestamp: '9007199254740993' }),
      context({ isControlBatch: true }),
      context({ isControlBatch: undefined }),
      context({ firstOffset: '0x10' }), // not canonical: kafkajs' own decoder
      context({ firstOffset: 'NaN' }),
      context({ firstOffset: '' }), // kafkajs throws
      context({ firstTimestamp: '1e3' }), // kafkajs throws
    ];
    for (const c of contexts) expectSame(body, c);
    // one decoder through changing contexts (it keeps the last batch's numbers)
    const fast = makeRecordDecoder(general);
    for (const c of [...contexts, ...contexts.reverse()]) expectSame(body, c, fast);
  });

  it('hand-written records: attribute bytes, truncations, bad lengths', () => {
    const good = [0xff, ...varint(1), ...varint(2), ...varint(1), 0x6b, ...varint(2), 0x76, 0x77, 0];
    const fast = makeRecordDecoder(general);
    expectSame(Buffer.from(good), context(), fast);
    // every truncation of it
    for (let n = 0; n < good.length; n++) expectSame(Buffer.from(good.slice(0, n)), context(), fast);
    // a key length of -2, and one longer than the record
    expectSame(Buffer.from([0, 0, 0, ...varint(-2), 0x6b, ...varint(1), 0x76, 0]), context(), fast);
    expectSame(Buffer.from([0, 0, 0, ...varint(9), 0x6b, ...varint(1), 0x76, 0]), context(), fast);
    // a varint whose continuation bit runs off the end
    expectSame(Buffer.from([0, 0x80, 0x80]), context(), fast);
    expectSame(Buffer.from([0, 0, 0, 0, 0, 0x80]), context(), fast);
    // five-byte varints (28 bits and more) whose bytes would also read as a valid shorter record
    expectSame(Buffer.from([0, 0, 0x80, 0x80, 0x80, 0x80, 0x01, 0, 0, 0]), context(), fast);
    expectSame(Buffer.from([0, 0x80, 0x80, 0x80, 0x80, 0x01, 0, 0, 0, 0]), context(), fast);
  });
});

describe('kafkajs record decoder fix: whole batches through kafkajs\' batch decoder', () => {
  /** kafkajs' batch decoder, loaded fresh, with the given record decoder. */
  const batchDecoder = (records: KafkajsRecordDecoder) => freshModule(BATCH_DECODER, { '../record/v0/decoder': records }) as (d: object) => Promise<{ records: object[] }>;

  for (const compression of ['None', 'GZIP'] as const) {
    it(`a batch of 500 records, compression ${compression}`, async () => {
      const records = Array.from({ length: 500 }, (_, i) => Record({
        offsetDelta: i,
        timestampDelta: Math.floor(i / 7),
        key: i % 11 === 0 ? null : `model-${i % 4}`,
        value: Buffer.from(`body ${i} `.repeat(1 + (i % 5))),
        headers: i % 97 === 0 ? { trace: `t${i}` } : {},
      }));
      const batch = await RecordBatch({ compression: Compression[compression], firstOffset: '123456789', firstTimestamp: 1764590000000, maxTimestamp: 1764590000099, lastOffsetDelta: 499, records });
      const expected = await batchDecoder(general)(new Decoder(batch.buffer));
      const actual = await batchDecoder(makeRecordDecoder(general))(new Decoder(batch.buffer));
      expect(actual.records).toHaveLength(500);
      expect(actual).toEqual(expected);
      expect((actual.records[1] as { offset: string }).offset).toBe('123456790');
    });
  }
});

describe('kafkajs record decoder fix: installing it', () => {
  it("puts the decoder in place of kafkajs' record decoder module before the batch decoder loads", () => {
    if (require.cache[BATCH_DECODER]) throw new Error('the batch decoder was loaded before this test: run it in a process of its own');
    expect(patchKafkajsRecordDecoder()).toEqual({ applied: true });
    expect(patchKafkajsRecordDecoder()).toEqual({ applied: true });
    const installed = require(RECORD_DECODER) as KafkajsRecordDecoder;
    expect(installed.name).toBe('decodeRecord');
    // kafkajs' batch decoder, loaded now, uses it: a record it decodes is the same as before
    const body = recordBody({ offsetDelta: 5, key: 'k', value: 'v' });
    expect(installed(new Decoder(body), context())).toEqual(general(new Decoder(body), context()));
  });
});
