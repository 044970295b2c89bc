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
import { Partitioners, type Consumer, type EachBatchPayload, type Kafka, type Producer, type IHeaders } from 'kafkajs';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Config } from '../config.js';
import { loadTypes, type AvroTypes } from '../codec/schemas.js';
import type { DriftAlert } from '../detect/alerts.js';
import { Instrumentation } from '../instrumentation.js';
import { Processor, type Checkpoint, type Clock, type DeadLetter, type InRecord, type Outputs } from '../processor.js';
import { CoPartitionedAssigner, createKafka, idempotentProducer } from './kafka.js';
import { startHttp, type HttpEndpoint } from './http.js';
import { SchemaRegistryClient, resolveSchemaIds, unknownSchemaIds } from './registry.js';

export interface RunnerDeps {
  config: Config;
  logger: Logger;
  registry: Registry;
  clock: Clock;
  writerSchemas?: ReadonlyMap<number, import('avsc').Schema>;
  /**
   * false in a worker thread: the process's supervisor serves /metrics, /healthz and /readyz for
   * all its workers, and collects the process-wide default metrics itself.
   */
  http?: boolean;
  /**
   * Awaited after the bootstrap, before joining the inference consumer group: worker threads
   * join together, so that the first assignment is final rather than followed by a rebalance.
   */
  beforeConsume?: () => Promise<void>;
  /** Called when readiness (what /readyz says) changes. */
  onReadiness?: (ready: boolean) => void;
  /** Called at every join of the inference consumer group, with this member's partitions. */
  onJoin?: (partitions: number[]) => void;
  /**
   * While it returns false, fetched batches are left unprocessed (and fetched again): worker
   * threads wait until all of them are in the group, rather than one processing every partition
   * for the few seconds until the others join, only to hand them over and replay.
   */
  mayProcess?: () => boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * Session timeout of the inference consumer group: how long a crashed instance's partitions stay
 * unprocessed before the group moves them. DRIFTLINE_SESSION_TIMEOUT_MS overrides the default 30 s
 * (the broker accepts 6 s and more by default); fault tests use it to keep restarts short.
 */
const SESSION_TIMEOUT_MS = Number(process.env.DRIFTLINE_SESSION_TIMEOUT_MS) || 30_000;
/**
 * How often the inference consumer heartbeats (kafkajs sends one at most this often, between
 * batches): also how soon it notices that another member joined and the group is rebalancing.
 */
const HEARTBEAT_INTERVAL_MS = Math.max(300, Math.min(1_000, Math.floor(SESSION_TIMEOUT_MS / 10)));
/** Overrides kafka.fetchMaxBytesPerPartition: tests make batches small with it (DRIFTLINE_MAX_BYTES_PER_PARTITION). */
const MAX_BYTES_PER_PARTITION = Number(process.env.DRIFTLINE_MAX_BYTES_PER_PARTITION) || 0;

/** Shutdown steps are bounded so that the whole stays within the CLI's 15 s limit. */
const STOP_FLUSH_MS = 7_000;
const STOP_DISCONNECT_MS = 3_500;

/** Bytes per produce request: a quarter of the broker's default message.max.bytes. */
const SEND_CHUNK_BYTES = 256 * 1024;
/** A dead letter's value larger than this is cut (the broker would refuse it); its headers say so. */
const DEAD_LETTER_MAX_VALUE_BYTES = 768 * 1024;

function deadLetterMessage(d: DeadLetter): { key: Buffer | null; value: Buffer | null; headers: Record<string, string | Buffer> } {
  if (!d.value || d.value.length <= DEAD_LETTER_MAX_VALUE_BYTES) return { key: d.key, value: d.value, headers: d.headers };
  return {
    key: d.key,
    value: d.value.subarray(0, DEAD_LETTER_MAX_VALUE_BYTES),
    headers: { ...d.headers, 'driftline.value.truncated': String(d.value.length) },
  };
}

/** A consumed message as the processor takes it; headers are passed as they are (only dead letters read them). */
function toRecord(topic: string, partition: number, m: { offset: string; key: Buffer | null; value: Buffer | null; headers?: IHeaders }): InRecord {
  return { topic, partition, offset: m.offset, key: m.key, value: m.value, headers: m.headers };
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
  /** Inference partitions whose state the processor holds (restored from their checkpoint). */
  private readonly assigned = new Set<number>();
  /** Inference partitions of the latest group assignment (GROUP_JOIN); only these are committed. */
  private assignment = new Set<number>();
  /** Labels partitions of the latest group assignment (the same numbers, by the co-partitioned assignor). */
  private labelAssignment = new Set<number>();
  /** Bumped at every group join: batches fetched under an older generation are not processed. */
  private generation = 0;
  /** Outputs taken from the processor and not yet acknowledged by the broker; never dropped. */
  private pending: Outputs | null = null;
  /** The alerts topic as read so far (oldest first), tailed for the whole run. */
  private alertHistory: DriftAlert[] = [];
  private alertsConsumer: Consumer | null = null;
  /** Next offset to read per alerts partition (what alertHistory covers). */
  private readonly alertPositions = new Map<number, number>();
  /** Serializes processing, publishing and committing between batches and the idle ticker. */
  private chain: Promise<void> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly deps: RunnerDeps) {
    this.obs = new Instrumentation(deps.logger, deps.registry, { defaultMetrics: deps.http ?? true });
    this.types = loadTypes();
    this.processor = new Processor(deps.config, this.obs, deps.clock, this.types, deps.writerSchemas ?? new Map());
    this.kafka = createKafka(deps.config, this.obs.log.kafka);
    this.log = this.obs.log.kafka;
    this.schemaRegistry = deps.config.schemaRegistry ? new SchemaRegistryClient(deps.config.schemaRegistry) : null;
  }

