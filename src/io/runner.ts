/**
 * `driftline run`: the processor wired to Kafka.
 *
 * 1. Connect (retrying with backoff while the broker is down; /readyz stays false).
 * 2. Bootstrap: read the training topic to its end (a global table: every instance reads all of it)
 *    and the alerts topic (to restore alert state), each with a private consumer group that never
 *    commits.
 * 3. Consume the inference topic as the shared consumer group, batch by batch: process, publish the
 *    results, alerts and dead letters (idempotent producer, acks=all), and only then commit, per
 *    partition, the oldest offset an open window still needs, with a checkpoint as commit metadata.
 * 4. On SIGTERM/SIGINT: stop fetching, publish what is pending, commit, disconnect.
 */
import { randomUUID } from 'node:crypto';
import { type Consumer, type EachBatchPayload, type Kafka, type Producer, type IHeaders } from 'kafkajs';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config.js';
import { loadTypes, type AvroTypes } from '../codec/schemas.js';
import type { DriftAlert } from '../detect/alerts.js';
import { Instrumentation } from '../instrumentation.js';
import { Processor, type Checkpoint, type Clock, type InRecord, type Outputs } from '../processor.js';
import { createKafka, idempotentProducer } from './kafka.js';
import { startHttp, type HttpEndpoint } from './http.js';

export interface RunnerDeps {
  config: Config;
  logger: Logger;
  registry: Registry;
  clock: Clock;
  writerSchemas?: ReadonlyMap<number, import('avsc').Schema>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function toRecord(topic: string, partition: number, m: { offset: string; key: Buffer | null; value: Buffer | null; headers?: IHeaders }): InRecord {
  const headers: Record<string, Buffer | string | undefined> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) headers[k] = Array.isArray(v) ? v[0] : v;
  return { topic, partition, offset: m.offset, key: m.key, value: m.value, headers };
}

