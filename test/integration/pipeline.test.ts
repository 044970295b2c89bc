/**
 * End to end on a real broker: training events, then serving traffic in which one numeric and one
 * categorical feature shift for two windows. Every window gets a WindowResult; FIRING alerts come
 * only for the shifted features and RESOLVED when the shift ends; bad messages go to the
 * dead-letter topic; /metrics shows the scores.
 */
import { randomUUID } from 'node:crypto';
import { Partitioners, type Kafka } from 'kafkajs';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config.js';
import { encodeEvent } from '../../src/codec/event.js';
import { loadTypes } from '../../src/codec/schemas.js';
import type { DriftAlert } from '../../src/detect/alerts.js';
import type { WindowResult } from '../../src/detect/evaluate.js';
import { createKafka, createTopics } from '../../src/io/kafka.js';
import { Runner } from '../../src/io/runner.js';
import { systemClock } from '../../src/processor.js';
import { normal, rng } from '../processor/driver.js';
import { readTopic } from './kafka.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 5);

describe('driftline run on a real Kafka broker', () => {
  const brokers = (inject('kafkaBrokers' as never) as string).split(',');
  const suffix = randomUUID().slice(0, 8);
  let config: Config;
  let kafka: Kafka;
  let runner: Runner;
  const types = loadTypes();
  const valid = { count: 0 };

  beforeAll(async () => {
    config = parseConfig({
      kafka: { brokers, groupId: `driftline-it-${suffix}` },
      topics: { inference: `it.inference.${suffix}`, training: `it.training.${suffix}`, alerts: `it.alerts.${suffix}`, results: `it.results.${suffix}`, deadLetter: `it.dlq.${suffix}` },
      metrics: { port: 0 },
      processor: { tickIntervalMs: 200 },
      logLevel: 'warn',
      models: [{
        id: 'housing',
        window: { size: '1h', grace: '0s', idle: '3s' },
        features: [
          { name: 'income', type: 'numeric' },
          { name: 'rooms', type: 'numeric' },
          { name: 'ocean', type: 'categorical' },
          { name: 'region', type: 'categorical' },
        ],
      }],
    });
    kafka = createKafka(config);
    await createTopics(kafka, config, { partitions: 2 });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const r = rng(11);
    const ocean = (shift: boolean) => { const u = r(); return shift ? (u < 0.2 ? 'INLAND' : u < 0.3 ? 'NEAR BAY' : 'ISLAND') : (u < 0.5 ? 'INLAND' : u < 0.9 ? 'NEAR BAY' : 'ISLAND'); };
    const region = () => (r() < 0.5 ? 'north' : 'south');
    const training = Array.from({ length: 3000 }, (_, i) => ({
      key: 'housing',
      value: encodeEvent(types.training, 'training', { model_id: 'housing', model_version: 'v1', event_id: `t${i}`, event_time: T0 - H, features: { income: 3 + normal(r), rooms: 5 + normal(r), ocean: ocean(false), region: region() } }),
    }));
    await producer.send({ topic: config.topics.training, messages: training, acks: -1 });

    runner = new Runner({ config, logger: pino({ level: 'warn' }), registry: new Registry(), clock: systemClock });
    await runner.start();

    // Six hourly windows of 400 events; income and ocean shift in windows 2 and 3.
    const messages: { key: string; value: Buffer }[] = [];
    for (let w = 0; w < 6; w++) {
      const shift = w === 2 || w === 3;
      for (let i = 0; i < 400; i++) {
        const t = T0 + w * H + Math.floor((i * H) / 400);
        messages.push({ key: 'housing', value: encodeEvent(types.inference, 'inference', { model_id: 'housing', model_version: 'v1', event_id: `e${w}-${i}`, event_time: t, features: { income: 3 + normal(r) + (shift ? 2 : 0), rooms: 5 + normal(r), ocean: ocean(shift), region: region() }, prediction: r() }) });
        valid.count++;
        if (w === 1 && i === 100) {
          messages.push({ key: 'housing', value: Buffer.from('definitely not avro') });
          messages.push({ key: 'other', value: encodeEvent(types.inference, 'inference', { model_id: 'unconfigured', model_version: 'v1', event_id: 'x', event_time: t, features: { income: 1 } }) });
          messages.push({ key: 'housing', value: encodeEvent(types.inference, 'inference', { model_id: 'housing', model_version: 'v1', event_id: 'y', event_time: t, features: { income: 'lots', rooms: 1, ocean: 'INLAND', region: 'north' } }) });
        }
      }
    }
    for (let i = 0; i < messages.length; i += 500) await producer.send({ topic: config.topics.inference, messages: messages.slice(i, i + 500), acks: -1 });
    await producer.disconnect();
  });

  afterAll(async () => {
    await runner?.stop();
  });

  it('publishes a WindowResult for every window, the last one closed by idleness', async () => {
    const records = await readTopic(kafka, config.topics.results, (n) => n >= 6);
    const results = records.map((m) => types.windowResult.fromBuffer(m.value) as WindowResult);
    expect(results.map((x) => (x.window_start - T0) / H)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(results.every((x) => x.status === 'OK' && x.rows === 400 && x.model_id === 'housing')).toBe(true);
    expect(records.every((m) => m.key === 'housing')).toBe(true);
  });

  it('fires only for the shifted features and resolves when the shift ends', async () => {
    const records = await readTopic(kafka, config.topics.alerts, (n) => n >= 6, 30_000);
    const alerts = records.map((m) => types.driftAlert.fromBuffer(m.value) as DriftAlert);
    // Two of four features shifted: the dataset-level share (0.5) reaches its default threshold too.
    expect(alerts.map((a) => `${a.status} ${a.feature} ${a.metric} ${(a.window_start - T0) / H}`).sort()).toEqual([
      'FIRING * drift_share 2', 'FIRING income psi 2', 'FIRING ocean linf 2', 'RESOLVED * drift_share 4', 'RESOLVED income psi 4', 'RESOLVED ocean linf 4',
    ]);
    expect(alerts.every((a) => a.kind === 'SKEW')).toBe(true);
    expect(alerts.every((a) => a.reference_rows === 3000 && /^[0-9a-f]{32}$/.test(a.alert_id))).toBe(true);
  });

  it('dead-letters bad messages with the reason and original key and value, and counts everything exactly', async () => {
    const dead = await readTopic(kafka, config.topics.deadLetter, (n) => n >= 3, 30_000);
    expect(dead.map((d) => d.headers['driftline.reason']).sort()).toEqual(['undecodable', 'unknown_model', 'wrong_type']);
    const undecodable = dead.find((d) => d.headers['driftline.reason'] === 'undecodable')!;
    expect(undecodable.value.toString()).toBe('definitely not avro');
    expect(undecodable.key).toBe('housing');
    expect(undecodable.headers['driftline.source.topic']).toBe(config.topics.inference);
    const metrics = await (await fetch(`http://127.0.0.1:${runner.metricsPort}/metrics`)).text();
    const value = (line: RegExp) => Number(metrics.split('\n').find((l) => line.test(l))?.split(' ').pop());
    expect(value(new RegExp(`^driftline_events_consumed_total\\{topic="${config.topics.inference.replace(/\./g, '\\.')}",model="housing"\\}`))).toBe(valid.count);
    expect(value(/^driftline_events_rejected_total\{.*reason="undecodable"/)).toBe(1);
    expect(value(/^driftline_events_rejected_total\{.*reason="unknown_model"/)).toBe(1);
    expect(value(/^driftline_events_rejected_total\{.*reason="wrong_type"/)).toBe(1);
    expect(metrics).toMatch(/driftline_feature_drift_score\{model="housing",version="v1",feature="income",metric="psi"\} [0-9.e-]+/);
    expect(metrics).toMatch(/driftline_feature_drift_alert\{model="housing",version="v1",feature="income",metric="psi"\} 0/);
    expect(value(/^driftline_windows_closed_total\{model="housing"\}/)).toBe(6);
    expect(value(/^driftline_reference_rows\{model="housing",version="v1"\}/)).toBe(3000);
    const ready = await fetch(`http://127.0.0.1:${runner.metricsPort}/readyz`);
    expect(ready.status).toBe(200);
  });
});


