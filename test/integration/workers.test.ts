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
import { WorkerPool } from '../../src/io/workers.js';
import pino from 'pino';
import { normal, rng } from '../processor/driver.js';
import { freePort, httpStatus, kafkaClient, metric, readToEnd, waitFor, writeConfig, startDriftline, type Proc } from './support/driftline.js';

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

    const port = await freePort();
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
    // Both kafkajs fixes (src/io/kafkajs-patch.ts) are in place in every thread: a skipped one
    // logs a warning saying it "is not applied".
    expect(p.log.filter((l) => l.includes('is not applied'))).toEqual([]);

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

  it('restarts a worker that died; its partitions go on being processed', async () => {
    const sfx = randomUUID().slice(0, 8);
    const raw = {
      kafka: { brokers, groupId: `workers-restart-${sfx}` },
      topics: { inference: `wkr.inference.${sfx}`, training: `wkr.training.${sfx}`, results: `wkr.results.${sfx}`, alerts: `wkr.alerts.${sfx}`, deadLetter: `wkr.dlq.${sfx}` },
      metrics: { port: 0 },
      processor: { tickIntervalMs: 200, workers: 2 },
      logLevel: 'warn',
      models: [{ id: 'm0', window: { size: '1h', grace: '0s', idle: '2s' }, features: [{ name: 'x', type: 'numeric' }] }, { id: 'm1', window: { size: '1h', grace: '0s', idle: '2s' }, features: [{ name: 'x', type: 'numeric' }] }],
    };
    const config = parseConfig(raw);
    await createTopics(createKafka(config), config, { partitions: 2 });
    const logged: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void logged.push(line) });
    // A thread ended from outside does not leave the group: the broker notices after the session timeout.
    const session = process.env.DRIFTLINE_SESSION_TIMEOUT_MS;
    process.env.DRIFTLINE_SESSION_TIMEOUT_MS = '6000'; // worker threads get a copy of the environment when they start
    const pool = new WorkerPool({ configPath: writeConfig(raw), workers: 2, host: '127.0.0.1', port: 0, logger });
    await pool.start();
    if (session === undefined) delete process.env.DRIFTLINE_SESSION_TIMEOUT_MS;
    else process.env.DRIFTLINE_SESSION_TIMEOUT_MS = session;
    try {
      await waitFor('both workers ready', () => pool.isReady(), 60_000);
      // End one worker thread from outside, as a crash would.
      const slots = (pool as unknown as { slots: { worker: import('node:worker_threads').Worker | null }[] }).slots;
      await slots[0].worker!.terminate();
      expect(pool.isReady()).toBe(false);
      expect(logged.some((l) => l.includes('worker 0 stopped unexpectedly') && l.includes('restarting it in 1000 ms'))).toBe(true);
      await waitFor('the restarted worker ready', () => pool.isReady(), 60_000);

      // Events of both models (one partition each) are processed after the restart.
      const producer = kafkaClient(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const r = rng(5);
      for (const m of [0, 1]) {
        await producer.send({ topic: config.topics.training, acks: -1, messages: Array.from({ length: 200 }, (_, i) => ({ key: `m${m}`, value: encodeEvent(types.training, 'training', { model_id: `m${m}`, model_version: 'v1', event_id: `t${i}`, event_time: T0 - H, features: { x: normal(r) } }) })) });
      }
      const inference = [];
      for (const m of [0, 1]) for (let i = 0; i < 300; i++) inference.push({ key: `m${m}`, partition: m, value: encodeEvent(types.inference, 'inference', { model_id: `m${m}`, model_version: 'v1', event_id: `${m}-${i}`, event_time: T0 + i * 1000, features: { x: normal(r) } }) });
      await producer.send({ topic: config.topics.inference, acks: -1, messages: inference });
      await producer.disconnect();
      let results: WindowResult[] = [];
      await waitFor('a window result of each model', async () => {
        results = (await readToEnd(brokers, config.topics.results)).map((m) => types.windowResult.fromBuffer(m.value!) as WindowResult);
        return new Set(results.map((x) => x.model_id)).size === 2;
      }, 60_000, 500);
      expect(results.map((x) => `${x.model_id}:${x.rows}`).sort()).toEqual(['m0:300', 'm1:300']);
    } finally {
      await pool.stop();
    }
  }, 180_000);
});
