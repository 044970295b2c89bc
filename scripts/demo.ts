/**
 * `npm run demo`: the main job end to end on a real broker, in about a minute.
 * Starts the local Kafka broker (or uses KAFKA_BROKERS), creates fresh topics, starts driftline,
 * publishes a simulated credit model's training data and then 12 hourly windows of serving traffic
 * in which `amount` drifts from window 4 to 8, prints the alerts as they arrive, and stops.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { Registry } from 'prom-client';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../src/config.js';
import { loadTypes } from '../src/codec/schemas.js';
import type { DriftAlert } from '../src/detect/alerts.js';
import type { WindowResult } from '../src/detect/evaluate.js';
import { createKafka, createTopics } from '../src/io/kafka.js';
import { Runner } from '../src/io/runner.js';
import { systemClock } from '../src/processor.js';
import { publishSimulation } from '../src/cli/simulate.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (s: string) => process.stdout.write(`${s}\n`);
const hhmm = (t: number) => new Date(t).toISOString().slice(11, 16);

async function main() {
  let startedBroker = false;
  if (!process.env.KAFKA_BROKERS) {
    say('1/5  Starting the local Apache Kafka broker (first run downloads its jars with Maven)...');
    const running = (() => {
      try { execFileSync('bash', [join(root, 'deploy/kafka/kafka.sh'), 'status'], { stdio: 'ignore' }); return true; } catch { return false; }
    })();
    if (!running) {
      execFileSync('bash', [join(root, 'deploy/kafka/kafka.sh'), 'start'], { stdio: 'inherit' });
      startedBroker = true;
    } else say('     a local broker is already running; using it');
  } else say(`1/5  Using the broker(s) in KAFKA_BROKERS: ${process.env.KAFKA_BROKERS}`);

  const run = Date.now().toString(36);
  const doc = parse(readFileSync(join(root, 'examples/demo/driftline.yaml'), 'utf8'));
  for (const k of Object.keys(doc.topics)) doc.topics[k] = `${doc.topics[k]}.${run}`;
  doc.kafka.groupId = `driftline-demo-${run}`;
  doc.logLevel = 'error';
  const dir = mkdtempSync(join(tmpdir(), 'driftline-demo-'));
  const file = join(dir, 'driftline.yaml');
  writeFileSync(file, stringify(doc));
  const config = loadConfig(file);
  say(`2/5  Creating topics ${config.topics.inference}, ${config.topics.training}, ${config.topics.alerts}, ...`);
  const kafka = createKafka(config);
  await createTopics(kafka, config, { partitions: 2 });

  say('3/5  Starting driftline (model "credit", hourly windows, default rules: psi >= 0.25 for numbers, L-infinity >= 0.1 for categories)');
  const runner = new Runner({ config, logger: pino({ level: 'error' }), registry: new Registry(), clock: systemClock });
  await runner.start();
  say(`     metrics: http://${config.metrics.host}:${runner.metricsPort}/metrics   readiness: /readyz`);

  const types = loadTypes();
  const consumer = kafka.consumer({ groupId: `demo-watch-${run}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [config.topics.alerts, config.topics.results], fromBeginning: true });
  let windowsSeen = 0;
  const WINDOWS = 12;
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      if (topic === config.topics.alerts) {
        const a = types.driftAlert.fromBuffer(message.value!) as DriftAlert;
        const mark = a.status === 'FIRING' ? 'ALERT FIRING  ' : 'alert resolved';
        say(`     ${mark} ${a.model_id} ${a.model_version} ${a.feature}: ${a.metric} = ${a.value.toFixed(3)} (threshold ${a.threshold}) in window ${hhmm(a.window_start)}-${hhmm(a.window_end)}`);
      } else {
        const r = types.windowResult.fromBuffer(message.value!) as WindowResult;
        windowsSeen++;
        const amount = r.features.find((f) => f.feature === 'amount')?.metrics.find((m) => m.metric === 'psi');
        const country = r.features.find((f) => f.feature === 'country')?.metrics.find((m) => m.metric === 'linf');
        say(`     window ${hhmm(r.window_start)}-${hhmm(r.window_end)}: ${r.rows} events, amount psi ${amount ? amount.value.toFixed(3) : 'n/a'}, country L-inf ${country ? country.value.toFixed(3) : 'n/a'}`);
      }
    },
  });

  say(`4/5  Publishing 5000 training rows, then ${WINDOWS} windows of serving traffic; "amount" drifts in windows 4 to 7`);
  await publishSimulation(file, { scenario: 'mean-shift', model: 'credit', version: 'v1', windows: WINDOWS, windowMs: 3_600_000, eventsPerWindow: 600, trainingRows: 5000, driftFrom: 4, driftTo: 8, startMs: Date.UTC(2026, 0, 5), pauseMs: 700, seed: 7 });

  say('     waiting for the last window to close (the model goes idle for 5 s)...');
  const deadline = Date.now() + 30_000;
  while (windowsSeen < WINDOWS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  say(`5/5  Done: ${windowsSeen} window results. Stopping driftline${startedBroker ? ' and the local broker' : ''}.`);
  await consumer.disconnect();
  await runner.stop();
  if (startedBroker) execFileSync('bash', [join(root, 'deploy/kafka/kafka.sh'), 'stop'], { stdio: 'ignore' });
  say('     Next: `npx driftline --help`, the README, and examples/demo/driftline.yaml.');
}

main().catch((err) => {
  process.stderr.write(`demo failed: ${(err as Error).message}\n`);
  process.exit(1);
});
