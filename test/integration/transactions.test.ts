/**
 * kafka.transactions: results, alerts, dead letters and the consumer offsets in one Kafka
 * transaction. A read_committed consumer sees every window result; the group's committed offsets
 * and checkpoints are there too.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config.js';
import { encodeEvent } from '../../src/codec/event.js';
import { loadTypes } from '../../src/codec/schemas.js';
import type { DriftAlert } from '../../src/detect/alerts.js';
import type { WindowResult } from '../../src/detect/evaluate.js';
import { createKafka, createTopics, idempotentProducer } from '../../src/io/kafka.js';
import { Runner } from '../../src/io/runner.js';
import { systemClock } from '../../src/processor.js';
import { normal, rng } from '../processor/driver.js';
import { readTopic } from './kafka.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 3, 6);

describe('kafka.transactions on a real broker', () => {
  const brokers = inject('kafkaBrokers').split(',');
  const suffix = randomUUID().slice(0, 8);
  const types = loadTypes();
  let config: Config;
  let runner: Runner;

  beforeAll(async () => {
    config = parseConfig({
      kafka: { brokers, groupId: `txn-${suffix}`, transactions: true },
      topics: Object.fromEntries(['inference', 'training', 'alerts', 'results', 'deadLetter', 'labels', 'performance'].map((t) => [t, `txn.${t}.${suffix}`])),
      metrics: { port: 0 },
      logLevel: 'error',
      models: [{ id: 'm', window: { size: '1h', idle: '3s' }, features: [{ name: 'x', type: 'numeric' }] }],
    });
    const kafka = createKafka(config);
    await createTopics(kafka, config, { partitions: 2 });
    const producer = idempotentProducer(kafka);
    await producer.connect();
    const r = rng(5);
    await producer.send({ topic: config.topics.training, messages: Array.from({ length: 1000 }, (_, i) => ({ key: 'm', value: encodeEvent(types.training, 'training', { model_id: 'm', model_version: 'v1', event_id: `t${i}`, event_time: 0, features: { x: normal(r) } }) })), acks: -1 });
    runner = new Runner({ config, logger: pino({ level: 'error' }), registry: new Registry(), clock: systemClock });
    await runner.start();
    const messages = [];
    for (let w = 0; w < 5; w++) for (let i = 0; i < 300; i++) messages.push({ key: 'm', value: encodeEvent(types.inference, 'inference', { model_id: 'm', model_version: 'v1', event_id: `e${w}-${i}`, event_time: T0 + w * H + i * 10_000, features: { x: normal(r) + (w === 2 ? 2 : 0) } }) });
    messages.push({ key: 'm', value: Buffer.from('not avro') });
    await producer.send({ topic: config.topics.inference, messages, acks: -1 });
    await producer.disconnect();
  });

  afterAll(async () => {
    await runner?.stop();
  });

  it('publishes every result, alert and dead letter in committed transactions, with the offsets', async () => {
    const kafka = createKafka(config);
    const results = (await readTopic(kafka, config.topics.results, (n) => n >= 5, 60_000)).map((m) => types.windowResult.fromBuffer(m.value) as WindowResult);
    expect(results.map((x) => (x.window_start - T0) / H).sort()).toEqual([0, 1, 2, 3, 4]);
    const alerts = (await readTopic(kafka, config.topics.alerts, (n) => n >= 4, 30_000)).map((m) => types.driftAlert.fromBuffer(m.value) as DriftAlert);
    // One feature: the dataset-level share (1 of 1) fires and resolves with it.
    expect(alerts.map((a) => `${a.status} ${a.feature} ${(a.window_start - T0) / H}`).sort()).toEqual(['FIRING * 2', 'FIRING x 2', 'RESOLVED * 3', 'RESOLVED x 3']);
    const dead = await readTopic(kafka, config.topics.deadLetter, (n) => n >= 1, 30_000);
    expect(dead.map((d) => d.headers['driftline.reason'])).toEqual(['undecodable']);
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: config.kafka.groupId, topics: [config.topics.inference] });
    await admin.disconnect();
    const committed = offsets[0].partitions.filter((p) => Number(p.offset) > 0);
    expect(committed.length).toBe(1);
    expect(JSON.parse(committed[0].metadata!)).toHaveProperty('streamTime.m');
  });
});
