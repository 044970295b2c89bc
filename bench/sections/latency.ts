/**
 * 5. Latency: from producing the event that closes a window to its alert on the alerts topic (and
 * to its WindowResult on the results topic), with `driftline run` as a child process. Windows
 * alternate between serving data shifted away from the training data and serving data like it,
 * so that every window's close raises an alert: FIRING after a shifted window, RESOLVED after a
 * normal one (alerts are sent when a rule's state changes). Per window: produce its events, wait
 * until driftline consumed them (/metrics), then time the closing event -> alert round trip.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeEvent } from '../../src/codec/event.js';
import { loadTypes } from '../../src/codec/schemas.js';
import { configYaml, features, modelIds, now, outDir, percentile, progress, rawConfig, REPO_ROOT, rng, sleep, T0, topicNames, trainingBodies, WINDOW_MS } from '../lib/common.js';
import { createTopics, freePort, kafka, produceMessages, scrape } from '../lib/kafka.js';

export interface LatencyResult {
  windows: number;
  events_per_window: number;
  /** Closing event -> the window's first alert on the alerts topic. */
  p50: number;
  p99: number;
  max: number;
  samples_ms: number[];
  /** Closing event -> the window's result on the results topic. */
  result_p50: number;
  result_p99: number;
  result_samples_ms: number[];
}

/** Serving data of window w: shifted (drift on 4 features) in even windows, like the training data in odd ones. */
const SHIFT = 3;
const shiftOf = (w: number): number => (w % 2 === 0 ? SHIFT : 0);

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = now() + timeoutMs;
  while (now() < end) {
    if (await cond()) return;
    await sleep(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function latency(brokers: string, windows: number, perWindow: number): Promise<LatencyResult> {
  const types = loadTypes();
  const topics = topicNames(`bench.lat.${Date.now()}`);
  const k = kafka(brokers);
  await createTopics(k, topics, 1);
  const id = modelIds(1)[0];
  await produceMessages(k, topics.training, trainingBodies(12_000, 1, 31));
  const port = await freePort();
  const cfgPath = join(outDir('tmp'), `latency-${Date.now()}.yaml`);
  writeFileSync(cfgPath, configYaml(rawConfig({ brokers, groupId: `bench-latency-${Date.now()}`, topics, models: 1, metricsPort: port, idle: '1h' })));
  progress(`latency: driftline run (child), ${windows} windows of ${perWindow} events (shifted and normal in turn), closing event -> alert on ${topics.alerts} and result on ${topics.results}`);
  const child = spawn(process.execPath, ['bin/driftline.js', 'run', '-c', cfgPath], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<void>((r) => child.on('close', () => r()));

  const seen = new Map<number, number>(); // window_start -> arrival time of its result
  const alerted = new Map<number, number>(); // window_start -> arrival time of its first alert
  const consumer = k.consumer({ groupId: `bench-latency-results-${Date.now()}`, maxWaitTimeInMs: 100 });
  const producer = k.producer();
  const samples: number[] = [];
  const resultSamples: number[] = [];
  try {
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [topics.results, topics.alerts], fromBeginning: true });
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const t = now();
        if (topic === topics.alerts) {
          const a = types.driftAlert.fromBuffer(message.value!) as { window_start: number };
          if (!alerted.has(Number(a.window_start))) alerted.set(Number(a.window_start), t);
          return;
        }
        const res = types.windowResult.fromBuffer(message.value!) as { window_start: number };
        seen.set(Number(res.window_start), t);
      },
    });
    await waitFor('the results consumer to join', async () => joined, 60_000);
    await waitFor('driftline to be ready', async () => (await scrape(port, 'driftline_ready')) === 1, 120_000);
    const r = rng(32);
    let sent = 0;
    let eventId = 0;
    const send = async (t: number, count: number, shift: number) => {
      const messages = [];
      for (let i = 0; i < count; i++) messages.push({ key: id, value: encodeEvent(types.inference, 'inference', { model_id: id, model_version: 'v1', event_id: `l${eventId++}`, event_time: t + i, features: features(r, shift) }) });
      await producer.send({ topic: topics.inference, messages, acks: 1 });
      sent += count;
    };
    for (let w = 0; w <= windows; w++) {
      const start = T0 + w * WINDOW_MS;
      if (w > 0) {
        // the first event of window w closes window w-1
        const t0 = now();
        await send(start, 1, shiftOf(w));
        const prev = start - WINDOW_MS;
        await waitFor(`the alert of window ${w - 1}`, async () => alerted.has(prev), 60_000);
        await waitFor(`the result of window ${w - 1}`, async () => seen.has(prev), 60_000);
        // (the first close also pays for warm-up: JIT, first publish)
        if (w > 1) {
          samples.push(alerted.get(prev)! - t0);
          resultSamples.push(seen.get(prev)! - t0);
        }
      }
      if (w === windows) break;
      await send(start + 1, perWindow - (w > 0 ? 1 : 0), shiftOf(w));
      await waitFor('driftline to consume the window', async () => ((await scrape(port, 'driftline_events_consumed_total', { topic: topics.inference })) ?? 0) >= sent, 60_000);
      if (w % 10 === 0 && w > 1) progress(`  ${w} windows, p50 so far ${percentile(samples, 50).toFixed(1)} ms`);
    }
  } catch (err) {
    throw new Error(`${(err as Error).message}; driftline stderr: ${stderr.slice(-500)}`);
  } finally {
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(20_000)]);
    child.kill('SIGKILL');
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
  }
  return {
    windows: samples.length,
    events_per_window: perWindow,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    max: Math.max(...samples),
    samples_ms: samples,
    result_p50: percentile(resultSamples, 50),
    result_p99: percentile(resultSamples, 99),
    result_samples_ms: resultSamples,
  };
}