  // --- Schema registry -------------------------------------------------------------------------
  private readonly schemaRegistry: SchemaRegistryClient | null;

  /**
   * Before a batch is processed: fetches from the schema registry the writer schemas of framed
   * bodies whose id the processor does not know. An id the registry does not have (404) stays
   * unknown, so its messages are dead-lettered as unknown_schema_id; other failures are retried
   * with backoff (heartbeating meanwhile) until they succeed or the runner stops.
   */
  private async fetchWriterSchemas(messages: readonly { value: Buffer | null }[], heartbeat: () => Promise<void>): Promise<void> {
    if (!this.schemaRegistry) return;
    const ids = unknownSchemaIds(messages.map((m) => m.value), (id) => this.processor.hasWriterSchema(id));
    if (ids.length === 0) return;
    const log = this.obs.log.processor;
    try {
      const missing = await resolveSchemaIds(this.schemaRegistry, ids, {
        add: (id, schema) => {
          this.processor.addWriterSchema(id, schema);
          log.info({ schemaId: id, registry: this.schemaRegistry!.url }, `writer schema id ${id} fetched from the schema registry`);
        },
        onRetry: (id, attempt, delayMs, err) => {
          log.warn({ schemaId: id, attempt, retryInMs: delayMs, err: err.message }, `cannot fetch writer schema id ${id} from the schema registry (attempt ${attempt}); retrying in ${delayMs} ms`);
          void heartbeat().catch(() => undefined);
        },
        stopping: () => this.stopping,
      });
      if (missing.length) log.warn({ schemaIds: missing }, `the schema registry has no schema id ${missing.join(', ')}; those messages go to the dead-letter topic`);
    } catch (err) {
      if (!this.stopping) throw err;
    }
  }
  // ----------------------------------------------------------------------------------------------

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
    this.deps.onReadiness?.(ready);
  }

  async start(): Promise<void> {
    const { config } = this.deps;
    if (this.deps.http ?? true) this.http = await startHttp({ host: config.metrics.host, port: config.metrics.port, registry: this.deps.registry, ready: () => this.isReady(), log: this.obs.log.http });
    await this.connectWithRetry();
    await this.bootstrapAlerts();
    await this.bootstrapTraining();
    await this.deps.beforeConsume?.();
    if (this.stopping) return;
    await this.startInference();
    this.ticker = setInterval(() => {
      if (this.stopping) return;
      this.serialize(async () => {
        this.processor.closeIdle();
        await this.publish(this.processor.drain());
        await this.commit();
      }).catch(() => undefined);
    }, config.processor.tickIntervalMs);
  }

  /** Retries the first connection with exponential backoff (0.5 s doubling to 30 s) until it works or we stop. */
  private async connectWithRetry(): Promise<void> {
    let delay = 500;
    for (let attempt = 1; !this.stopping; attempt++) {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
        const existing = new Set(await admin.listTopics());
        await admin.disconnect();
        // Subscribing to a topic that does not exist fails (no auto-creation): wait for it as for the broker.
        const { topics } = this.deps.config;
        const missing = [topics.inference, topics.training, topics.alerts].filter((t) => !existing.has(t));
        if (missing.length) throw new Error(`topic(s) ${missing.join(', ')} do not exist yet (driftline topics create -c <config>)`);
        this.producer = this.newProducer();
        await this.producer.connect();
        this.log.info({ brokers: this.deps.config.kafka.brokers }, 'connected to Kafka');
        return;
      } catch (err) {
        await admin.disconnect().catch(() => undefined);
        const authFailed = /SASL|authenticat/i.test((err as Error).name + ' ' + (err as Error).message);
        const what = authFailed ? `Kafka at ${this.deps.config.kafka.brokers.join(',')} rejected the credentials (check kafka.sasl: mechanism, username and the password source)` : `cannot reach Kafka at ${this.deps.config.kafka.brokers.join(',')}`;
        this.log.warn({ attempt, retryInMs: delay, err: (err as Error).message }, `${what} (attempt ${attempt}); retrying in ${delay} ms`);
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
  private async readTopic(topic: string, label: string, onMessage: (rec: InRecord) => void, keepRunning: boolean, next = new Map<number, number>(), serialized = true): Promise<Consumer | null> {
    const ends = await this.endOffsets(topic);
    const consumer = this.kafka.consumer({ groupId: `${this.deps.config.kafka.groupId}.${label}.${randomUUID()}`, allowAutoTopicCreation: false });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let remaining = ends.size;
    let count = 0;
    // The group never commits: if kafkajs restarts the consumer (a broker restart, say), it reads
    // from the beginning again. Messages seen before are skipped, or a reference would count twice.
    let done!: () => void;
    const caughtUp = new Promise<void>((r) => (done = r));
    if (remaining === 0) done();
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        if (topic === this.deps.config.topics.training) await this.fetchWriterSchemas(batch.messages, heartbeat);
        const read = () => {
          for (const m of batch.messages) {
            resolveOffset(m.offset);
            if (Number(m.offset) < (next.get(batch.partition) ?? 0)) continue;
            onMessage(toRecord(batch.topic, batch.partition, m));
            next.set(batch.partition, Number(m.offset) + 1);
            count++;
          }
        };
        // Messages that feed the processor wait for their turn; the alerts history does not: a
        // partition being restored inside the serialized chain waits for it (alertsCaughtUp).
        if (serialized) {
          await this.serialize(async () => {
            read();
            await this.publish(this.processor.drain());
          });
        } else read();
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

  /**
   * Reads the alerts topic to its end and keeps tailing it: a partition assigned later (a restart,
   * a rebalance) restores its alert state from every alert published before its checkpoint, also
   * by other instances since this one started (see alertsCaughtUp).
   */
  private async bootstrapAlerts(): Promise<void> {
    this.alertsConsumer = await this.readTopic(this.deps.config.topics.alerts, 'alert-state', (rec) => {
      try {
        if (rec.value) this.alertHistory.push(this.types.driftAlert.fromBuffer(rec.value) as DriftAlert);
      } catch {
        /* not an alert we wrote: ignore */
      }
    }, true, this.alertPositions, false);
  }

  /** Waits until alertHistory holds every alert the alerts topic had when this was called. */
  private async alertsCaughtUp(timeoutMs = 30_000): Promise<void> {
    const ends = await this.endOffsets(this.deps.config.topics.alerts);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const behind = [...ends].filter(([p, end]) => (this.alertPositions.get(p) ?? 0) < end);
      if (behind.length === 0) return;
      if (this.stopping || Date.now() > deadline) {
        this.log.warn({ behind }, 'the alerts topic was not read to its end in time; alert state may be incomplete');
        return;
      }
      await sleep(50);
    }
  }

  private async startInference(): Promise<void> {
    const { config } = this.deps;
    const labels = config.models.some((m) => m.performance !== null);
    // With labels, partition p of the inference and labels topics must land on the same instance
    // (both are keyed by model_id): the co-partitioned assigner sees to it.
    const consumer = this.kafka.consumer({ groupId: config.kafka.groupId, allowAutoTopicCreation: false, sessionTimeout: SESSION_TIMEOUT_MS, heartbeatInterval: HEARTBEAT_INTERVAL_MS, partitionAssigners: [CoPartitionedAssigner], maxBytesPerPartition: MAX_BYTES_PER_PARTITION || config.kafka.fetchMaxBytesPerPartition });
    this.consumer = consumer;
    // GROUP_JOIN is kafkajs' only assignment signal. After any join, kafkajs fetches every assigned
    // partition again from its committed offset, kept partitions included: so the state of every
    // partition is dropped and rebuilt from its checkpoint (else a kept partition would count the
    // events between its committed offset and its last processed one twice). Partitions no longer
    // assigned stop being committed at once: their new owner commits them now.
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const parts = new Set<number>(e.payload.memberAssignment[config.topics.inference] ?? []);
      this.assignment = parts;
      this.labelAssignment = new Set<number>(labels ? e.payload.memberAssignment[config.topics.labels] ?? [] : []);
      this.generation++;
      void this.serialize(async () => {
        // Label partitions no longer ours are not committed any more: their new owner does it.
        for (const p of [...this.labelOffsets.keys()]) {
          if (this.labelAssignment.has(p)) continue;
          this.labelOffsets.delete(p);
          this.labelCommitted.delete(p);
        }
        // Models only on partitions that moved: their latest scores and alert states are the new
        // owner's to report; here their series go (a kept model's stay while it is rebuilt).
        const moved = new Set<string>();
        const kept = new Set<string>();
        for (const p of this.assigned) for (const id of this.processor.modelsOn(p)) (parts.has(p) ? kept : moved).add(id);
        for (const p of [...this.assigned]) {
          this.assigned.delete(p);
          this.processor.revokePartition(p);
          this.lastCommitted.delete(p);
          if (!parts.has(p)) this.log.info({ partition: p }, `partition ${p} of ${config.topics.inference} moved to another instance; dropped its windows`);
        }
        for (const id of moved) if (!kept.has(id)) this.obs.modelReleased(id);
      }).catch(() => undefined);
      this.log.info({ partitions: [...parts] }, `assigned partitions ${[...parts].join(', ') || '(none)'} of ${config.topics.inference}`);
      this.setReady(true, '');
      this.deps.onJoin?.([...parts]);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.setReady(false, `consumer crashed: ${e.payload.error?.message}`);
    });
    consumer.on(consumer.events.DISCONNECT, () => this.setReady(false, 'consumer disconnected'));
    await consumer.connect();
    await consumer.subscribe({ topics: labels ? [config.topics.inference, config.topics.labels] : [config.topics.inference], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.onBatch(payload) });
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const partition = batch.partition;
    if (this.stopping) return;
    if (this.deps.mayProcess && !this.deps.mayProcess()) {
      await sleep(100);
      await heartbeat(); // notices the rebalance a joining member causes
      return;
    }
    await this.fetchWriterSchemas(batch.messages, heartbeat);
    const labels = batch.topic === this.deps.config.topics.labels;
    const generation = this.generation;
    await this.serialize(async () => {
      // A batch fetched before the latest join, or of a partition this instance no longer owns, is
      // left alone (not resolved): kafkajs fetches it again if the partition is still ours.
      if (this.stopping || generation !== this.generation || !(labels ? this.labelAssignment : this.assignment).has(partition) || !isRunning() || isStale()) return;
      if (!labels && !this.assigned.has(partition)) await this.restorePartition(partition);
      if (this.stopping || generation !== this.generation) return;
      // One record object for the whole batch (the processor copies what it keeps), and one
      // resolveOffset at the end (it marks every offset up to the one given).
      const rec: InRecord = { topic: batch.topic, partition, offset: '', key: null, value: null, headers: undefined };
      let last: string | null = null;
      const messages = batch.messages;
      this.processor.batchStarted();
      try {
        for (let i = 0; i < messages.length; i++) {
          // isStale() builds a string key per call: asked every 256 messages (only a seek makes a batch stale).
          if (this.stopping || ((i & 255) === 0 && (!isRunning() || isStale()))) break;
          const m = messages[i];
          rec.offset = m.offset;
          rec.key = m.key;
          rec.value = m.value;
          rec.headers = m.headers;
          if (labels) this.processor.processLabel(rec);
          else this.processor.processInference(rec);
          last = m.offset;
        }
      } finally {
        this.processor.batchEnded();
      }
      if (last !== null) {
        resolveOffset(last);
        if (labels) this.labelOffsets.set(partition, Number(last) + 1);
      }
      await this.publish(this.processor.drain());
      await this.commitIfDue();
    });
    await heartbeat();
  }

  /**
   * The committed metadata of every inference partition, read once per group generation (one
   * request for all partitions, instead of one connection per partition restored).
   */
  private committed: { generation: number; metadata: Map<number, string> } | null = null;
  /** The generation in which the alerts topic was last read to its end (see alertsCaughtUp). */
  private alertsCaughtUpAt = -1;

  private async committedMetadata(partition: number): Promise<string | null> {
    const { config } = this.deps;
    const generation = this.generation;
    if (this.committed?.generation !== generation) {
      // Without its checkpoint a partition cannot be replayed correctly (windows closed before would
      // reopen with part of their events): retry until it is read, however long the broker is away.
      for (let attempt = 1, delay = 300; ; attempt++, delay = Math.min(delay * 2, 5_000)) {
        const admin = this.kafka.admin();
        try {
          await admin.connect();
          const res = await admin.fetchOffsets({ groupId: config.kafka.groupId, topics: [config.topics.inference] });
          this.committed = { generation, metadata: new Map((res[0]?.partitions ?? []).filter((x) => x.metadata).map((x) => [x.partition, x.metadata!])) };
          break;
        } catch (err) {
          if (this.stopping) throw err;
          this.log.warn({ partition, attempt, err: (err as Error).message }, `could not read the checkpoint of partition ${partition}; retrying in ${delay} ms`);
          await sleep(delay);
        } finally {
          await admin.disconnect().catch(() => undefined);
        }
      }
    }
    return this.committed!.metadata.get(partition) ?? null;
  }

  /** Reads the committed offset's checkpoint of a newly assigned partition. */
  private async restorePartition(partition: number): Promise<void> {
    const { config } = this.deps;
    const generation = this.generation;
    let checkpoint: Checkpoint | null = null;
    const metadata = await this.committedMetadata(partition);
    if (metadata) {
      try {
        checkpoint = JSON.parse(metadata) as Checkpoint;
      } catch {
        this.log.warn({ partition, metadata }, 'the committed offset carries metadata that is not a driftline checkpoint; ignoring it');
      }
    }
    if (this.alertsCaughtUpAt !== generation) {
      await this.alertsCaughtUp();
      this.alertsCaughtUpAt = generation;
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
  /**
   * Next offset per labels partition. Labels are committed as they are joined: the join state
   * (predictions waiting for labels, performance windows) is in memory only, see the README.
   */
  private readonly labelOffsets = new Map<number, number>();
  private readonly labelCommitted = new Map<number, number>();

  private lastCommitAt = 0;

  /**
   * The output producer: idempotent; with kafka.transactions also transactional, with an id of
   * its own per process (see the README on what that does and does not fence).
   */
  private newProducer(): Producer {
    if (!this.deps.config.kafka.transactions) return idempotentProducer(this.kafka);
    this.transactionalId ??= `${this.deps.config.kafka.clientId}-${this.deps.config.kafka.groupId}-${randomUUID()}`;
    return this.kafka.producer({ transactionalId: this.transactionalId, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000 } });
  }
  private transactionalId: string | null = null;

  /**
   * After a batch: commits at most once per tick interval (the ticker and shutdown commit too), so
   * that a stream of small batches does not wait for a commit round trip each. Publishing still
   * happens before every commit; a crash replays a little more, with identical outputs.
   */
  private async commitIfDue(): Promise<void> {
    const now = this.deps.clock.now();
    // With transactions, outputs go out only with a commit: commit whenever there are any.
    const outputsWaiting = this.deps.config.kafka.transactions && this.hasPending();
    if (!outputsWaiting && now - this.lastCommitAt < this.deps.config.processor.tickIntervalMs) return;
    this.lastCommitAt = now;
    await this.commit();
  }

  /** Commits, per assigned partition, the offset open windows still need, with its checkpoint. */
  private async commit(): Promise<void> {
    if (!this.consumer) return;
    const topic = this.deps.config.topics.inference;
    const offsets: { topic: string; partition: number; offset: string; metadata: string }[] = [];
    // Never commit while outputs wait for their acknowledgement: the commit would cover them.
    // (With transactions the outputs and the offsets go together, below.)
    if (this.hasPending() && !this.deps.config.kafka.transactions) return;
    const keys = new Map<number, string>();
    for (const p of this.assigned) {
      if (!this.assignment.has(p)) continue; // revoked: its new owner commits it
      const c = this.processor.committable(p);
      if (!c) continue;
      const metadata = JSON.stringify(c.checkpoint);
      const key = `${c.offset}|${metadata}`;
      if (this.lastCommitted.get(p) === key) continue;
      offsets.push({ topic, partition: p, offset: String(c.offset), metadata });
      keys.set(p, key);
    }
    for (const [p, next] of this.labelOffsets) {
      if (this.labelCommitted.get(p) === next) continue;
      offsets.push({ topic: this.deps.config.topics.labels, partition: p, offset: String(next), metadata: '' });
      this.labelCommitted.set(p, next);
    }
    if (this.deps.config.kafka.transactions) {
      await this.commitTransaction(offsets);
      for (const [p, key] of keys) this.lastCommitted.set(p, key);
      return;
    }
    if (offsets.length === 0) return;
    await this.consumer.commitOffsets(offsets);
    // Remembered only once the commit succeeded: a failed commit is retried by the next one.
    for (const [p, key] of keys) this.lastCommitted.set(p, key);
    this.obs.offsetsCommitted(offsets.length);
  }

  /**
   * Publishes outputs and waits for the broker's acknowledgement of all of them (and of any left
   * from a failed attempt before). Retries until it succeeds, with a new producer after each
   * failure (an idempotent producer whose send failed can stay out of step with the broker's
   * sequence numbers). Only while stopping does it give up; the outputs are then not committed
   * either, so the next owner replays them.
   */
  private async publish(out: Outputs): Promise<void> {
    if (this.pending) for (const k of Object.keys(out) as (keyof Outputs)[]) (this.pending[k] as unknown[]).push(...(out[k] as unknown[]));
    else this.pending = out;
    if (!this.hasPending()) return;
    if (this.deps.config.kafka.transactions) return; // sent with the offsets, in commitTransaction
    for (let attempt = 1, delay = 300; ; attempt++, delay = Math.min(delay * 2, 5_000)) {
      try {
        await this.send(this.pending!);
        this.pending = null;
        return;
      } catch (err) {
        this.log.warn({ attempt, err: (err as Error).message }, `publishing outputs failed (attempt ${attempt}); retrying in ${delay} ms with a new producer`);
        if (this.stopping && attempt >= 2) throw err;
        const old = this.producer;
        this.producer = this.newProducer();
        await old.disconnect().catch(() => undefined);
        await sleep(delay);
        await this.producer.connect().catch(() => undefined);
      }
    }
  }

  private hasPending(): boolean {
    return this.pending !== null && Object.values(this.pending).some((v) => Array.isArray(v) && v.length > 0);
  }

  /**
   * kafka.transactions: the pending outputs and the offsets in one Kafka transaction, so that a
   * consumer reading with isolation.level=read_committed sees results and alerts exactly when the
   * input that caused them is committed. On failure the transaction is aborted and everything is
   * tried again with the next commit (the outputs stay pending).
   */
  private async commitTransaction(offsets: { topic: string; partition: number; offset: string; metadata: string }[]): Promise<void> {
    if (!this.hasPending() && offsets.length === 0) return;
    const txn = await this.producer.transaction();
    try {
      if (this.pending) await this.send(this.pending, (topicMessages) => txn.sendBatch({ topicMessages, acks: -1 }));
      if (offsets.length) {
        const byTopic = new Map<string, { partition: number; offset: string; metadata: string }[]>();
        for (const o of offsets) (byTopic.get(o.topic) ?? byTopic.set(o.topic, []).get(o.topic)!).push({ partition: o.partition, offset: o.offset, metadata: o.metadata });
        await txn.sendOffsets({ consumerGroupId: this.deps.config.kafka.groupId, topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
      }
      await txn.commit();
    } catch (err) {
      await txn.abort().catch(() => undefined);
      for (const o of offsets) if (o.topic === this.deps.config.topics.labels) this.labelCommitted.delete(o.partition);
      throw err;
    }
    const sent = this.pending;
    this.pending = null;
    for (const a of sent?.alerts ?? []) this.obs.alertPublished(a.value);
    if (offsets.length) this.obs.offsetsCommitted(offsets.length);
  }

  private async send(out: Outputs, sendBatch?: (topicMessages: { topic: string; messages: { key: string | Buffer | null; value: Buffer | null; headers: Record<string, string | Buffer> }[] }[]) => Promise<unknown>): Promise<void> {
    const { topics } = this.deps.config;
    type Msg = { key: string | Buffer | null; value: Buffer | null; headers: Record<string, string | Buffer> };
    const all: { topic: string; messages: Msg[] }[] = [];
    if (out.results.length) all.push({ topic: topics.results, messages: out.results.map((r) => ({ key: r.key, value: this.types.windowResult.toBuffer(r.value), headers: { 'driftline.result_id': r.value.result_id } })) });
    if (out.alerts.length) all.push({ topic: topics.alerts, messages: out.alerts.map((a) => ({ key: a.key, value: this.types.driftAlert.toBuffer(a.value), headers: { 'driftline.alert_id': a.value.alert_id } })) });
    if (out.performance.length) all.push({ topic: topics.performance, messages: out.performance.map((r) => ({ key: r.key, value: this.types.performanceResult.toBuffer(r.value), headers: { 'driftline.result_id': r.value.result_id } })) });
    if (out.deadLetters.length) all.push({ topic: topics.deadLetter, messages: out.deadLetters.map((d) => deadLetterMessage(d)) });
    if (all.length === 0) return;
    // Requests stay well under the broker's default message.max.bytes (1 MiB per record batch):
    // thousands of dead letters at once would otherwise be refused as one oversized batch.
    let chunk: { topic: string; messages: Msg[] }[] = [];
    let bytes = 0;
    const flush = async () => {
      if (chunk.length) await (sendBatch ? sendBatch(chunk) : this.producer.sendBatch({ topicMessages: chunk, acks: -1 }));
      chunk = [];
      bytes = 0;
    };
    for (const t of all) {
      for (const m of t.messages) {
        const size = (m.value?.length ?? 0) + (typeof m.key === 'string' ? m.key.length : m.key?.length ?? 0) + 64;
        if (bytes + size > SEND_CHUNK_BYTES) await flush();
        const last = chunk[chunk.length - 1];
        if (last && last.topic === t.topic) last.messages.push(m);
        else chunk.push({ topic: t.topic, messages: [m] });
        bytes += size;
      }
    }
    await flush();
    if (!sendBatch) for (const a of out.alerts) this.obs.alertPublished(a.value);
  }

  /** Waits for `task` at most `ms`; on timeout or failure logs and goes on. */
  private async bounded(what: string, ms: number, task: Promise<unknown>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
    try {
      const r = await Promise.race([task.then(() => 'done' as const), timeout]);
      if (r === 'timeout') this.log.warn({ ms }, `${what} took longer than ${ms} ms; going on (uncommitted work is replayed by the next owner)`);
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, `${what} failed; going on (uncommitted work is replayed by the next owner)`);
    } finally {
      clearTimeout(timer);
    }
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
    // Each step is bounded, so that a commit retried through a rebalance, or a restore in progress,
    // cannot hold shutdown past its limit; whatever did not get committed is replayed by the next
    // owner of the partitions (identical outputs).
    await this.bounded('publishing and committing before shutdown', STOP_FLUSH_MS, this.serialize(async () => {
      await this.publish(this.processor.drain());
      await this.commit();
    }));
    // The consumers leave their groups in parallel: one after the other, each waiting out its
    // fetch, took most of the 15 s shutdown bound.
    await this.bounded('leaving the consumer groups', STOP_DISCONNECT_MS, Promise.all([this.consumer, this.trainingConsumer, this.alertsConsumer].map((c) => c?.disconnect().catch(() => undefined))));
    await this.bounded('closing the producer', STOP_DISCONNECT_MS, this.producer?.disconnect() ?? Promise.resolve());
    await this.http?.close();
  }
}
