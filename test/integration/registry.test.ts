/**
 * Writer schemas from a schema registry, on a real broker. The registry here is a STAND-IN (an
 * in-test HTTP server with the two endpoints driftline uses, see test/unit/registry/stand-in.ts):
 * Karapace is not published on PyPI and Confluent's registry is not on Maven Central, so no real
 * registry can be installed on this machine. Everything else is real: the broker, the Runner, the
 * client's HTTP requests.
 *
 * An evolved InferenceEvent (one optional field more) is registered through the registry client;
 * events framed with its id are decoded and windowed by a Runner configured with schemaRegistry
 * and without codec.writerSchemas; an id the registry does not have is dead-lettered as
 * unknown_schema_id; the registry failing for a while delays the batch but loses nothing.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import avro from 'avsc';
import { Partitioners, type Kafka } from 'kafkajs';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config.js';
import { encodeEvent } from '../../src/codec/event.js';
import { loadTypes, readSchema } from '../../src/codec/schemas.js';
import type { WindowResult } from '../../src/detect/evaluate.js';
import { createKafka, createTopics } from '../../src/io/kafka.js';
import { SchemaRegistryClient } from '../../src/io/registry.js';
import { Runner } from '../../src/io/runner.js';
import { systemClock } from '../../src/processor.js';
import { normal, rng } from '../processor/driver.js';
import { StandInRegistry } from '../unit/registry/stand-in.js';
import { readTopic } from './kafka.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 2, 2);
const UNKNOWN_ID = 424_242;

/** InferenceEvent as a newer producer writes it: one optional field more. */
function evolvedInference(): avro.Schema {
  const s = readSchema('InferenceEvent') as { fields: unknown[] };
  return { ...s, fields: [...s.fields, { name: 'request_region', type: ['null', 'string'], default: null }] } as avro.Schema;
}

