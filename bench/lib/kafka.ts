/**
 * Kafka helpers of the benchmarks: topics, a fast producer of pre-encoded bodies, a bare kafkajs
 * consumer (the baseline), free ports and scraping driftline's /metrics.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { CompressionTypes, Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { now, progress, type Bodies, type Topics } from './common.js';

export function kafka(brokers: string, clientId = 'driftline-bench'): Kafka {
  return new Kafka({ clientId, brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 10 } });
}

export async function createTopics(k: Kafka, topics: Topics, partitions: number): Promise<void> {
  const admin = k.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: topics.inference, numPartitions: partitions },
        { topic: topics.training, numPartitions: 1 },
        { topic: topics.alerts, numPartitions: 1 },
        { topic: topics.results, numPartitions: 1 },
        { topic: topics.deadLetter, numPartitions: 1 },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(k: Kafka, prefix: string): Promise<void> {
  const admin = k.admin();
  await admin.connect();
  try {
    const all = await admin.listTopics();
    const mine = all.filter((t) => t.startsWith(prefix));
    if (mine.length) await admin.deleteTopics({ topics: mine }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

export async function producer(k: Kafka): Promise<Producer> {
  const p = k.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await p.connect();
  return p;
}

/**
 * Sends all bodies, model i to partition i % partitions. One sender per partition sends its
 * partition's messages strictly in order (one request in flight each: concurrent sends to one
 * partition may be reordered, which makes events late); partitions go in parallel.
 */
export async function produceBodies(k: Kafka, topic: string, bodies: Bodies, partitions: number, opts: { batch?: number } = {}): Promise<{ ms: number }> {
  const batch = opts.batch ?? 2_000; // per request: a record batch stays under the broker's 1 MB message.max.bytes
  const p = await producer(k);
  const t0 = now();
  const byPartition: number[][] = Array.from({ length: partitions }, () => []);
  for (let i = 0; i < bodies.length; i++) byPartition[bodies.modelOf[i] % partitions].push(i);
  let sent = 0;
  let lastReport = 0;
  try {
    await Promise.all(byPartition.map(async (idx, partition) => {
      for (let i = 0; i < idx.length; i += batch) {
        const messages = idx.slice(i, i + batch).map((j) => ({ key: bodies.keys[bodies.modelOf[j]], value: bodies.body(j), partition }));
        await p.send({ topic, messages, acks: 1, compression: CompressionTypes.None });
        sent += messages.length;
        if (sent - lastReport >= 100_000 || sent === bodies.length) {
          lastReport = sent;
          const s = (now() - t0) / 1000;
          progress(`  produced ${sent.toLocaleString('en')} / ${bodies.length.toLocaleString('en')} events (${Math.round(sent / s).toLocaleString('en')} ev/s)`);
        }
      }
    }));
  } finally {
    await p.disconnect();
  }
  return { ms: now() - t0 };
}

export async function produceMessages(k: Kafka, topic: string, messages: { key: string; value: Buffer }[], batch = 2_000): Promise<void> {
  const p = await producer(k);
  try {
    for (let i = 0; i < messages.length; i += batch) await p.send({ topic, messages: messages.slice(i, i + batch), acks: 1 });
  } finally {
    await p.disconnect();
  }
}

/**
 * The baseline: a kafkajs consumer (eachBatch, counting messages only) reading the topic from the
 * beginning with a fresh group, in a child process of its own (bench/lib/bare-consumer.mjs), as
 * `driftline run` is. (Until 2026-12-01 it ran inside the bench process, whose heap then held the
 * million pre-encoded bodies: its garbage collections walked them, and the baseline ran 1.4 to 1.9
 * times slower than in a clean process, which flattered driftline's ratio.) Rate is measured from
 * the first batch to the last message; CPU is the child's, all threads, over the same span.
 */
export async function bareConsume(brokers: string, topic: string, expected: number, opts: { timeoutMs?: number; recordFix?: boolean } = {}): Promise<{ eps: number; ms: number; startupMs: number; cpuUsPerEvent: number }> {
  const args = [BARE_CONSUMER, brokers, topic, String(expected), String(opts.timeoutMs ?? 600_000), ...(opts.recordFix ? ['--record-fix'] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let last = '';
  let pending = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  child.stdout!.on('data', (d) => {
    pending += d;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('progress ')) progress(`  bare kafkajs consumed ${Number(line.slice(9)).toLocaleString('en')}`);
      else if (line.trim()) last = line;
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0 || !last) throw new Error(`the bare consumer (${BARE_CONSUMER}) exited ${code}: ${stderr.trim().slice(-400)}`);
  return JSON.parse(last);
}

const BARE_CONSUMER = fileURLToPath(new URL('./bare-consumer.mjs', import.meta.url));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Sum of a Prometheus metric's samples whose labels include all of `labels`, or null if unreachable. */
export async function scrape(port: number, name: string, labels: Record<string, string> = {}): Promise<number | null> {
  let text: string;
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    text = await res.text();
  } catch {
    return null;
  }
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    if (!Object.entries(labels).every(([k, v]) => rest.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
