/**
 * Every signal beyond feature skew on a real broker: prediction drift, data quality, volume,
 * drift against serving windows, and performance from delayed labels on their own topic.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config.js';
import { encodeEvent } from '../../src/codec/event.js';
import { loadTypes } from '../../src/codec/schemas.js';
import type { DriftAlert } from '../../src/detect/alerts.js';
import type { PerformanceResult } from '../../src/detect/performance.js';
import type { WindowResult } from '../../src/detect/evaluate.js';
import { createKafka, createTopics, idempotentProducer } from '../../src/io/kafka.js';
import { Runner } from '../../src/io/runner.js';
import { systemClock } from '../../src/processor.js';
import { normal, rng } from '../processor/driver.js';
import { readTopic } from './kafka.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 1, 2);

describe('signals beyond skew on a real Kafka broker', () => {
  const brokers = inject('kafkaBrokers').split(',');
  const suffix = randomUUID().slice(0, 8);
  const types = loadTypes();
  let config: Config;
  let runner: Runner;
  let alerts: DriftAlert[] = [];

  beforeAll(async () => {
    config = parseConfig({
      kafka: { brokers, groupId: `signals-${suffix}` },
      topics: Object.fromEntries(['inference', 'training', 'alerts', 'results', 'deadLetter', 'labels', 'performance'].map((t) => [t, `sig.${t}.${suffix}`])),
      metrics: { port: 0 },
      logLevel: 'warn',
      models: [
        {
          id: 'spam',
          window: { size: '1h', idle: '3s' },
          volume: { windows: 3, foldChange: 5 },
          features: [{ name: 'length', type: 'numeric' }, { name: 'lang', type: 'categorical' }],
          prediction: { type: 'categorical' },
          performance: { task: 'classification', positiveClass: 'spam', horizon: '3h', rules: [{ metric: 'accuracy', threshold: 0.8 }] },
        },
        { id: 'drifty', window: { size: '1h', idle: '3s' }, reference: { source: 'baseline', windows: 1 }, features: [{ name: 'x', type: 'numeric' }] },
      ],
    });
    const kafka = createKafka(config);
    await createTopics(kafka, config, { partitions: 2 });
    const producer = idempotentProducer(kafka);
    await producer.connect();
    const r = rng(21);
    const training = Array.from({ length: 2000 }, (_, i) => ({ key: 'spam', value: encodeEvent(types.training, 'training', { model_id: 'spam', model_version: 'v1', event_id: `t${i}`, event_time: T0 - H, features: { length: 100 + 20 * normal(r), lang: r() < 0.7 ? 'en' : 'de' }, label: r() < 0.3 ? 'spam' : 'ham' }) }));
    await producer.send({ topic: config.topics.training, messages: training, acks: -1 });
    runner = new Runner({ config, logger: pino({ level: 'warn' }), registry: new Registry(), clock: systemClock });
    await runner.start();

    // spam: windows 0-1 normal; 2: "length" mostly missing; 3: the filter flags 75%; 4: one tenth of the traffic; 5: normal.
    const inference: { key: string; value: Buffer }[] = [];
    const labels: { key: string; value: Buffer }[] = [];
    const windowOf: number[] = [];
    const labelWindow: number[] = [];
    for (let w = 0; w < 6; w++) {
      const n = w === 4 ? 40 : 400;
      for (let i = 0; i < n; i++) {
        const id = `s${w}-${i}`;
        const spamShare = w === 3 ? 0.75 : 0.3;
        const prediction = r() < spamShare ? 'spam' : 'ham';
        windowOf.push(w);
        inference.push({ key: 'spam', value: encodeEvent(types.inference, 'inference', { model_id: 'spam', model_version: 'v1', event_id: id, event_time: T0 + w * H + Math.floor((i * H) / n), features: { length: w === 2 && r() < 0.6 ? null : 100 + 20 * normal(r), lang: r() < 0.7 ? 'en' : 'de' }, prediction }) });
        // Labels: right 95% of the time, but only 50% in window 1 (the model is wrong for a while).
        const right = r() < (w === 1 ? 0.5 : 0.95);
        const truth = right ? prediction : prediction === 'spam' ? 'ham' : 'spam';
        labelWindow.push(w);
        labels.push({ key: 'spam', value: types.label.toBuffer({ model_id: 'spam', event_id: id, label: { string: truth }, event_time: T0 + (w + 1) * H }) });
      }
      for (let i = 0; i < 300; i++) {
        windowOf.push(w);
        inference.push({ key: 'drifty', value: encodeEvent(types.inference, 'inference', { model_id: 'drifty', model_version: 'v1', event_id: `d${w}-${i}`, event_time: T0 + w * H + i * 10_000, features: { x: normal(r) + (w === 3 ? 3 : 0) } }) });
      }
    }
    // Serving traffic window by window, the labels of each window one window later, as they would arrive.
    const send = (topic: string, messages: { key: string; value: Buffer }[]) => producer.send({ topic, messages, acks: -1 });
    for (let w = 0; w < 7; w++) {
      if (w < 6) await send(config.topics.inference, inference.filter((_, k) => windowOf[k] === w));
      if (w > 0) await send(config.topics.labels, labels.filter((_, k) => labelWindow[k] === w - 1));
      await new Promise((res) => setTimeout(res, 300));
    }
    await producer.disconnect();
    const records = await readTopic(kafka, config.topics.alerts, () => false, 25_000);
    alerts = records.map((m) => types.driftAlert.fromBuffer(m.value) as DriftAlert);
  });

  afterAll(async () => {
    await runner?.stop();
  });

  const has = (kind: string, model: string, feature: string, metric: string, status: string, window: number) =>
    alerts.some((a) => a.kind === kind && a.model_id === model && a.feature === feature && a.metric === metric && a.status === status && a.window_start === T0 + window * H);

  it('alerts of kind DATA_QUALITY for the burst of missing values', () => {
    expect(has('DATA_QUALITY', 'spam', 'length', 'missing_rate', 'FIRING', 2)).toBe(true);
    expect(has('DATA_QUALITY', 'spam', 'length', 'missing_rate', 'RESOLVED', 3)).toBe(true);
  });

  it('alerts of kind PREDICTION when the predictions shift against the training labels', () => {
    expect(has('PREDICTION', 'spam', 'prediction', 'linf', 'FIRING', 3)).toBe(true);
    expect(has('PREDICTION', 'spam', 'prediction', 'linf', 'RESOLVED', 4)).toBe(true);
  });

  it('alerts of kind VOLUME for the window with a tenth of the usual traffic', () => {
    expect(has('VOLUME', 'spam', '*', 'volume_fold_change', 'FIRING', 4)).toBe(true);
    expect(has('VOLUME', 'spam', '*', 'volume_fold_change', 'RESOLVED', 5)).toBe(true);
  });

  it('alerts of kind DRIFT against the first serving window', () => {
    expect(alerts.filter((a) => a.model_id === 'drifty' && a.feature === 'x').map((a) => `${a.kind} ${a.status} ${(a.window_start - T0) / H}`)).toEqual(['DRIFT FIRING 3', 'DRIFT RESOLVED 4']);
  });

  it('publishes performance per window from the labels topic and alerts of kind PERFORMANCE', async () => {
    const records = await readTopic(createKafka(config), config.topics.performance, (n) => n >= 6, 20_000);
    const perf = records.map((m) => types.performanceResult.fromBuffer(m.value) as PerformanceResult).sort((a, b) => a.window_start - b.window_start);
    expect(perf.map((p) => (p.window_start - T0) / H)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(perf[0]).toMatchObject({ model_id: 'spam', task: 'CLASSIFICATION', predictions: 400, labeled: 400 });
    const accuracy = perf.map((p) => p.metrics.find((m) => m.metric === 'accuracy')!.value);
    expect(accuracy[0]).toBeGreaterThan(0.9);
    expect(accuracy[1]).toBeLessThan(0.6);
    expect(has('PERFORMANCE', 'spam', '*', 'accuracy', 'FIRING', 1)).toBe(true);
    expect(has('PERFORMANCE', 'spam', '*', 'accuracy', 'RESOLVED', 2)).toBe(true);
    const results = (await readTopic(createKafka(config), config.topics.results, (n) => n >= 12, 20_000)).map((m) => types.windowResult.fromBuffer(m.value) as WindowResult);
    expect(new Set(results.filter((x) => x.model_id === 'drifty').map((x) => x.kind))).toEqual(new Set(['DRIFT']));
    expect(results.find((x) => x.model_id === 'spam')!.features.find((f) => f.feature === 'prediction')!.role).toBe('PREDICTION');
  });
});
