/**
 * A hostile mix on a real broker: 5,000 valid events among 5,000 bad messages of every kind.
 * The processor keeps running; accepted and rejected counts are exact, and the dead-letter topic
 * holds exactly the rejected messages, each with its reason and original key and value.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import avro from 'avsc';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config.js';
import { encodeEvent } from '../../src/codec/event.js';
import { loadTypes, readSchema } from '../../src/codec/schemas.js';
import { loadWriterSchemas } from '../../src/codec/writers.js';
import { createKafka, createTopics, idempotentProducer } from '../../src/io/kafka.js';
import { Runner } from '../../src/io/runner.js';
import { systemClock } from '../../src/processor.js';
import { normal, rng } from '../processor/driver.js';
import { readTopic } from './kafka.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 2, 2);
const KINDS = ['undecodable', 'unknown_schema_id', 'wrong_type', 'missing_field', 'oversized', 'late_event', 'unknown_model', 'invalid_value'] as const;

describe('a hostile mix on a real Kafka broker', () => {
  const brokers = inject('kafkaBrokers').split(',');
  const suffix = randomUUID().slice(0, 8);
  const types = loadTypes();
  let config: Config;
  let runner: Runner;
  const expected = new Map<string, number>();
  const sent = new Map<string, { key: string; value: Buffer }>(); // by a trace header
  let valid = 0;

  beforeAll(async () => {
    // A writer schema without the required event_id: its bodies cannot be read as InferenceEvent.
    const base = readSchema('InferenceEvent') as { fields: { name: string }[] };
    const lacking = { ...base, fields: base.fields.filter((f) => f.name !== 'event_id') };
    const dir = mkdtempSync(join(tmpdir(), 'hostile-'));
    writeFileSync(join(dir, 'lacking.avsc'), JSON.stringify(lacking));
    config = parseConfig({
      kafka: { brokers, groupId: `hostile-${suffix}` },
      topics: Object.fromEntries(['inference', 'training', 'alerts', 'results', 'deadLetter', 'labels', 'performance'].map((t) => [t, `hostile.${t}.${suffix}`])),
      metrics: { port: 0 },
      logLevel: 'error',
      processor: { maxMessageBytes: 2048 },
      codec: { writerSchemas: [{ id: 77, file: join(dir, 'lacking.avsc') }] },
      models: [{ id: 'm', window: { size: '1h', grace: '0s', idle: '1h' }, features: [{ name: 'x', type: 'numeric' }, { name: 'c', type: 'categorical' }] }],
    });
    const kafka = createKafka(config);
    await createTopics(kafka, config, { partitions: 1 });
    runner = new Runner({ config, logger: pino({ level: 'error' }), registry: new Registry(), clock: systemClock, writerSchemas: loadWriterSchemas(config) });
    await runner.start();

    const r = rng(99);
    const lackingType = avro.Type.forSchema(lacking as avro.Schema, { wrapUnions: true });
    const framed = (id: number, body: Buffer) => Buffer.concat([Buffer.from([0, (id >>> 24) & 255, (id >>> 16) & 255, (id >>> 8) & 255, id & 255]), body]);
    const event = (t: number, features: Record<string, number | string | null>, model = 'm') => encodeEvent(types.inference, 'inference', { model_id: model, model_version: 'v1', event_id: randomUUID(), event_time: t, features });
    const bad: Record<(typeof KINDS)[number], (t: number) => Buffer> = {
      undecodable: () => Buffer.from(`garbage ${r()}`),
      unknown_schema_id: (t) => framed(4242, event(t, { x: 1, c: 'a' })),
      wrong_type: (t) => event(t, { x: 'high', c: 'a' }),
      missing_field: (t) => framed(77, lackingType.toBuffer({ model_id: 'm', model_version: 'v1', event_time: t, features: { x: { double: 1 } }, prediction: null, attributes: {} })),
      oversized: (t) => event(t, { x: 1, c: 'z'.repeat(3000) }),
      late_event: () => event(T0, { x: 1, c: 'a' }), // hour 0, sent once stream time is past it
      unknown_model: (t) => event(t, { x: 1 }, 'intruder'),
      invalid_value: (t) => event(t, { x: Infinity, c: 'a' }),
    };
    const messages: { key: string; value: Buffer; headers: Record<string, string> }[] = [];
    for (let i = 0; i < 10_000; i++) {
      const t = T0 + Math.floor((i / 10_000) * 5 * H);
      const trace = `m${i}`;
      let value: Buffer;
      // 1,000 valid events, then valid and bad alternating, then 1,000 bad: 5,000 of each.
      if (i < 1000 || (i < 9000 && i % 2 === 0)) {
        value = event(t, { x: normal(r), c: r() < 0.5 ? 'a' : 'b' });
        valid++;
      } else {
        let kind = KINDS[i % KINDS.length];
        // A late event needs a window that has closed: stream time past the first hour.
        if (kind === 'late_event' && t <= T0 + H) kind = 'undecodable';
        value = bad[kind](t);
        expected.set(kind, (expected.get(kind) ?? 0) + 1);
      }
      messages.push({ key: 'm', value, headers: { trace } });
      sent.set(trace, { key: 'm', value });
    }
    const producer = idempotentProducer(kafka);
    await producer.connect();
    for (let i = 0; i < messages.length; i += 500) await producer.send({ topic: config.topics.inference, messages: messages.slice(i, i + 500), acks: -1 });
    await producer.disconnect();
  });

  afterAll(async () => {
    await runner?.stop();
  });

  it('dead-letters exactly the bad messages, each with its reason and its original key, value and headers', async () => {
    const rejected = [...expected.values()].reduce((a, b) => a + b, 0);
    expect([valid, rejected]).toEqual([5000, 5000]);
    const dead = await readTopic(createKafka(config), config.topics.deadLetter, (n) => n >= rejected, 120_000);
    expect(dead).toHaveLength(rejected);
    const byReason = new Map<string, number>();
    for (const d of dead) {
      byReason.set(d.headers['driftline.reason'], (byReason.get(d.headers['driftline.reason']) ?? 0) + 1);
      const original = sent.get(d.headers.trace)!;
      expect(d.key).toBe(original.key);
      expect(d.value.equals(original.value)).toBe(true);
      expect(d.headers['driftline.source.topic']).toBe(config.topics.inference);
      expect(Number(d.headers['driftline.source.offset'])).toBeGreaterThanOrEqual(0);
    }
    expect(Object.fromEntries(byReason)).toEqual(Object.fromEntries(expected));
    expect(new Set(byReason.keys())).toEqual(new Set(KINDS));
  });

  it('keeps running, with accepted and rejected counts exact in /metrics', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${runner.metricsPort}/metrics`)).text();
    const sum = (name: string, filter = '') => metrics.split('\n').filter((l) => l.startsWith(`${name}{`) && l.includes(filter)).reduce((a, l) => a + Number(l.split(' ').pop()), 0);
    expect(sum('driftline_events_consumed_total', `topic="${config.topics.inference}"`)).toBe(valid);
    for (const [reason, n] of expected) expect(sum('driftline_events_rejected_total', `reason="${reason}"`)).toBe(n);
    expect(sum('driftline_late_events_total')).toBe(expected.get('late_event'));
    expect((await fetch(`http://127.0.0.1:${runner.metricsPort}/readyz`)).status).toBe(200);
  });
});
