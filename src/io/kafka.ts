/**
 * The Kafka client, built from the validated config: brokers, client id, TLS and SASL. Secrets are
 * read from environment variables or files named in the config, never from the config itself, and
 * never logged.
 */
import { readFileSync } from 'node:fs';
import { AssignerProtocol, Kafka, Partitioners, logLevel, type Admin, type KafkaConfig, type PartitionAssigner, type Producer, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { ConfigError, KafkaIoError } from '../errors.js';
import { patchKafkajsRecordDecoder, patchKafkajsRequestQueue } from './kafkajs-patch.js';

function readSecret(path: string, env: string | undefined, file: string | undefined): string {
  if (env) {
    const v = process.env[env];
    if (v === undefined || v === '') throw new ConfigError(path, `environment variable ${env} is not set`);
    return v;
  }
  try {
    return readFileSync(file!, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(path, `cannot read the secret file ${file}: ${(err as Error).message}`, { cause: err });
  }
}

function readFile(path: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(path, `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** kafkajs logs through pino at warn and above (kafkajs is chatty at info). */
function kafkaLogCreator(log: Logger) {
  return () => ({ level, log: entry }: { level: number; log: { message: string } & Record<string, unknown> }) => {
    const { message, ...rest } = entry;
    delete (rest as Record<string, unknown>).timestamp;
    // kafkajs reports retriable conditions (a coordinator still loading, a broker restarting) at
    // error level and retries them itself; driftline logs its own failures at error.
    if (level === logLevel.ERROR || level === logLevel.WARN) log.warn(rest, `kafkajs: ${message}`);
  };
}

export function kafkaClientConfig(config: Config, log?: Logger): KafkaConfig {
  const k = config.kafka;
  const out: KafkaConfig = {
    clientId: k.clientId,
    brokers: k.brokers,
    connectionTimeout: k.connectionTimeoutMs,
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 10_000 },
  };
  // Without a logger (short CLI commands), kafkajs stays quiet but for errors.
  if (log) out.logCreator = kafkaLogCreator(log);
  else out.logLevel = logLevel.ERROR;
  if (k.ssl) {
    out.ssl = {
      rejectUnauthorized: k.ssl.rejectUnauthorized,
      ca: k.ssl.caFile ? [readFile('kafka.ssl.caFile', k.ssl.caFile)] : undefined,
      cert: k.ssl.certFile ? readFile('kafka.ssl.certFile', k.ssl.certFile) : undefined,
      key: k.ssl.keyFile ? readFile('kafka.ssl.keyFile', k.ssl.keyFile) : undefined,
    };
  }
  if (k.sasl) {
    const password = readSecret('kafka.sasl', k.sasl.passwordEnv, k.sasl.passwordFile);
    out.sasl = { mechanism: k.sasl.mechanism, username: k.sasl.username, password } as SASLOptions;
  }
  return out;
}

export function createKafka(config: Config, log?: Logger): Kafka {
  // kafkajs 2.2.x wakes the event loop every millisecond per connection (see kafkajs-patch.ts).
  patchKafkajsRequestQueue(log && ((reason) => log.warn({ reason }, `kafkajs' request-queue timer fix is not applied (${reason}); each Kafka connection may cost idle CPU`)));
  // kafkajs 2.2.x spends about half of a consumer's CPU on BigInt offsets (see kafkajs-records.ts).
  patchKafkajsRecordDecoder(log && ((reason) => log.warn({ reason }, `kafkajs' faster record decoder is not applied, so consuming costs more CPU: ${reason}`)));
  return new Kafka(kafkaClientConfig(config, log));
}

/** Creates the configured topics that do not exist yet. Returns the names it created. */
export async function createTopics(kafka: Kafka, config: Config, opts: { partitions?: number } = {}): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const t = config.topics;
    const DAY = 86_400_000;
    const specs = [
      { topic: t.inference, numPartitions: opts.partitions ?? 6, configEntries: [{ name: 'retention.ms', value: String(7 * DAY) }] },
      { topic: t.training, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '-1' }] },
      { topic: t.results, numPartitions: opts.partitions ?? 6, configEntries: [{ name: 'retention.ms', value: String(30 * DAY) }] },
      { topic: t.alerts, numPartitions: opts.partitions ?? 6, configEntries: [{ name: 'retention.ms', value: String(90 * DAY) }] },
      { topic: t.labels, numPartitions: opts.partitions ?? 6, configEntries: [{ name: 'retention.ms', value: String(30 * DAY) }] },
      { topic: t.performance, numPartitions: opts.partitions ?? 6, configEntries: [{ name: 'retention.ms', value: String(90 * DAY) }] },
      { topic: t.deadLetter, numPartitions: 1, configEntries: [{ name: 'retention.ms', value: String(30 * DAY) }] },
    ].filter((s) => !existing.has(s.topic));
    if (specs.length > 0) {
      try {
        await admin.createTopics({ topics: specs.map((s) => ({ ...s, replicationFactor: -1 })), waitForLeaders: true });
      } catch (err) {
        // A broker that has just started may answer kafkajs' wait for the new topics' leaders with
        // "does not host this topic-partition" before their metadata reached it: the topics were
        // created, so their leaders are waited for here, through that error.
        if (errorType(err) !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
        await waitForLeaders(admin, specs.map((s) => s.topic));
      }
    }
    return specs.map((s) => s.topic);
  } finally {
    await admin.disconnect();
  }
}

