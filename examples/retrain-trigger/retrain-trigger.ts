/**
 * retrain-trigger: a small consumer of driftline's alerts topic that starts retraining when a
 * drift alert fires.
 *
 *   npx tsx examples/retrain-trigger/retrain-trigger.ts -c driftline.yaml --command "./retrain.sh"
 *   npx tsx examples/retrain-trigger/retrain-trigger.ts -c driftline.yaml --webhook https://ci.example/hooks/retrain
 *
 * On a FIRING alert it runs the command (through `sh -c`, with the alert as JSON in the
 * environment variable DRIFTLINE_ALERT and on stdin) or POSTs the alert as JSON to the webhook.
 * RESOLVED alerts are ignored. Each alert_id is acted on at most once: handled ids are kept in a
 * small JSON state file, written before the action starts, so neither a replayed duplicate, nor a
 * restart, nor a crash half-way through a retraining triggers it twice. See README.md.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { loadTypes } from '../../src/codec/schemas.js';
import type { DriftAlert } from '../../src/detect/alerts.js';
import { createKafka } from '../../src/io/kafka.js';

const USAGE = `usage: retrain-trigger -c CONFIG (--command CMD | --webhook URL) [--state FILE] [--group ID] [--from-beginning] [--timeout SECONDS]

  -c, --config FILE     driftline config (brokers, TLS/SASL, alerts topic)
  --command CMD         shell command run on each FIRING alert; the alert is JSON in $DRIFTLINE_ALERT and on stdin
  --webhook URL         POST each FIRING alert as JSON to this URL (header Idempotency-Key: <alert_id>)
  --state FILE          handled alert ids (default: .retrain-trigger-state.json in the working directory)
  --group ID            consumer group (default: <kafka.groupId>-retrain-trigger)
  --from-beginning      a new consumer group starts at the oldest alert kept instead of the newest
  --timeout SECONDS     give up on a command or webhook after this long (default 3600)`;

type Outcome = 'running' | 'done' | 'failed';
interface StateEntry {
  status: Outcome;
  model: string;
  version: string;
  feature: string;
  metric: string;
  startedAt: string;
  finishedAt?: string;
  error?: string;
}
interface StateFile {
  version: 1;
  handled: Record<string, StateEntry>;
}

const log = (msg: string) => process.stderr.write(`${new Date().toISOString()} retrain-trigger: ${msg}\n`);

/** The handled alert ids, persisted on every change (write to a temporary file, then rename). */
export class HandledAlerts {
  private state: StateFile;
  constructor(private readonly file: string) {
    this.state = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as StateFile) : { version: 1, handled: {} };
    if (this.state.version !== 1 || typeof this.state.handled !== 'object') throw new Error(`${file} is not a retrain-trigger state file`);
  }
  get(id: string): StateEntry | undefined {
    return this.state.handled[id];
  }
  set(id: string, entry: StateEntry): void {
    this.state.handled[id] = entry;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.state, null, 2)}\n`);
    renameSync(tmp, this.file);
  }
}

function runCommand(command: string, alertJson: string, alert: DriftAlert, timeoutMs: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('sh', ['-c', command], {
      stdio: ['pipe', 'inherit', 'inherit'],
      env: { ...process.env, DRIFTLINE_ALERT: alertJson, DRIFTLINE_ALERT_ID: alert.alert_id, DRIFTLINE_MODEL_ID: alert.model_id, DRIFTLINE_MODEL_VERSION: alert.model_version, DRIFTLINE_FEATURE: alert.feature },
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise();
      else reject(new Error(signal ? `command killed by ${signal}` : `command exited with code ${code}`));
    });
    child.stdin.on('error', () => undefined); // a command that does not read stdin is fine
    child.stdin.end(`${alertJson}\n`);
  });
}

async function postWebhook(url: string, alertJson: string, alert: DriftAlert, timeoutMs: number): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': alert.alert_id },
    body: alertJson,
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`webhook answered ${res.status} ${res.statusText}`);
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: 'string', short: 'c' },
        command: { type: 'string' },
        webhook: { type: 'string' },
        state: { type: 'string', default: '.retrain-trigger-state.json' },
        group: { type: 'string' },
        'from-beginning': { type: 'boolean', default: false },
        timeout: { type: 'string', default: '3600' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const timeoutMs = Number(args.timeout) * 1000;
  if (!args.config || Boolean(args.command) === Boolean(args.webhook) || !(timeoutMs > 0)) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }

  const config = loadConfig(args.config);
  const type = loadTypes().driftAlert;
  const handled = new HandledAlerts(resolve(args.state!));
  const groupId = args.group ?? `${config.kafka.groupId}-retrain-trigger`;
  const consumer = createKafka(config).consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 3_000 });
  const action = args.command ? `command: ${args.command}` : `webhook: ${args.webhook}`;

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    consumer.disconnect().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));

  await consumer.connect();
  await consumer.subscribe({ topic: config.topics.alerts, fromBeginning: Boolean(args['from-beginning']) });
  consumer.on(consumer.events.GROUP_JOIN, () => log(`consuming ${config.topics.alerts} as group ${groupId}; on FIRING, ${action}`));
  await consumer.run({
    partitionsConsumedConcurrently: 1,
    eachMessage: async ({ partition, message, heartbeat }) => {
      if (!message.value) return;
      let alert: DriftAlert;
      try {
        alert = JSON.parse(JSON.stringify(type.fromBuffer(message.value))) as DriftAlert;
      } catch (err) {
        log(`skipping ${config.topics.alerts}[${partition}]@${message.offset}: not a DriftAlert (${(err as Error).message})`);
        return;
      }
      const what = `${alert.model_id} ${alert.model_version} ${alert.feature} ${alert.metric} (alert ${alert.alert_id})`;
      if (alert.status !== 'FIRING') {
        log(`ignored ${alert.status} ${what}`);
        return;
      }
      const seen = handled.get(alert.alert_id);
      if (seen) {
        const how = seen.status === 'running' ? 'started before a restart and interrupted; not rerun' : seen.status;
        log(`already handled (${how}, ${seen.finishedAt ?? seen.startedAt}): ${what}`);
        return;
      }
      const startedAt = new Date().toISOString();
      const base = { model: alert.model_id, version: alert.model_version, feature: alert.feature, metric: alert.metric, startedAt };
      // Recorded before the action: at most once, even when this process dies half-way.
      handled.set(alert.alert_id, { ...base, status: 'running' });
      log(`FIRING ${what}: retraining`);
      const beat = setInterval(() => void heartbeat().catch(() => undefined), 3_000);
      const alertJson = JSON.stringify(alert);
      try {
        if (args.command) await runCommand(args.command, alertJson, alert, timeoutMs);
        else await postWebhook(args.webhook!, alertJson, alert, timeoutMs);
        handled.set(alert.alert_id, { ...base, status: 'done', finishedAt: new Date().toISOString() });
        log(`done: ${what}`);
      } catch (err) {
        handled.set(alert.alert_id, { ...base, status: 'failed', finishedAt: new Date().toISOString(), error: (err as Error).message });
        log(`FAILED: ${what}: ${(err as Error).message} (not retried; remove ${alert.alert_id} from the state file to retry)`);
      } finally {
        clearInterval(beat);
      }
    },
  });
}

main().catch((err: Error) => {
  log(`error: ${err.message}`);
  process.exit(1);
});
