/**
 * Helpers for the reliability tests: `driftline run` as a child process, a private local broker
 * (deploy/kafka/kafka.sh on its own port), and reading a topic exactly to its end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function kafkaClient(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'driftline-reliability-test', brokers, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 200 } });
}

/** Runs deploy/kafka/kafka.sh <cmd> for a port; resolves to its exit code. */
export function kafkaSh(port: number, ...args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('bash', [path.join(REPO, 'deploy/kafka/kafka.sh'), ...args], { cwd: REPO, env: { ...process.env, KAFKA_PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      if (code !== 0) console.error(`kafka.sh ${args.join(' ')} (port ${port}) failed:\n${err}`);
      resolve(code ?? 1);
    });
  });
}

/** Writes a config (JSON is YAML) to a temporary file and returns its path. */
export function writeConfig(config: unknown): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'driftline-'));
  const file = path.join(dir, 'driftline.yaml');
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

export interface Proc {
  child: ChildProcess;
  log: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** Starts `node bin/driftline.js run -c <config>`; its log lines are collected. */
export function startDriftline(configFile: string, env: Record<string, string> = {}): Proc {
  // The brokers come from the config: KAFKA_BROKERS (set for the test run) would override them.
  const base = { ...process.env };
  delete base.KAFKA_BROKERS;
  delete base.DRIFTLINE_KAFKA_BROKERS;
  const child = spawn(process.execPath, [path.join(REPO, 'bin/driftline.js'), 'run', '-c', configFile], { cwd: REPO, env: { ...base, DRIFTLINE_SESSION_TIMEOUT_MS: '6000', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  let buf = '';
  const onData = (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    log.push(...lines);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  return { child, log, exited };
}

export async function httpStatus(port: number, p: string): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${p}`);
    await res.text();
    return res.status;
  } catch {
    return 0;
  }
}

export async function waitFor(what: string, cond: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * A port nobody listens on right now, from the system (a fixed or random pick in 40000-45000 can
 * be the local port of one of the many Kafka connections: those come from the same range).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** waitFor, failing at once (with the log tail) when the process exits before cond holds. */
export async function waitAlive(p: Proc, what: string, cond: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  await waitFor(what, async () => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error(`driftline run exited (${p.child.exitCode ?? p.child.signalCode}) while waiting for ${what}`);
    return cond();
  }, timeoutMs).catch((err) => {
    throw new Error(`${(err as Error).message}\n${p.log.slice(-15).join('\n')}`);
  });
}

/** A metric's value summed over the series whose labels contain `labels`. */
export async function metric(port: number, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.split(' ').pop());
  }
  return sum;
}

export interface Raw {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Every message of a topic up to its current end (high watermarks read first). */
export async function readToEnd(brokers: string[], topic: string, timeoutMs = 60_000): Promise<Raw[]> {
  const kafka = kafkaClient(brokers);
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const ends = new Map(offsets.filter((o) => Number(o.high) > Number(o.low)).map((o) => [o.partition, Number(o.high)]));
  const out: Raw[] = [];
  if (ends.size === 0) return out;
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const end = ends.get(partition);
      if (end === undefined || Number(message.offset) >= end) return;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(Array.isArray(v) ? v[0] : v);
      out.push({ partition, offset: message.offset, key: message.key, value: message.value, headers });
      if (Number(message.offset) >= end - 1) ends.delete(partition);
      if (ends.size === 0) done();
    },
  });
  const timer = setTimeout(done, timeoutMs);
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  return out;
}