/** The Kafka error type (kafkajs' `type`, such as UNKNOWN_TOPIC_OR_PARTITION) of an error or of its causes. */
export function errorType(err: unknown): string | undefined {
  for (let e = err as { type?: unknown; cause?: unknown; originalError?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.type === 'string') return e.type;
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return undefined;
}

/**
 * Waits until every partition of the topics has a leader, asking the metadata every 250 ms and
 * going on through errors Kafka calls retriable, for at most `timeoutMs`.
 */
export async function waitForLeaders(admin: Pick<Admin, 'fetchTopicMetadata'>, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics });
      const waiting = found.filter((t) => t.partitions.length === 0 || t.partitions.some((p) => p.partitionErrorCode !== 0 || p.leader < 0)).map((t) => t.name);
      if (found.length === topics.length && waiting.length === 0) return;
      last = `no leader yet for ${waiting.join(', ') || 'some topics'}`;
    } catch (err) {
      if (!(err as { retriable?: boolean }).retriable) throw err;
      last = (err as Error).message;
    }
    if (Date.now() >= deadline) throw new KafkaIoError(`the new topics ${topics.join(', ')} have no leader after ${timeoutMs} ms (${last})`, { retriable: true });
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * The producer driftline uses everywhere: idempotent (no duplicates from its own retries), one
 * request in flight (keeps order), retrying for as long as it takes while a broker is away; sends
 * are awaited with acks=all by the callers.
 */
export function idempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 30_000 },
  });
}

/**
 * A partition assigner that gives partition p of every subscribed topic to the same member
 * (members sorted by id, partition p to member p mod n), so that a model's inference events and its
 * labels, both keyed by model_id on topics with equal partition counts, meet on one instance.
 */
export const CoPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: 'DriftlineCoPartitioned',
  version: 1,
  async assign({ members, topics }) {
    const ids = members.map((m) => m.memberId).sort();
    const plan = new Map<string, Record<string, number[]>>(ids.map((id) => [id, {}]));
    for (const topic of topics) {
      const partitions = cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId).sort((a, b) => a - b);
      for (const p of partitions) {
        const member = plan.get(ids[p % ids.length])!;
        (member[topic] ??= []).push(p);
      }
    }
    return ids.map((memberId) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment: plan.get(memberId)!, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    return { name: 'DriftlineCoPartitioned', metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }) };
  },
});
