/**
 * Metrics when a model's partition moves to another instance, on a real broker: instance A
 * processes two models (one partition each) and both fire; instance B joins the group and
 * takes one partition. A then no longer shows the moved model's score and alert series (a stale
 * series would stay there for ever and, over worker threads, win the max merge), and B shows the
 * moved model's alert state as read back from the alerts topic, before any new event arrives.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { encodeEvent } from '../../src/codec/event.js';
import { loadTypes } from '../../src/codec/schemas.js';
import type { DriftAlert } from '../../src/detect/alerts.js';
import { createKafka, createTopics } from '../../src/io/kafka.js';
import { normal, rng } from '../processor/driver.js';
import { httpStatus, kafkaClient, readToEnd, waitFor, writeConfig, startDriftline, type Proc } from './support/driftline.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 5, 1);
const types = loadTypes();

/** The /metrics lines of `name` whose labels include `labels`, as [labels text, value]. */
async function series(port: number, name: string, labels: Record<string, string>): Promise<[string, number][]> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out: [string, number][] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    out.push([line.slice(name.length, line.lastIndexOf(' ')), Number(line.split(' ').pop())]);
  }
  return out;
}

describe('a model moving to another instance', () => {
  const brokers = (inject('kafkaBrokers' as never) as string).split(',');
  const procs: Proc[] = [];

  afterAll(() => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  });

  it('leaves no series of it behind, and the new owner shows its alert state at once', async () => {
    const sfx = randomUUID().slice(0, 8);
    const raw = {
      kafka: { brokers, groupId: `handover-${sfx}` },
      topics: { inference: `ho.inference.${sfx}`, training: `ho.training.${sfx}`, results: `ho.results.${sfx}`, alerts: `ho.alerts.${sfx}`, deadLetter: `ho.dlq.${sfx}` },
      metrics: { port: 0 },
      processor: { tickIntervalMs: 200 },
      logLevel: 'info',
      models: ['m0', 'm1'].map((id) => ({ id, window: { size: '1h', grace: '0s', idle: '1h' }, features: [{ name: 'x', type: 'numeric' }] })),
    };
    const config = parseConfig(raw);
    await createTopics(createKafka(config), config, { partitions: 2 });
    const producer = kafkaClient(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const r = rng(9);
    for (const m of ['m0', 'm1']) {
      await producer.send({ topic: config.topics.training, acks: -1, messages: Array.from({ length: 500 }, (_, i) => ({ key: m, value: encodeEvent(types.training, 'training', { model_id: m, model_version: 'v1', event_id: `t${i}`, event_time: T0 - H, features: { x: normal(r) } }) })) });
    }
    // Two hourly windows per model, closed by an event of the third hour; both drift (x + 2), so
    // whichever model moves has a firing alert to carry over.
    const inference = [];
    for (const [p, m] of ['m0', 'm1'].entries()) {
      for (let i = 0; i < 800; i++) inference.push({ key: m, partition: p, value: encodeEvent(types.inference, 'inference', { model_id: m, model_version: 'v1', event_id: `${m}-${i}`, event_time: T0 + Math.floor(i * (2 * H) / 800), features: { x: normal(r) + 2 } }) });
      inference.push({ key: m, partition: p, value: encodeEvent(types.inference, 'inference', { model_id: m, model_version: 'v1', event_id: `${m}-end`, event_time: T0 + 2 * H, features: { x: 0 } }) });
    }
    await producer.send({ topic: config.topics.inference, acks: -1, messages: inference });
    await producer.disconnect();

    // Instance A alone: both windows of both models, and their alerts fire.
    const portA = 29_000 + Math.floor(Math.random() * 400);
    const a = startDriftline(writeConfig(raw), { DRIFTLINE_METRICS_PORT: String(portA) });
    procs.push(a);
    await waitFor('A ready', async () => (await httpStatus(portA, '/readyz')) === 200, 90_000);
    for (const m of ['m0', 'm1']) await waitFor(`${m} firing on A`, async () => (await series(portA, 'driftline_feature_drift_alert', { model: m, feature: 'x' })).some(([, v]) => v === 1), 60_000, 300);
    const firing = (await readToEnd(brokers, config.topics.alerts)).map((x) => types.driftAlert.fromBuffer(x.value!) as DriftAlert).filter((x) => x.status === 'FIRING');
    expect(new Set(firing.map((x) => x.model_id))).toEqual(new Set(['m0', 'm1']));

    // Instance B joins: the group gives it one of the two partitions.
    const portB = portA + 500;
    const b = startDriftline(writeConfig(raw), { DRIFTLINE_METRICS_PORT: String(portB) });
    procs.push(b);
    let moved = '';
    await waitFor('B assigned a partition', () => {
      const line = b.log.find((l) => /assigned partitions \d/.test(l));
      const m = line?.match(/assigned partitions (\d)/);
      if (m) moved = `m${m[1]}`;
      return moved !== '';
    }, 90_000, 300);
    const stayed = moved === 'm0' ? 'm1' : 'm0';
    await waitFor('A no longer shows the moved model', async () => (await series(portA, 'driftline_feature_drift_score', { model: moved })).length === 0, 60_000, 300);
    expect(await series(portA, 'driftline_feature_drift_alert', { model: moved })).toEqual([]);
    // The model that stayed keeps its series on A (its partition is rebuilt there, not released).
    expect((await series(portA, 'driftline_feature_drift_score', { model: stayed })).length).toBeGreaterThan(0);
    // B shows the moved model's firing alert, read back from the alerts topic (no new event came),
    // and nothing of the model that stayed on A.
    await waitFor(`B shows ${moved}'s firing alert`, async () => (await series(portB, 'driftline_feature_drift_alert', { model: moved, feature: 'x' })).some(([, v]) => v === 1), 60_000, 300);
    expect(await series(portB, 'driftline_feature_drift_alert', { model: stayed })).toEqual([]);
    expect(b.log.some((l) => l.includes('moved to another instance'))).toBe(false);
    expect(a.log.some((l) => l.includes(`model ${moved} moved to another instance or worker`))).toBe(true);

    for (const p of [a, b]) p.child.kill('SIGTERM');
    for (const p of [a, b]) expect((await p.exited).code).toBe(0);
  }, 240_000);
});
