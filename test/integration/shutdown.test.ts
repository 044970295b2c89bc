/**
 * Shutdown and broker availability of `driftline run` as a child process:
 *  - SIGTERM and SIGINT: it stops fetching, flushes, commits and exits 0 within the 15 s bound of
 *    src/cli/run.ts (the measured time is printed); after a restart no window result is missing or
 *    different;
 *  - broker down at start: /readyz is 503 and the process stays alive; once a broker appears on that
 *    port (deploy/kafka/kafka.sh, port DRIFTLINE_DOWN_KAFKA_PORT, default 28192, below the ephemeral port range) it connects,
 *    processes, and /readyz is 200.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { encodeEvent } from '../../src/codec/event.js';
import { loadTypes } from '../../src/codec/schemas.js';
import type { WindowResult } from '../../src/detect/evaluate.js';
import { createKafka, createTopics } from '../../src/io/kafka.js';
import { normal, rng } from '../processor/driver.js';
import { freePort, httpStatus, kafkaClient, kafkaSh, readToEnd, sleep, startDriftline, waitAlive, waitFor, writeConfig, type Proc } from './support/driftline.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 2, 2);
const WINDOWS = 8;
const PER_WINDOW = 1500;
const types = loadTypes();
const procs: Proc[] = [];

function config(brokers: string[], suffix: string) {
  return {
    kafka: { brokers, groupId: `shutdown-${suffix}` },
    topics: { inference: `sd.inference.${suffix}`, training: `sd.training.${suffix}`, results: `sd.results.${suffix}`, alerts: `sd.alerts.${suffix}`, deadLetter: `sd.dlq.${suffix}` },
    metrics: { port: 0 },
    processor: { tickIntervalMs: 200 },
    logLevel: 'info',
    models: [{ id: 'm', window: { size: '1h', grace: '5m', idle: '1h' }, features: [{ name: 'x', type: 'numeric' }, { name: 'c', type: 'categorical' }] }],
  };
}

async function setup(brokers: string[], suffix: string) {
  const c = parseConfig(config(brokers, suffix));
  await createTopics(createKafka(c), c, { partitions: 2 });
  await sleep(1000);
  const producer = kafkaClient(brokers).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const r = rng(3);
  await producer.send({ topic: c.topics.training, acks: -1, messages: Array.from({ length: 1000 }, (_, i) => ({ key: 'm', value: encodeEvent(types.training, 'training', { model_id: 'm', model_version: 'v1', event_id: `t${i}`, event_time: T0 - H, features: { x: normal(r), c: r() < 0.5 ? 'a' : 'b' } }) })) });
  const msgs = [];
  for (let w = 0; w < WINDOWS; w++) for (let i = 0; i < PER_WINDOW; i++) msgs.push({ key: 'm', partition: 0, value: encodeEvent(types.inference, 'inference', { model_id: 'm', model_version: 'v1', event_id: `${w}-${i}`, event_time: T0 + w * H + Math.floor((i * H) / PER_WINDOW), features: { x: normal(r) + (w === 4 ? 2 : 0), c: r() < 0.5 ? 'a' : 'b' } }) });
  msgs.push({ key: 'm', partition: 0, value: encodeEvent(types.inference, 'inference', { model_id: 'm', model_version: 'v1', event_id: 'end', event_time: T0 + 1000 * H, features: { x: 0, c: 'a' } }) });
  for (let i = 0; i < msgs.length; i += 3000) await producer.send({ topic: c.topics.inference, acks: -1, messages: msgs.slice(i, i + 3000) });
  await producer.disconnect();
  return c;
}

async function start(file: string, extra: Record<string, string> = {}) {
  const port = await freePort();
  const p = Object.assign(startDriftline(file, { DRIFTLINE_METRICS_PORT: String(port), ...extra }), { port });
  procs.push(p);
  return p;
}

async function windowResults(brokers: string[], topic: string) {
  const byId = new Map<string, WindowResult>();
  for (const m of await readToEnd(brokers, topic)) {
    const r = types.windowResult.fromBuffer(m.value!) as WindowResult;
    if (byId.has(r.result_id)) expect(r).toEqual(byId.get(r.result_id));
    byId.set(r.result_id, r);
  }
  return byId;
}

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
});

describe('driftline run: graceful shutdown', () => {
  it('SIGTERM and SIGINT each flush, commit and exit 0 within 15 s; after restarts every window result is there, once per id and identical', async () => {
    const brokers = (inject('kafkaBrokers') as string).split(',');
    const suffix = randomUUID().slice(0, 8);
    const c = await setup(brokers, suffix);
    const file = writeConfig(config(brokers, suffix));
    const timings: string[] = [];
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGTERM'] as const) {
      // Small fetches so that the signal arrives mid-stream.
      const p = await start(file, { DRIFTLINE_MAX_BYTES_PER_PARTITION: '8192' });
      await waitAlive(p, 'readiness', async () => (await httpStatus(p.port, '/readyz')) === 200, 90_000);
      await sleep(1000);
      const t = Date.now();
      p.child.kill(signal);
      const exit = await p.exited;
      const ms = exit.at - t;
      timings.push(`${signal}: exit ${exit.code} after ${ms} ms`);
      expect(exit.code, p.log.slice(-10).join('\n')).toBe(0);
      expect(ms).toBeLessThan(15_000);
      expect(p.log.some((l) => l.includes('stopped cleanly'))).toBe(true);
    }
    const last = await start(file);
    await waitAlive(last, 'readiness', async () => (await httpStatus(last.port, '/readyz')) === 200, 90_000);
    await waitFor(`${WINDOWS} results`, async () => (await windowResults(brokers, c.topics.results)).size >= WINDOWS, 120_000, 2000);
    last.child.kill('SIGTERM');
    const exit = await last.exited;
    expect(exit.code).toBe(0);
    const results = await windowResults(brokers, c.topics.results);
    console.log(`shutdown timings: ${timings.join('; ')}; final results ${results.size}`);
    expect([...results.values()].map((r) => (r.window_start - T0) / H).sort((a, b) => a - b)).toEqual([...Array(WINDOWS).keys()]);
    for (const r of results.values()) expect(r.rows).toBe(PER_WINDOW);
  });
});

describe('driftline run: broker down at start', () => {
  const PORT = Number(process.env.DRIFTLINE_DOWN_KAFKA_PORT ?? 28192);
  afterAll(async () => {
    await kafkaSh(PORT, 'stop');
  });

  it('stays alive and not ready without a broker, then connects and processes once one starts', async () => {
    const brokers = [`127.0.0.1:${PORT}`];
    await kafkaSh(PORT, 'stop');
    const suffix = randomUUID().slice(0, 8);
    const p = await start(writeConfig(config(brokers, suffix)));
    await waitFor('the metrics endpoint', async () => (await httpStatus(p.port, '/healthz')) === 200, 60_000);
    for (let i = 0; i < 5; i++) {
      expect(await httpStatus(p.port, '/readyz')).toBe(503);
      await sleep(1000);
    }
    expect(p.child.exitCode).toBeNull();
    expect(await kafkaSh(PORT, 'start')).toBe(0);
    const c = await setup(brokers, suffix);
    expect(p.child.exitCode, p.log.slice(-10).join('\n')).toBeNull();
    await waitFor('readiness after the broker came up', async () => (await httpStatus(p.port, '/readyz')) === 200, 90_000).catch((err) => {
      throw new Error(`${(err as Error).message}\n${p.log.slice(-15).join('\n')}`);
    });
    await waitFor(`${WINDOWS} results`, async () => (await windowResults(brokers, c.topics.results)).size >= WINDOWS, 90_000, 2000);
    p.child.kill('SIGTERM');
    expect((await p.exited).code).toBe(0);
  });
});
