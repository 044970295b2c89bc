/**
 * `driftline tail alerts|results -c FILE [--json] [--from-beginning]`: follows the alerts or the
 * window-results topic, decodes the Avro records and prints one line per record, readable for
 * people or as JSON lines (`--json`), until Ctrl-C or SIGTERM.
 *
 * It reads with a private, throw-away consumer group (`<groupId>-tail-<random>`), so it never
 * moves the offsets of driftline or of any other consumer. Without `--from-beginning` it starts at
 * the end of the topic and prints what arrives from now on.
 */
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type avro from 'avsc';
import { loadConfig } from '../config.js';
import { loadTypes } from '../codec/schemas.js';
import type { DriftAlert } from '../detect/alerts.js';
import type { WindowResult } from '../detect/evaluate.js';
import { METRICS } from '../detect/registry.js';
import { DriftlineError } from '../errors.js';
import { createKafka } from '../io/kafka.js';

export type TailWhat = 'alerts' | 'results';

const pad2 = (n: number) => String(n).padStart(2, '0');
function day(d: Date): string {
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}
function hm(d: Date): string {
  return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
}

/** `2026-01-05 04:00–05:00` (UTC); the end date is written too when the window spans days. */
export function formatWindow(startMs: number, endMs: number): string {
  const s = new Date(startMs);
  const e = new Date(endMs);
  if (day(s) === day(e)) return `${day(s)} ${hm(s)}–${hm(e)}`;
  // A window ending exactly at midnight of the next day reads better as 24:00 of its own day.
  if (hm(e) === '00:00' && day(new Date(endMs - 1)) === day(s)) {
    return `${day(s)} ${hm(s)}–24:00`;
  }
  return `${day(s)} ${hm(s)}–${day(e)} ${hm(e)}`;
}

/** Short numbers: 3 significant digits, no exponent for everyday magnitudes. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-4 && a < 1e6) return String(Number(v.toPrecision(3)));
  return Number(v.toPrecision(3)).toExponential();
}

/** How the value compares with the threshold, read in the metric's direction. */
function comparison(metric: string, value: number, threshold: number): string {
  const def = METRICS.get(metric);
  const pvalue = def?.direction === 'pvalue';
  const over = pvalue ? value < threshold : value >= threshold;
  const sign = pvalue ? (over ? '<' : '≥') : over ? '≥' : '<';
  return `${metric} ${formatNumber(value)} ${sign} ${formatNumber(threshold)}`;
}

/** `2026-01-05 04:00–05:00  FIRING   credit v1 amount  psi 0.297 ≥ 0.25  (1000 rows)`, with the kind when it is not plain skew. */
export function formatAlert(a: DriftAlert): string {
  const kind = a.kind && a.kind !== 'SKEW' ? `  [${a.kind.toLowerCase().replace('_', ' ')}]` : '';
  const what = a.feature === '*' ? 'whole window' : a.feature;
  return `${formatWindow(a.window_start, a.window_end)}  ${a.status.padEnd(8)} ${a.model_id} ${a.model_version} ${what}  ${comparison(a.metric, a.value, a.threshold)}  (${a.rows} rows)${kind}`;
}

/** `2026-01-05 04:00–05:00  credit v1  1000 rows  OK  drift: amount (psi 0.297 ≥ 0.25)` */
export function formatResult(r: WindowResult): string {
  const head = `${formatWindow(r.window_start, r.window_end)}  ${r.model_id} ${r.model_version}  ${r.rows} rows  ${r.status}`;
  if (r.status !== 'OK') return `${head}  (no training reference yet)`;
  const drifted: string[] = [];
  for (const f of r.features) {
    const hits = f.metrics.filter((m) => m.drift);
    if (hits.length) drifted.push(`${f.feature} (${hits.map((m) => comparison(m.metric, m.p_value ?? m.value, m.threshold ?? Number.NaN)).join(', ')})`);
  }
  return `${head}  ${drifted.length ? `drift: ${drifted.join('; ')}` : 'no drift'}`;
}

/** One output line for a decoded record. */
export function formatRecord(what: TailWhat, record: unknown, json: boolean): string {
  if (json) return JSON.stringify(record);
  return what === 'alerts' ? formatAlert(record as DriftAlert) : formatResult(record as WindowResult);
}

/** Decodes one message body; avsc records become plain objects for JSON. */
export function decodeRecord(type: avro.Type, value: Buffer): unknown {
  const decoded = type.fromBuffer(value) as object;
  return JSON.parse(JSON.stringify(decoded)) as unknown;
}

export interface TailOptions {
  config: string;
  json?: boolean;
  fromBeginning?: boolean;
}

export async function tail(what: TailWhat, opts: TailOptions, out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<void> {
  const config = loadConfig(opts.config);
  const types = loadTypes();
  const type = what === 'alerts' ? types.driftAlert : types.windowResult;
  const topic = what === 'alerts' ? config.topics.alerts : config.topics.results;
  const kafka = createKafka(config);
  const consumer = kafka.consumer({
    groupId: `${config.kafka.groupId}-tail-${randomBytes(6).toString('hex')}`,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 250,
  });

  let stopping: Promise<void> | null = null;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const stop = () => {
    if (stopping) return;
    const force = setTimeout(() => process.exit(0), 5_000);
    force.unref();
    stopping = consumer.disconnect().catch(() => undefined).then(resolveDone);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // `driftline tail ... | head` closes the pipe: stop quietly.
  out.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') stop();
  });

  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: Boolean(opts.fromBeginning) });
  // On stderr, so that stdout carries records only (also with --json).
  consumer.on(consumer.events.GROUP_JOIN, () => err.write(`tailing ${topic}${opts.fromBeginning ? ' from the beginning' : ' from its end'} (Ctrl-C stops)\n`));
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      if (!message.value) return;
      let record: unknown;
      try {
        record = decodeRecord(type, message.value);
      } catch (e) {
        err.write(`driftline tail: ${topic}[${partition}]@${message.offset} is not a ${what === 'alerts' ? 'DriftAlert' : 'WindowResult'}: ${(e as Error).message}\n`);
        return;
      }
      out.write(`${formatRecord(what, record, Boolean(opts.json))}\n`);
    },
  });
  consumer.on(consumer.events.CRASH, (e) => {
    err.write(`driftline tail: consumer stopped: ${e.payload.error.message}\n`);
    process.exitCode = 1;
    stop();
  });
  await done;
}

export function registerTail(program: Command): void {
  program
    .command('tail')
    .description('print the alerts or the window results driftline publishes, as they arrive (Ctrl-C stops)')
    .argument('<what>', 'alerts | results')
    .requiredOption('-c, --config <file>', 'YAML config file (brokers and topic names)')
    .option('--json', 'one JSON object per line instead of readable lines')
    .option('--from-beginning', 'start at the oldest record kept in the topic instead of the end')
    .action(async (what: string, opts: TailOptions) => {
      if (what !== 'alerts' && what !== 'results') throw new DriftlineError('CONFIG_INVALID', `tail: expected "alerts" or "results", got "${what}"`);
      await tail(what, opts);
    });
}
