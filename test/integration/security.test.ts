/**
 * Kafka security against a real broker: deploy/kafka/kafka.sh with KAFKA_SECURITY=sasl on its own
 * port (DRIFTLINE_SECURITY_KAFKA_PORT, default 61092; SASL_PLAINTEXT on +2, SSL on +3), started in
 * beforeAll -- the test FAILS when it cannot start, it never skips.
 *
 *  - PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512: `driftline topics create` and `driftline run` (child
 *    processes) over the SASL listener, the password from an environment variable (PLAIN,
 *    SCRAM-SHA-512) or a file (SCRAM-SHA-256); events produced with kafkajs and the same SASL
 *    settings; a WindowResult arrives;
 *  - a wrong password: `driftline run` stays alive, not ready (/readyz 503), and logs a clear
 *    authentication error on every attempt, retrying with growing delays;
 *  - TLS: `driftline topics create` over the SSL listener with kafka.ssl.caFile (the test CA);
 *  - nothing any child process printed (stdout and stderr) contains a password.
 *
 * Credentials are the test-only ones documented in deploy/kafka/kafka.sh.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, Partitioners, type SASLOptions } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeEvent } from '../../src/codec/event.js';
import { loadTypes } from '../../src/codec/schemas.js';
import type { WindowResult } from '../../src/detect/evaluate.js';
import { freePort, httpStatus, kafkaSh, REPO, sleep, startDriftline, waitAlive, waitFor, writeConfig, type Proc } from './support/driftline.js';

const PORT = Number(process.env.DRIFTLINE_SECURITY_KAFKA_PORT ?? 61092);
const SASL_BROKERS = [`127.0.0.1:${PORT + 2}`];
const SSL_BROKERS = [`127.0.0.1:${PORT + 3}`];
const CA_FILE = path.join(REPO, '.kafka', String(PORT), 'tls', 'ca.pem');
const USER = 'driftline';
/** Test-only passwords of deploy/kafka/kafka.sh (KAFKA_SECURITY=sasl). */
const PASSWORDS = {
  plain: 'driftline-plain-secret',
  'scram-sha-256': 'driftline-scram256-secret',
  'scram-sha-512': 'driftline-scram512-secret',
} as const;
const WRONG_PASSWORD = 'not-the-password-7f3a91';
const ALL_SECRETS = [...Object.values(PASSWORDS), WRONG_PASSWORD, 'admin-plain-secret', 'driftline-tls-secret'];
type Mechanism = keyof typeof PASSWORDS;

const H = 3_600_000;
const T0 = Date.UTC(2026, 4, 4);
const types = loadTypes();
/** Everything every child process printed, for the final grep. */
const childOutput: { what: string; lines: string[] }[] = [];
const procs: Proc[] = [];
const timings: string[] = [];

function secretDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'driftline-secret-'));
}

function config(suffix: string, kafka: Record<string, unknown>) {
  return {
    kafka: { clientId: `security-${suffix}`, groupId: `security-${suffix}`, ...kafka },
    topics: { inference: `sec.inference.${suffix}`, training: `sec.training.${suffix}`, results: `sec.results.${suffix}`, alerts: `sec.alerts.${suffix}`, deadLetter: `sec.dlq.${suffix}`, labels: `sec.labels.${suffix}`, performance: `sec.perf.${suffix}` },
    metrics: { port: 0 },
    processor: { tickIntervalMs: 200 },
    logLevel: 'info',
    models: [{ id: 'm', window: { size: '1h', grace: '0s', idle: '2s' }, minRows: 10, features: [{ name: 'x', type: 'numeric' }, { name: 'c', type: 'categorical' }] }],
  };
}

/** Runs `node bin/driftline.js <args>`; resolves to its exit code and output (also kept for the grep). */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  const base = { ...process.env };
  delete base.KAFKA_BROKERS;
  delete base.DRIFTLINE_KAFKA_BROKERS;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO, 'bin/driftline.js'), ...args], { cwd: REPO, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      childOutput.push({ what: `driftline ${args.join(' ')}`, lines: out.split('\n') });
      resolve({ code, out });
    });
  });
}

async function run(file: string, env: Record<string, string>, what: string): Promise<Proc & { port: number }> {
  const port = await freePort();
  const p = Object.assign(startDriftline(file, { DRIFTLINE_METRICS_PORT: String(port), ...env }), { port });
  procs.push(p);
  childOutput.push({ what, lines: p.log });
  return p;
}

