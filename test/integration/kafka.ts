/**
 * Small Kafka helpers for integration tests (kafkajs based).
 *
 *   const b = brokers();                          // from the global setup, e.g. ['127.0.0.1:9092']
 *   const topic = uniqueTopic('inference');       // 'inference-<time>-<random>'
 *   await createTopics(b, [topic], 3);
 *   await produceMessages(b, topic, [{ key: 'k', value: 'v' }]);
 *   const got = await consumeAll(b, topic, { expected: 1 });
 *
 * Every test should use its own uniqueTopic(): the broker may be shared between runs.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { Kafka, logLevel, Partitioners, type IHeaders } from 'kafkajs';

/** Bootstrap servers provided by test/integration/global-setup.ts. */
export function brokers(): string[] {
  const value = inject('kafkaBrokers') ?? process.env.KAFKA_BROKERS;
  if (!value) {
    throw new Error('no Kafka brokers: is test/integration/global-setup.ts configured as globalSetup?');
  }
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A topic name nobody else uses: `<prefix>-<base36 time>-<random hex>`. */
export function uniqueTopic(prefix = 'test'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** A kafkajs client that only logs errors. */
export function kafkaClient(brokerList: string[], clientId = 'driftline-test'): Kafka {
  return new Kafka({
    clientId,
    brokers: brokerList,
    logLevel: logLevel.ERROR,
    retry: { retries: 8, initialRetryTime: 200 },
  });
}

/** Creates the topics (if missing) and waits until every partition has a leader. */
export async function createTopics(brokerList: string[], topics: string[], partitions = 3): Promise<void> {
  const admin = kafkaClient(brokerList, 'driftline-test-admin').admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
    });
  } finally {
    await admin.disconnect();
  }
}

export interface TestMessage {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  partition?: number;
  headers?: IHeaders;
}

/** Produces the messages (acks=all) and disconnects. */
export async function produceMessages(brokerList: string[], topic: string, messages: TestMessage[]): Promise<void> {
  const producer = kafkaClient(brokerList, 'driftline-test-producer').producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: true,
  });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  /** Raw bytes, for binary payloads (Avro, Arrow ...). */
  valueBuffer: Buffer | null;
  headers: Record<string, string>;
  timestamp: string;
}

export interface ConsumeOptions {
  /** Stop as soon as this many messages arrived. */
  expected?: number;
  /** Stop after this long without a new message (counted from the group join). Default 3000 ms. */
  idleMs?: number;
  /** Hard limit for the whole call. Default 60 000 ms. Returns what arrived so far. */
  timeoutMs?: number;
  /** Stop as soon as this holds for the number of messages so far (no idle stop then). */
  until?: (count: number) => boolean;
  /** A client to use (e.g. one made from a driftline config) instead of one for `brokerList`. */
  client?: Kafka;
}

/**
 * Reads a topic from the beginning with a fresh consumer group and returns the messages
 * (in arrival order; within a partition that is offset order).
 *
 * Stops when `expected` messages arrived, or, without `expected`, after `idleMs` of silence;
 * never later than `timeoutMs`. It does not throw on a short count: assert on the result.
 */
export async function consumeAll(
  brokerList: string[],
  topic: string,
  opts: ConsumeOptions = {},
): Promise<ConsumedMessage[]> {
  const idleMs = opts.idleMs ?? 3_000;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const consumer = (opts.client ?? kafkaClient(brokerList, 'driftline-test-consumer')).consumer({
    groupId: `driftline-test-${randomBytes(6).toString('hex')}`,
    // Short timings so a one-off consumer joins and leaves quickly.
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 200,
  });

  const messages: ConsumedMessage[] = [];
  const started = Date.now();
  let joinedAt: number | null = null;
  let lastMessageAt = 0;

  consumer.on(consumer.events.GROUP_JOIN, () => {
    joinedAt ??= Date.now();
  });

  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic: t, partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) {
          if (v !== undefined) headers[k] = Array.isArray(v) ? v.map(String).join(',') : String(v);
        }
        messages.push({
          topic: t,
          partition,
          offset: message.offset,
          key: message.key ? message.key.toString() : null,
          value: message.value ? message.value.toString() : null,
          valueBuffer: message.value ?? null,
          headers,
          timestamp: message.timestamp,
        });
        lastMessageAt = Date.now();
      },
    });

    // Poll the stop conditions.
    for (;;) {
      const now = Date.now();
      if (opts.expected !== undefined && messages.length >= opts.expected) break;
      if (opts.until && opts.until(messages.length)) break;
      if (now - started >= timeoutMs) break;
      if (opts.expected === undefined && !opts.until && joinedAt !== null && now - Math.max(joinedAt, lastMessageAt) >= idleMs) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

/**
 * Reads a topic from the beginning with a fresh group until `until(count)` holds or the timeout
 * passes (then returns what it has): consumeAll with a driftline client, as key, value bytes and
 * headers.
 */
export async function readTopic(kafka: Kafka, topic: string, until: (n: number) => boolean, timeoutMs = 60_000) {
  const messages = await consumeAll([], topic, { client: kafka, until, timeoutMs });
  return messages.map((m) => ({ key: m.key, value: m.valueBuffer!, headers: m.headers }));
}
