/**
 * Fault injection: "nothing lost, nothing counted twice".
 *
 * A fixed dataset (two models on two inference partitions, 1h tumbling windows with grace and
 * out-of-order events, drift in the middle, closed at the end by a far-future event) is produced
 * once. Run 1 processes it without interruption. Run 2 (fresh group and output topics) is killed
 * with SIGKILL at random points, sees a broker restart and a rebalance between two instances. The
 * WindowResults deduplicated by result_id, and the DriftAlerts by alert_id, must be equal.
 *
 * The test runs its own broker (deploy/kafka/kafka.sh, port DRIFTLINE_FAULTS_KAFKA_PORT, default
 * 28292: below the ephemeral port range 32768-60999, so no client socket can hold it) because it restarts it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { encodeEvent } from '../../src/codec/event.js';
import { loadTypes } from '../../src/codec/schemas.js';
import type { DriftAlert } from '../../src/detect/alerts.js';
import type { WindowResult } from '../../src/detect/evaluate.js';
import { createKafka, createTopics } from '../../src/io/kafka.js';
import { normal, rng } from '../processor/driver.js';
import { freePort, httpStatus, kafkaClient, kafkaSh, readToEnd, sleep, startDriftline, waitAlive, waitFor, writeConfig, type Proc } from './support/driftline.js';

const PORT = Number(process.env.DRIFTLINE_FAULTS_KAFKA_PORT ?? 28292);
const BROKERS = [`127.0.0.1:${PORT}`];
const H = 3_600_000;
const T0 = Date.UTC(2026, 1, 2);
const WINDOWS = 24;
const PER_WINDOW = 500;
const MODELS = ['alpha', 'beta'];
const types = loadTypes();
const suffix = randomUUID().slice(0, 8);
const input = { inference: `faults.inference.${suffix}`, training: `faults.training.${suffix}` };

function config(run: string) {
  return {
    kafka: { brokers: BROKERS, groupId: `faults-${run}-${suffix}` },
    topics: { ...input, results: `faults.results.${run}.${suffix}`, alerts: `faults.alerts.${run}.${suffix}`, deadLetter: `faults.dlq.${run}.${suffix}` },
    metrics: { port: 0 },
    processor: { tickIntervalMs: 200 },
    logLevel: 'info',
    models: MODELS.map((id) => ({
      id,
      window: { size: '1h', grace: '10m', idle: '1h' },
      features: [{ name: 'x', type: 'numeric' }, { name: 'c', type: 'categorical' }],
    })),
  };
}

async function start(file: string): Promise<Proc & { port: number }> {
  const port = await freePort();
  return Object.assign(startDriftline(file, { DRIFTLINE_METRICS_PORT: String(port), DRIFTLINE_MAX_BYTES_PER_PARTITION: '16384' }), { port });
}

async function ready(p: Proc & { port: number }, timeoutMs = 90_000) {
  await waitAlive(p, `driftline (metrics port ${p.port}) to be ready`, async () => (await httpStatus(p.port, '/readyz')) === 200, timeoutMs);
}

async function results(run: string) {
  const c = config(run);
  const res = new Map<string, WindowResult>();
  let raw = 0;
  for (const m of await readToEnd(BROKERS, c.topics.results)) {
    const r = types.windowResult.fromBuffer(m.value!) as WindowResult;
    raw++;
    const prev = res.get(r.result_id);
    if (prev) expect(r, `a duplicate of result ${r.result_id} differs from the first copy`).toEqual(prev);
    res.set(r.result_id, r);
  }
  const alerts = new Map<string, DriftAlert>();
  let rawAlerts = 0;
  for (const m of await readToEnd(BROKERS, c.topics.alerts)) {
    const a = types.driftAlert.fromBuffer(m.value!) as DriftAlert;
    rawAlerts++;
    alerts.set(a.alert_id, a);
  }
  return { res, raw, alerts, rawAlerts };
}

async function untilComplete(run: string, timeoutMs: number) {
  const expected = WINDOWS * MODELS.length;
  let last = 0;
  await waitFor(`${expected} window results of run ${run}`, async () => {
    const topic = config(run).topics.results;
    const admin = kafkaClient(BROKERS).admin();
    await admin.connect();
    const o = await admin.fetchTopicOffsets(topic).catch(() => []);
    await admin.disconnect();
    const n = o.reduce((s, x) => s + Number(x.high), 0);
    if (n < expected) return false;
    if (n === last) return (await results(run)).res.size >= expected;
    last = n;
    return false;
  }, timeoutMs, 1000);
}

describe('faults: SIGKILL, broker restart and rebalance lose and double nothing', () => {
  const file1 = writeConfig(config('r1'));
  const file2 = writeConfig(config('r2'));
  const procs: Proc[] = [];

  beforeAll(async () => {
    expect(await kafkaSh(PORT, 'start')).toBe(0);
    for (const run of ['r1', 'r2']) await createTopics(createKafka(parseConfig(config(run))), parseConfig(config(run)), { partitions: 2 });
    await sleep(2000); // let the new topics' metadata settle on the broker
    const producer = kafkaClient(BROKERS).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const r = rng(7);
    const cat = (shift: boolean) => { const u = r(); return shift ? (u < 0.2 ? 'a' : u < 0.4 ? 'b' : 'c') : (u < 0.6 ? 'a' : u < 0.9 ? 'b' : 'c'); };
    for (const model of MODELS) {
      const training = Array.from({ length: 2000 }, (_, i) => ({ key: model, value: encodeEvent(types.training, 'training', { model_id: model, model_version: 'v1', event_id: `t${i}`, event_time: T0 - H, features: { x: normal(r), c: cat(false) } }) }));
      await producer.send({ topic: input.training, messages: training, acks: -1 });
    }
    // Per model: WINDOWS hourly windows; events out of order by up to 8 minutes (grace is 10);
    // alpha drifts numerically in windows 8-11, beta categorically in 12-14.
    for (const [pi, model] of MODELS.entries()) {
      const msgs: { key: string; value: Buffer; partition: number }[] = [];
      for (let w = 0; w < WINDOWS; w++) {
        const shift = model === 'alpha' ? w >= 8 && w <= 11 : w >= 12 && w <= 14;
        for (let i = 0; i < PER_WINDOW; i++) {
          const t = Math.max(T0, T0 + w * H + Math.floor((i * H) / PER_WINDOW) - Math.floor(r() * 8 * 60_000));
          const x = normal(r) + (shift && model === 'alpha' ? 1.5 : 0);
          msgs.push({ key: model, partition: pi, value: encodeEvent(types.inference, 'inference', { model_id: model, model_version: 'v1', event_id: `${model}-${w}-${i}`, event_time: t, features: { x, c: cat(shift && model === 'beta') } }) });
        }
      }
      // The far-future event closes every window by event time (idle close is wall-clock based).
      msgs.push({ key: model, partition: pi, value: encodeEvent(types.inference, 'inference', { model_id: model, model_version: 'v1', event_id: `${model}-end`, event_time: T0 + 1000 * H, features: { x: 0, c: 'a' } }) });
      for (let i = 0; i < msgs.length; i += 2000) await producer.send({ topic: input.inference, messages: msgs.slice(i, i + 2000), acks: -1 });
    }
    await producer.disconnect();
  });

  afterAll(async () => {
    if (process.env.DRIFTLINE_TEST_LOGS) for (const p of procs) console.log(`--- instance log tail\n${p.log.slice(-25).join('\n')}`);
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await kafkaSh(PORT, 'stop');
  });

  it('run 2 (5 SIGKILLs, a broker restart, a rebalance) publishes exactly the results and alerts of run 1', async () => {
    // Run 1: uninterrupted.
    const p1 = await start(file1);
    procs.push(p1);
    await untilComplete("r1", 90_000);
    p1.child.kill('SIGTERM');
    expect((await p1.exited).code).toBe(0);
    const one = await results('r1');
    expect(one.res.size).toBe(WINDOWS * MODELS.length);
    expect([...one.alerts.values()].some((a) => a.status === 'FIRING')).toBe(true);

    // Run 2: kills at random points, a broker restart, a rebalance.
    const r = Math.random;
    const log: string[] = [];
    let p = await start(file2);
    procs.push(p);
    for (let k = 1; k <= 5; k++) {
      await ready(p);
      const after = Math.floor(200 + r() * 2500);
      await sleep(after);
      p.child.kill('SIGKILL');
      await p.exited;
      log.push(`kill ${k}: SIGKILL ${after} ms after ready`);
      if (k === 3) {
        const t = Date.now();
        expect(await kafkaSh(PORT, 'restart')).toBe(0);
        log.push(`broker restarted while no instance ran (${Date.now() - t} ms)`);
      }
      p = await start(file2);
      procs.push(p);
    }
    await ready(p);
    await sleep(500);
    const t = Date.now();
    expect(await kafkaSh(PORT, 'restart')).toBe(0);
    log.push(`broker restarted under a running instance (${Date.now() - t} ms)`);
    await ready(p, 120_000);
    // Rebalance: a second instance joins the group, then the first one stops.
    const q = await start(file2);
    procs.push(q);
    await ready(q);
    await waitFor('the rebalance to hand partitions to the second instance', () => q.log.some((l) => /assigned partitions \d/.test(l)), 60_000);
    log.push(`second instance joined: ${q.log.filter((l) => /assigned partitions/.test(l)).map((l) => JSON.parse(l).msg).join(' / ')}`);
    p.child.kill('SIGTERM');
    const exit = await p.exited;
    log.push(`first instance stopped with SIGTERM: exit ${exit.code}`);
    // Even when SIGTERM lands during the rebalance (kafkajs still joining or leaving), the stop is clean.
    expect(exit.code).toBe(0);
    await untilComplete('r2', 150_000);
    q.child.kill('SIGTERM');
    await q.exited;
    const two = await results('r2');
    console.log([...log, `run 1: ${one.res.size} results (${one.raw} published), ${one.alerts.size} alerts (${one.rawAlerts} published)`, `run 2: ${two.res.size} results (${two.raw} published), ${two.alerts.size} alerts (${two.rawAlerts} published)`].join('\n'));

    expect([...two.res.keys()].sort()).toEqual([...one.res.keys()].sort());
    for (const [id, res] of one.res) expect(two.res.get(id), `result ${id}`).toEqual(res);
    expect([...two.alerts.keys()].sort()).toEqual([...one.alerts.keys()].sort());
    for (const [id, a] of one.alerts) expect(two.alerts.get(id), `alert ${id}`).toEqual(a);
  });
});