function saslKafka(mechanism: Mechanism, password: string = PASSWORDS[mechanism]): Kafka {
  return new Kafka({ clientId: 'driftline-security-test', brokers: SASL_BROKERS, logLevel: logLevel.NOTHING, sasl: { mechanism, username: USER, password } as SASLOptions, retry: { retries: 10, initialRetryTime: 200 } });
}

async function produce(kafka: Kafka, topic: string, messages: { key: string; value: Buffer }[]): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

/** The first WindowResult on the topic (read with the same SASL settings), or null after the timeout. */
async function firstWindowResult(kafka: Kafka, topic: string, timeoutMs: number): Promise<WindowResult | null> {
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let found: WindowResult | null = null;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.run({
    eachMessage: async ({ message }) => {
      found = types.windowResult.fromBuffer(message.value!) as WindowResult;
      done();
    },
  });
  const timer = setTimeout(done, timeoutMs);
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  return found;
}

beforeAll(async () => {
  const t = Date.now();
  // --fresh: the SCRAM users are created when the data dir is formatted.
  const code = await new Promise<number>((resolve) => {
    const child = spawn('bash', [path.join(REPO, 'deploy/kafka/kafka.sh'), 'start', '--fresh'], { cwd: REPO, env: { ...process.env, KAFKA_PORT: String(PORT), KAFKA_SECURITY: 'sasl' }, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('close', (c) => resolve(c ?? 1));
  });
  if (code !== 0) throw new Error(`KAFKA_SECURITY=sasl KAFKA_PORT=${PORT} bash deploy/kafka/kafka.sh start --fresh failed (exit ${code}); the security test needs it`);
  if (!existsSync(CA_FILE)) throw new Error(`the broker started but made no test CA at ${CA_FILE} (is keytool on PATH?)`);
  timings.push(`broker start ${Date.now() - t} ms`);
});

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await kafkaSh(PORT, 'stop');
  console.log(`security test timings: ${timings.join('; ')}`);
});

describe('SASL: topics create, run and a WindowResult per mechanism', () => {
  const cases: { mechanism: Mechanism; source: 'env' | 'file' }[] = [
    { mechanism: 'plain', source: 'env' },
    { mechanism: 'scram-sha-256', source: 'file' },
    { mechanism: 'scram-sha-512', source: 'env' },
  ];
  for (const { mechanism, source } of cases) {
    it(`${mechanism}, password from ${source === 'env' ? 'an environment variable' : 'a file'}`, async () => {
      const t = Date.now();
      const suffix = `${mechanism}-${randomUUID().slice(0, 8)}`;
      const env: Record<string, string> = {};
      const sasl: Record<string, string> = { mechanism, username: USER };
      if (source === 'env') {
        sasl.passwordEnv = 'DRIFTLINE_TEST_KAFKA_PASSWORD';
        env.DRIFTLINE_TEST_KAFKA_PASSWORD = PASSWORDS[mechanism];
      } else {
        const file = path.join(secretDir(), 'kafka-password');
        writeFileSync(file, `${PASSWORDS[mechanism]}\n`, { mode: 0o600 });
        sasl.passwordFile = file;
      }
      const cfg = config(suffix, { brokers: SASL_BROKERS, sasl });
      const file = writeConfig(cfg);

      const created = await cli(['topics', 'create', '-c', file, '--partitions', '2'], env);
      expect(created.code, created.out).toBe(0);
      expect(created.out).toContain(cfg.topics.inference);

      const kafka = saslKafka(mechanism);
      const r = (i: number) => Math.sin(i * 12.9898) * 0.5;
      await produce(kafka, cfg.topics.training, Array.from({ length: 100 }, (_, i) => ({ key: 'm', value: encodeEvent(types.training, 'training', { model_id: 'm', model_version: 'v1', event_id: `t${i}`, event_time: T0 - H, features: { x: r(i), c: i % 2 ? 'a' : 'b' } }) })));

      const p = await run(file, env, `driftline run (${mechanism})`);
      await waitAlive(p, `readiness over SASL ${mechanism}`, async () => (await httpStatus(p.port, '/readyz')) === 200, 90_000);
      await produce(kafka, cfg.topics.inference, Array.from({ length: 60 }, (_, i) => ({ key: 'm', value: encodeEvent(types.inference, 'inference', { model_id: 'm', model_version: 'v1', event_id: `e${i}`, event_time: T0 + i * 1000, features: { x: r(i + 1000), c: i % 2 ? 'a' : 'b' } }) })));

      const result = await firstWindowResult(kafka, cfg.topics.results, 60_000);
      expect(result, p.log.slice(-15).join('\n')).not.toBeNull();
      expect(result!.model_id).toBe('m');
      expect(result!.window_start).toBe(T0);
      expect(result!.rows).toBe(60);

      p.child.kill('SIGTERM');
      expect((await p.exited).code).toBe(0);
      timings.push(`${mechanism} ${Date.now() - t} ms`);
    });
  }
});

