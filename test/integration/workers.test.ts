/**
 * `driftline run` with processor.workers: 2, as a child process on a real broker: the two worker
 * threads share the inference partitions as members of one consumer group, every window of every
 * model gets exactly one result, the drifted model alone fires, /metrics merges the workers'
 * counters exactly, /readyz answers for both, and SIGTERM stops the process cleanly.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { encodeEvent } from '../../src/codec/event.js';
import { loadTypes } from '../../src/codec/schemas.js';
import type { DriftAlert } from '../../src/detect/alerts.js';
import type { WindowResult } from '../../src/detect/evaluate.js';
import { createKafka, createTopics } from '../../src/io/kafka.js';
import { normal, rng } from '../processor/driver.js';
import { httpStatus, kafkaClient, metric, readToEnd, waitFor, writeConfig, startDriftline, type Proc } from './support/driftline.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 4, 4);
const MODELS = 4;
const WINDOWS = 3;
const PER_WINDOW = 600;
const types = loadTypes();

describe('driftline run with two worker threads', () => {
  const brokers = (inject('kafkaBrokers' as never) as string).split(',');
  const suffix = randomUUID().slice(0, 8);
  let proc: Proc | null = null;

  afterAll(() => {
    if (proc && proc.child.exitCode === null) proc.child.kill('SIGKILL');
  });

  it('splits the partitions between the workers and loses or repeats nothing', async () => {
    const raw = {
      kafka: { brokers, groupId: `workers-${suffix}` },
      topics: { inference: `wk.inference.${suffix}`, training: `wk.training.${suffix}`, results: `wk.results.${suffix}`, alerts: `wk.alerts.${suffix}`, deadLetter: `wk.dlq.${suffix}` },
      metrics: { port: 0 },
      processor: { tickIntervalMs: 200, workers: 2 },
      logLevel: 'info',
      models: Array.from({ length: MODELS }, (_, m) => ({ id: `m${m}`, window: { size: '1h', grace: '0s', idle: '3s' }, features: [{ name: 'x', type: 'numeric' }, { name: 'c', type: 'categorical' }] })),
    };
    const config = parseConfig(raw);
    await createTopics(createKafka(config), config, { partitions: MODELS });
    const producer = kafkaClient(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const r = rng(21);
    const training = [];
    for (let m = 0; m < MODELS; m++) {
      for (let i = 0; i < 1000; i++) training.push({ key: `m${m}`, value: encodeEvent(types.training, 'training', { model_id: `m${m}`, model_version: 'v1', event_id: `t${m}-${i}`, event_time: T0 - H, features: { x: normal(r), c: r() < 0.5 ? 'a' : 'b' } }) });
    }
    await producer.send({ topic: config.topics.training, acks: -1, messages: training });
    // Model m on partition m; model m2 shifts in window 1.
    const inference = [];
    for (let m = 0; m < MODELS; m++) {
      for (let w = 0; w < WINDOWS; w++) {
        for (let i = 0; i < PER_WINDOW; i++) {
          const shift = m === 2 && w === 1 ? 3 : 0;
          inference.push({ key: `m${m}`, partition: m, value: encodeEvent(types.inference, 'inference', { model_id: `m${m}`, model_version: 'v1', event_id: `${m}-${w}-${i}`, event_time: T0 + w * H + Math.floor((i * H) / PER_WINDOW), features: { x: normal(r) + shift, c: r() < 0.5 ? 'a' : 'b' } }) });
        }
      }
    }
    for (let i = 0; i < inference.length; i += 2000) await producer.send({ topic: config.topics.inference, acks: -1, messages: inference.slice(i, i + 2000) });
    await producer.disconnect();

    const port = 28_500 + Math.floor(Math.random() * 400);
    proc = startDriftline(writeConfig(raw), { DRIFTLINE_METRICS_PORT: String(port) });
    const p = proc;
    await waitFor('/readyz 200 from both workers', async () => (await httpStatus(port, '/readyz')) === 200, 90_000);
    const expected = MODELS * WINDOWS;
    let results: WindowResult[] = [];
    await waitFor(`${expected} window results`, async () => {
      results = (await readToEnd(brokers, config.topics.results)).map((m) => types.windowResult.fromBuffer(m.value!) as WindowResult);
      return results.length >= expected;
    }, 90_000, 500);

    // Exactly one result per model and window.
    const ids = results.map((x) => `${x.model_id}@${x.window_start}`).sort();
    const want = [];
    for (let m = 0; m < MODELS; m++) for (let w = 0; w < WINDOWS; w++) want.push(`m${m}@${T0 + w * H}`);
    expect(ids).toEqual(want.sort());
    for (const x of results) expect(x.rows).toBe(PER_WINDOW);

    // Both workers own partitions: each logs its assignment, and together they cover all four.
    const assigned = new Map<number, number[]>();
    for (const line of p.log) {
      if (!line.includes('"msg":"assigned partitions')) continue;
      const rec = JSON.parse(line) as { worker?: number; partitions: number[] };
      if (rec.worker !== undefined) assigned.set(rec.worker, rec.partitions);
    }
    expect([...assigned.keys()].sort()).toEqual([0, 1]);
    for (const parts of assigned.values()) expect(parts.length).toBeGreaterThan(0);
    expect([...assigned.values()].flat().sort()).toEqual([0, 1, 2, 3]);

    // The merged /metrics: consumed counts add up exactly; readiness is the workers' minimum (1).
    expect(await metric(port, 'driftline_events_consumed_total', { topic: config.topics.inference })).toBe(MODELS * WINDOWS * PER_WINDOW);
    expect(await metric(port, 'driftline_windows_closed_total')).toBe(expected);
    expect(await metric(port, 'driftline_ready')).toBe(1);
    // Every worker reads the whole training topic: the reference size is not multiplied by two.
    expect(await metric(port, 'driftline_reference_rows', { model: 'm0' })).toBe(1000);

    // Drift only in m2's window 1: its numeric feature, and so half of its features (the dataset-level share).
    const alerts = (await readToEnd(brokers, config.topics.alerts)).map((m) => types.driftAlert.fromBuffer(m.value!) as DriftAlert);
    expect(alerts.filter((a) => a.status === 'FIRING').map((a) => `${a.model_id}/${a.feature}/${a.metric}`).sort()).toEqual(['m2/*/drift_share', 'm2/x/psi']);

    // SIGTERM: both workers publish, commit and leave; the process exits 0 within the 15 s bound.
    // (The CLI exits 1 if stopping takes longer than that.)
    p.child.kill('SIGTERM');
    const exit = await p.exited;
    expect(exit.code).toBe(0);
    expect(p.log.filter((l) => l.includes('stopped cleanly'))).toHaveLength(1);
  }, 240_000);
});