export class Runner {
  readonly obs: Instrumentation;
  readonly processor: Processor;
  private readonly types: AvroTypes;
  private readonly kafka: Kafka;
  private producer!: Producer;
  private consumer: Consumer | null = null;
  private trainingConsumer: Consumer | null = null;
  private http: HttpEndpoint | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private ready = false;
  private stopping = false;
  private readonly assigned = new Set<number>();
  private alertHistory: DriftAlert[] = [];
  /** Serializes processing, publishing and committing between batches and the idle ticker. */
  private chain: Promise<void> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly deps: RunnerDeps) {
    this.obs = new Instrumentation(deps.logger, deps.registry);
    this.types = loadTypes();
    this.processor = new Processor(deps.config, this.obs, deps.clock, this.types, deps.writerSchemas ?? new Map());
    this.kafka = createKafka(deps.config, this.obs.log.kafka);
    this.log = this.obs.log.kafka;
  }

  get metricsPort(): number | undefined {
    return this.http?.port;
  }

  isReady(): boolean {
    return this.ready && !this.stopping;
  }

  private setReady(ready: boolean, why: string): void {
    if (this.ready === ready) return;
    this.ready = ready;
    this.obs.readiness(ready, why);
  }

  async start(): Promise<void> {
    const { config } = this.deps;
    this.http = await startHttp({ host: config.metrics.host, port: config.metrics.port, registry: this.deps.registry, ready: () => this.isReady(), log: this.obs.log.http });
    await this.connectWithRetry();
    await this.bootstrapAlerts();
    await this.bootstrapTraining();
    await this.startInference();
    this.ticker = setInterval(() => {
      this.serialize(async () => {
        this.processor.closeIdle();
        await this.publish(this.processor.drain());
        await this.commit();
      });
    }, config.processor.tickIntervalMs);
  }

  /** Retries the first connection with exponential backoff (0.5 s doubling to 30 s) until it works or we stop. */
  private async connectWithRetry(): Promise<void> {
    let delay = 500;
    for (let attempt = 1; !this.stopping; attempt++) {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
        await admin.listTopics();
        await admin.disconnect();
        this.producer = idempotentProducer(this.kafka);
        await this.producer.connect();
        this.log.info({ brokers: this.deps.config.kafka.brokers }, 'connected to Kafka');
        return;
      } catch (err) {
        await admin.disconnect().catch(() => undefined);
        this.log.warn({ attempt, retryInMs: delay, err: (err as Error).message }, `cannot reach Kafka at ${this.deps.config.kafka.brokers.join(',')} (attempt ${attempt}); retrying in ${delay} ms`);
        await sleep(delay);
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }

  /** High watermarks of a topic, or an empty map if it does not exist yet. */
  private async endOffsets(topic: string): Promise<Map<number, number>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const topics = await admin.listTopics();
      if (!topics.includes(topic)) return new Map();
      const offsets = await admin.fetchTopicOffsets(topic);
      return new Map(offsets.filter((o) => Number(o.high) > Number(o.low)).map((o) => [o.partition, Number(o.high)]));
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Reads a topic from the beginning with a private, never-committing consumer group, calling
   * `onMessage` for each message; resolves once every partition reached its end at start. With
   * `keepRunning`, the consumer stays subscribed for later messages.
   */
  private async readTopic(topic: string, label: string, onMessage: (rec: InRecord) => void, keepRunning: boolean): Promise<Consumer | null> {
    const ends = await this.endOffsets(topic);
    const consumer = this.kafka.consumer({ groupId: `${this.deps.config.kafka.groupId}.${label}.${randomUUID()}`, allowAutoTopicCreation: false });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let remaining = ends.size;
    let count = 0;
    let done!: () => void;
    const caughtUp = new Promise<void>((r) => (done = r));
    if (remaining === 0) done();
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        await this.serialize(async () => {
          for (const m of batch.messages) {
            onMessage(toRecord(batch.topic, batch.partition, m));
            count++;
            resolveOffset(m.offset);
          }
          await this.publish(this.processor.drain());
        });
        await heartbeat();
        const end = ends.get(batch.partition);
        const last = batch.messages.length > 0 ? Number(batch.messages[batch.messages.length - 1].offset) : -1;
        if (end !== undefined && last >= end - 1) {
          ends.delete(batch.partition);
          if (--remaining === 0) done();
        }
      },
    });
    await caughtUp;
    this.obs.log.reference.info({ topic, messages: count }, `read ${count} message(s) of ${topic} to its end`);
    if (!keepRunning) {
      await consumer.disconnect();
      return null;
    }
    return consumer;
  }

  private async bootstrapTraining(): Promise<void> {
    this.trainingConsumer = await this.readTopic(this.deps.config.topics.training, 'reference', (rec) => this.processor.processTraining(rec), true);
  }

  private async bootstrapAlerts(): Promise<void> {
    const history: DriftAlert[] = [];
    await this.readTopic(this.deps.config.topics.alerts, 'alert-state', (rec) => {
      try {
        if (rec.value) history.push(this.types.driftAlert.fromBuffer(rec.value) as DriftAlert);
      } catch {
        /* not an alert we wrote: ignore */
      }
    }, false);
    this.alertHistory = history;
  }

  private async startInference(): Promise<void> {
    const { config } = this.deps;
    const consumer = this.kafka.consumer({ groupId: config.kafka.groupId, allowAutoTopicCreation: false, sessionTimeout: 30_000, heartbeatInterval: 3_000 });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const parts = new Set<number>(e.payload.memberAssignment[config.topics.inference] ?? []);
      for (const p of [...this.assigned]) {
        if (!parts.has(p)) {
          this.assigned.delete(p);
          this.processor.revokePartition(p);
          this.log.info({ partition: p }, `partition ${p} of ${config.topics.inference} moved to another instance; dropped its windows`);
        }
      }
      this.setReady(true, '');
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.setReady(false, `consumer crashed: ${e.payload.error?.message}`);
    });
    consumer.on(consumer.events.DISCONNECT, () => this.setReady(false, 'consumer disconnected'));
    await consumer.connect();
    await consumer.subscribe({ topic: config.topics.inference, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.onBatch(payload) });
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const partition = batch.partition;
    if (this.stopping) return;
    if (!this.assigned.has(partition)) await this.restorePartition(partition);
    await this.serialize(async () => {
      for (const m of batch.messages) {
        if (this.stopping || !isRunning() || isStale()) break;
        this.processor.processInference(toRecord(batch.topic, partition, m));
        resolveOffset(m.offset);
      }
      await this.publish(this.processor.drain());
      await this.commit();
    });
    await heartbeat();
  }

  /** Reads the committed offset's checkpoint of a newly assigned partition. */
  private async restorePartition(partition: number): Promise<void> {
    const { config } = this.deps;
    const admin = this.kafka.admin();
    await admin.connect();
    let checkpoint: Checkpoint | null = null;
    try {
      const res = await admin.fetchOffsets({ groupId: config.kafka.groupId, topics: [config.topics.inference] });
      const p = res[0]?.partitions.find((x) => x.partition === partition);
      if (p?.metadata) checkpoint = JSON.parse(p.metadata) as Checkpoint;
    } catch (err) {
      this.log.warn({ partition, err: (err as Error).message }, 'could not read the checkpoint of a partition; starting it without one');
    } finally {
      await admin.disconnect();
    }
    this.processor.assignPartition(partition, checkpoint, this.alertHistory);
    this.assigned.add(partition);
    this.log.info({ partition, checkpoint }, `partition ${partition} of ${config.topics.inference} assigned${checkpoint ? `; replaying from its checkpoint (offsets below ${checkpoint.upTo} were processed before)` : ''}`);
  }

  private serialize(task: () => Promise<void>): Promise<void> {
    const next = this.chain.then(task);
    this.chain = next.catch((err: Error) => {
      this.obs.log.processor.error({ err: err.message }, 'publishing or committing failed; will retry with the next batch');
    });
    return next;
  }

  private lastCommitted = new Map<number, string>();

  /** Commits, per assigned partition, the offset open windows still need, with its checkpoint. */
  private async commit(): Promise<void> {
    if (!this.consumer) return;
    const topic = this.deps.config.topics.inference;
    const offsets: { topic: string; partition: number; offset: string; metadata: string }[] = [];
    for (const p of this.assigned) {
      const c = this.processor.committable(p);
      if (!c) continue;
      const metadata = JSON.stringify(c.checkpoint);
      const key = `${c.offset}|${metadata}`;
      if (this.lastCommitted.get(p) === key) continue;
      offsets.push({ topic, partition: p, offset: String(c.offset), metadata });
      this.lastCommitted.set(p, key);
    }
    if (offsets.length === 0) return;
    await this.consumer.commitOffsets(offsets);
    this.obs.offsetsCommitted(offsets.length);
  }

  /** Publishes outputs and waits for the broker's acknowledgement of all of them. */
  private async publish(out: Outputs): Promise<void> {
    const { topics } = this.deps.config;
    const topicMessages = [];
    if (out.results.length) topicMessages.push({ topic: topics.results, messages: out.results.map((r) => ({ key: r.key, value: this.types.windowResult.toBuffer(r.value), headers: { 'driftline.result_id': r.value.result_id } })) });
    if (out.alerts.length) topicMessages.push({ topic: topics.alerts, messages: out.alerts.map((a) => ({ key: a.key, value: this.types.driftAlert.toBuffer(a.value), headers: { 'driftline.alert_id': a.value.alert_id } })) });
    if (out.deadLetters.length) topicMessages.push({ topic: topics.deadLetter, messages: out.deadLetters.map((d) => ({ key: d.key, value: d.value, headers: d.headers })) });
    if (topicMessages.length === 0) return;
    await this.producer.sendBatch({ topicMessages, acks: -1 });
    for (const a of out.alerts) this.obs.alertPublished(a.value);
  }

  /**
   * Stops fetching, publishes what is pending, commits and disconnects. Batches that arrive after
   * the stop began are left unprocessed (and uncommitted): the next owner reads them.
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.setReady(false, 'shutting down');
    if (this.ticker) clearInterval(this.ticker);
    await this.serialize(async () => {
      await this.publish(this.processor.drain());
      await this.commit();
    }).catch(() => undefined);
    await this.consumer?.disconnect().catch(() => undefined);
    await this.trainingConsumer?.disconnect().catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    await this.http?.close();
  }
}