describe('SASL: a wrong password', () => {
  it('run stays up but not ready, and logs a clear authentication error on every retry, with growing delays', async () => {
    const t = Date.now();
    const suffix = `wrong-${randomUUID().slice(0, 8)}`;
    const file = writeConfig(config(suffix, { brokers: SASL_BROKERS, sasl: { mechanism: 'scram-sha-256', username: USER, passwordEnv: 'DRIFTLINE_TEST_KAFKA_PASSWORD' } }));
    const p = await run(file, { DRIFTLINE_TEST_KAFKA_PASSWORD: WRONG_PASSWORD }, 'driftline run (wrong password)');
    await waitAlive(p, 'the metrics endpoint', async () => (await httpStatus(p.port, '/healthz')) === 200, 60_000);
    const authErrors = () => p.log.filter((l) => /authentication failed/i.test(l) && /invalid credentials/i.test(l));
    await waitAlive(p, 'three authentication errors in the log', () => authErrors().length >= 3, 60_000);
    for (let i = 0; i < 3; i++) {
      expect(await httpStatus(p.port, '/readyz')).toBe(503);
      expect(p.child.exitCode).toBeNull();
      await sleep(500);
    }
    // driftline's own retry line (not only kafkajs's), at warn, naming the mechanism, with backoff.
    const retries = p.log.filter((l) => l.includes('retrying in')).map((l) => JSON.parse(l) as { level: number; attempt: number; retryInMs: number; err: string });
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries[0].level).toBe(40);
    expect(retries[0].err).toMatch(/SASL SCRAM SHA256 authentication failed/);
    expect(retries[1].retryInMs).toBeGreaterThan(retries[0].retryInMs);
    expect(p.log.some((l) => l.includes('rejected the credentials'))).toBe(true);
    expect(p.log.some((l) => l.includes('connected to Kafka'))).toBe(false);

    p.child.kill('SIGTERM');
    const exit = await Promise.race([p.exited, sleep(20_000).then(() => null)]);
    expect(exit, 'driftline run did not stop within 20 s of SIGTERM while retrying').not.toBeNull();
    timings.push(`wrong password ${Date.now() - t} ms`);
  });
});

describe('TLS', () => {
  it('topics create over the SSL listener with kafka.ssl.caFile (the test CA)', async () => {
    const t = Date.now();
    const suffix = `tls-${randomUUID().slice(0, 8)}`;
    const cfg = config(suffix, { brokers: SSL_BROKERS, ssl: { caFile: CA_FILE } });
    const created = await cli(['topics', 'create', '-c', writeConfig(cfg), '--partitions', '1']);
    expect(created.code, created.out).toBe(0);
    expect(created.out).toContain(cfg.topics.inference);
    const again = await cli(['topics', 'create', '-c', writeConfig(cfg), '--partitions', '1']);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toContain('all configured topics exist already');
    // Without the CA the broker's certificate is not trusted: the command fails.
    const untrusted = await cli(['topics', 'create', '-c', writeConfig(config(`${suffix}-x`, { brokers: SSL_BROKERS, ssl: {} }))]);
    expect(untrusted.code).not.toBe(0);
    timings.push(`tls ${Date.now() - t} ms`);
  });
});

describe('secrets never logged', () => {
  it('no password appears in anything the child processes printed', () => {
    const lines = childOutput.flatMap((c) => c.lines.map((l) => ({ what: c.what, l })));
    expect(childOutput.length).toBeGreaterThanOrEqual(8);
    expect(lines.length).toBeGreaterThan(20);
    for (const secret of ALL_SECRETS) {
      const hits = lines.filter(({ l }) => l.includes(secret));
      expect(hits.map(({ what, l }) => `${what}: ${l}`), `"${secret}" was logged`).toEqual([]);
    }
  });
});