describe('driftline run with schemaRegistry (real broker, STAND-IN registry: in-test HTTP server)', () => {
  const brokers = (inject('kafkaBrokers' as never) as string).split(',');
  const suffix = randomUUID().slice(0, 8);
  const registry = new StandInRegistry();
  const types = loadTypes();
  let config: Config;
  let kafka: Kafka;
  let runner: Runner;
  let inferenceId = 0;
  let trainingId = 0;

  beforeAll(async () => {
    await registry.start();
    config = parseConfig({
      kafka: { brokers, groupId: `driftline-reg-${suffix}` },
      topics: { inference: `reg.inference.${suffix}`, training: `reg.training.${suffix}`, alerts: `reg.alerts.${suffix}`, results: `reg.results.${suffix}`, deadLetter: `reg.dlq.${suffix}` },
      metrics: { port: 0 },
      processor: { tickIntervalMs: 200 },
      schemaRegistry: { url: registry.url, timeoutMs: 2000 },
      logLevel: 'warn',
      models: [{ id: 'fraud', window: { size: '1h', grace: '0s', idle: '3s' }, features: [{ name: 'amount', type: 'numeric' }, { name: 'channel', type: 'categorical' }] }],
    });
    expect(config.codec.writerSchemas).toEqual([]);
    kafka = createKafka(config);
    await createTopics(kafka, config, { partitions: 2 });

    // Producers register their writer schemas under <topic>-value, as Confluent serializers do.
    const client = new SchemaRegistryClient(config.schemaRegistry!);
    inferenceId = await client.register(`${config.topics.inference}-value`, evolvedInference());
    trainingId = await client.register(`${config.topics.training}-value`, readSchema('TrainingEvent'));
    expect(inferenceId).not.toBe(trainingId);

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const r = rng(5);
    const channel = () => (r() < 0.6 ? 'web' : 'app');
    const training = Array.from({ length: 1000 }, (_, i) => ({
      key: 'fraud',
      value: encodeEvent(types.training, 'training', { model_id: 'fraud', model_version: 'v1', event_id: `t${i}`, event_time: T0 - H, features: { amount: 50 + 10 * normal(r), channel: channel() } }, trainingId),
    }));
    await producer.send({ topic: config.topics.training, messages: training, acks: -1 });

    // The registry is down for the first requests of the run: the runner retries, nothing is lost.
    registry.fail = 2;
    runner = new Runner({ config, logger: pino({ level: 'warn' }), registry: new Registry(), clock: systemClock });
    await runner.start();

    const evolved = avro.Type.forSchema(evolvedInference(), { wrapUnions: true });
    const messages: { key: string; value: Buffer }[] = [];
    for (let w = 0; w < 2; w++) {
      for (let i = 0; i < 200; i++) {
        const body = evolved.toBuffer({
          model_id: 'fraud', model_version: 'v1', event_id: `e${w}-${i}`, event_time: T0 + w * H + i * 1000,
          features: { amount: { double: 50 + 10 * normal(r) }, channel: { string: channel() } },
          prediction: { double: r() }, attributes: {}, request_region: { string: 'eu-west' },
        });
        const header = Buffer.alloc(5);
        header.writeUInt32BE(inferenceId, 1);
        messages.push({ key: 'fraud', value: Buffer.concat([header, body]) });
        if (w === 0 && i === 50) messages.push({ key: 'fraud', value: encodeEvent(types.inference, 'inference', { model_id: 'fraud', model_version: 'v1', event_id: 'bad-id', event_time: T0 + i * 1000, features: { amount: 1, channel: 'web' } }, UNKNOWN_ID) });
      }
    }
    await producer.send({ topic: config.topics.inference, messages, acks: -1 });
    await producer.disconnect();
  });

  afterAll(async () => {
    await runner?.stop();
    await registry.stop();
  });

  it('decodes events framed with registry ids (evolved writer schema), builds the reference and windows them', async () => {
    const records = await readTopic(kafka, config.topics.results, (n) => n >= 2, 60_000);
    const results = records.map((m) => types.windowResult.fromBuffer(m.value) as WindowResult);
    expect(results.map((x) => (x.window_start - T0) / H)).toEqual([0, 1]);
    expect(results.every((x) => x.status === 'OK' && x.rows === 200)).toBe(true);
    const metrics = await (await fetch(`http://127.0.0.1:${runner.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/^driftline_reference_rows\{model="fraud",version="v1"\} 1000$/m);
  });

  it('dead-letters an id the registry does not have as unknown_schema_id', async () => {
    const dead = await readTopic(kafka, config.topics.deadLetter, (n) => n >= 1, 30_000);
    expect(dead.map((d) => d.headers['driftline.reason'])).toEqual(['unknown_schema_id']);
    expect(dead[0].value.readUInt32BE(1)).toBe(UNKNOWN_ID);
  });

  it('driftline produce registers the InferenceEvent schema under <topic>-value and frames bodies with its id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'driftline-reg-'));
    const topic = `reg.produce.${suffix}`;
    writeFileSync(join(dir, 'rows.csv'), 'amount,channel\n10.5,web\n20,app\n');
    writeFileSync(join(dir, 'driftline.yaml'), [
      `kafka: { brokers: [${brokers.map((b) => `"${b}"`).join(', ')}] }`,
      `topics: { inference: "${topic}" }`,
      `schemaRegistry: { url: "${registry.url}" }`,
      'models:',
      '  - id: fraud',
      '    window: { size: 1h }',
      '    features: [{ name: amount, type: numeric }, { name: channel, type: categorical }]',
    ].join('\n'));
    const produceCfg = parseConfig({ kafka: { brokers }, topics: { inference: topic }, models: [{ id: 'fraud', window: { size: '1h' }, features: [{ name: 'amount', type: 'numeric' }] }] });
    await createTopics(createKafka(produceCfg), produceCfg, { partitions: 1 });
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['bin/driftline.js', 'produce', '-c', join(dir, 'driftline.yaml'), '--model', 'fraud', '--version', 'v2', '--kind', 'inference', '--file', join(dir, 'rows.csv')], { cwd: join(import.meta.dirname, '../..') });
    expect(stdout).toContain('produced 2 inference events');
    const post = registry.seen.filter((s) => s.method === 'POST' && s.url === `/subjects/${encodeURIComponent(`${topic}-value`)}/versions`);
    expect(post).toHaveLength(1);
    expect(post[0].headers['content-type']).toBe('application/vnd.schemaregistry.v1+json');
    expect(JSON.parse(JSON.parse(post[0].body).schema)).toEqual(readSchema('InferenceEvent'));
    const id = Number(/id (\d+)/.exec(stderr)![1]);
    const records = await readTopic(kafka, topic, (n) => n >= 2, 30_000);
    expect(records.map((m) => [m.value[0], m.value.readUInt32BE(1)])).toEqual([[0, id], [0, id]]);
  });

  it('asked the registry for each id once (cached), after retrying the failed requests', () => {
    const gets = registry.seen.filter((s) => s.method === 'GET');
    expect(gets.filter((s) => s.status === 503)).toHaveLength(2);
    const answered = (id: number, status: number) => gets.filter((s) => s.url === `/schemas/ids/${id}` && s.status === status).length;
    expect(answered(trainingId, 200)).toBe(1);
    expect(answered(inferenceId, 200)).toBe(1);
    expect(answered(UNKNOWN_ID, 404)).toBeGreaterThanOrEqual(1);
  });
});
