/**
 * A broker-free test driver (in the spirit of Kafka Streams' TopologyTestDriver): feeds timestamped
 * records to a Processor with a manual clock and collects what it would publish.
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import { parseConfig, type Config } from '../../src/config.js';
import { encodeEvent, type PlainEvent } from '../../src/codec/event.js';
import { loadTypes } from '../../src/codec/schemas.js';
import { Instrumentation } from '../../src/instrumentation.js';
import { Processor, type InRecord, type Outputs } from '../../src/processor.js';

export class ManualClock {
  constructor(public t = 1_000_000) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export class TestDriver {
  readonly types = loadTypes();
  readonly clock = new ManualClock();
  readonly registry = new Registry();
  readonly config: Config;
  readonly processor: Processor;
  readonly out: Outputs = { results: [], alerts: [], deadLetters: [], performance: [] };
  private offsets = new Map<string, number>();
  private seq = 0;

  constructor(rawConfig: unknown) {
    this.config = parseConfig(rawConfig);
    const obs = new Instrumentation(pino({ level: 'silent' }), this.registry, { defaultMetrics: false });
    this.processor = new Processor(this.config, obs, this.clock, this.types);
  }

  private nextOffset(topic: string, partition: number): string {
    const k = `${topic}/${partition}`;
    const o = this.offsets.get(k) ?? 0;
    this.offsets.set(k, o + 1);
    return String(o);
  }

  /** Where the next record of a partition starts, as a consumer resuming at a committed offset. */
  seek(topic: string, partition: number, offset: number): void {
    this.offsets.set(`${topic}/${partition}`, offset);
  }

  record(topic: string, value: Buffer | null, partition = 0): InRecord {
    return { topic, partition, offset: this.nextOffset(topic, partition), key: Buffer.from('k'), value, headers: { trace: 'abc' } };
  }

  training(modelId: string, version: string, rows: Record<string, number | string | boolean | null>[], t0 = 0): void {
    for (const features of rows) {
      const e: PlainEvent = { model_id: modelId, model_version: version, event_id: `t${this.seq++}`, event_time: t0, features };
      this.processor.processTraining(this.record(this.config.topics.training, encodeEvent(this.types.training, 'training', e)));
    }
    this.collect();
  }

  inference(modelId: string, version: string, eventTime: number, features: Record<string, number | string | boolean | null>, partition = 0): void {
    const e: PlainEvent = { model_id: modelId, model_version: version, event_id: `e${this.seq++}`, event_time: eventTime, features };
    this.raw(encodeEvent(this.types.inference, 'inference', e), partition);
  }

  /** A delayed label of an earlier prediction. */
  label(modelId: string, eventId: string, label: number | string | null, eventTime: number): void {
    const value = label === null ? null : typeof label === 'number' ? { double: label } : { string: label };
    this.processor.processLabel(this.record(this.config.topics.labels, this.types.label.toBuffer({ model_id: modelId, event_id: eventId, label: value, event_time: eventTime })));
    this.collect();
  }

  /** An inference event with a prediction and a chosen event id. */
  predict(modelId: string, version: string, eventId: string, eventTime: number, features: Record<string, number | string | boolean | null>, prediction: number | string | null): void {
    this.raw(encodeEvent(this.types.inference, 'inference', { model_id: modelId, model_version: version, event_id: eventId, event_time: eventTime, features, prediction }));
  }

  /** Sends any body (valid or not) to the inference topic. */
  raw(body: Buffer | null, partition = 0): void {
    this.processor.processInference(this.record(this.config.topics.inference, body, partition));
    this.collect();
  }

  tick(ms: number): void {
    this.clock.advance(ms);
    this.processor.closeIdle();
    this.collect();
  }

  private collect(): void {
    const o = this.processor.drain();
    this.out.results.push(...o.results);
    this.out.alerts.push(...o.alerts);
    this.out.deadLetters.push(...o.deadLetters);
    this.out.performance.push(...o.performance);
  }

  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const m = await this.registry.getSingleMetric(name)?.get();
    if (!m) return 0;
    let sum = 0;
    for (const v of m.values) if (Object.entries(labels).every(([k, x]) => v.labels[k] === x)) sum += v.value;
    return sum;
  }
}

/** Deterministic test data: the project's PRNG and normal draws. */
export { mulberry32 as rng, standardNormal as normal } from '../../src/stats/index.js';
