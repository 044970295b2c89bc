/**
 * `driftline simulate`: publishes a simulated model's training data and serving traffic with a
 * documented drift scenario (see src/simulate.ts), for demos and trying out a config.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { encodeEvent } from '../codec/event.js';
import { loadTypes } from '../codec/schemas.js';
import { createKafka, idempotentProducer } from '../io/kafka.js';
import { SCENARIOS, Simulator, type Scenario } from '../simulate.js';
import { parseDurationMs } from '../window/spec.js';
import { DriftlineError } from '../errors.js';

export interface SimulateRun {
  scenario: Scenario;
  model: string;
  version: string;
  windows: number;
  windowMs: number;
  eventsPerWindow: number;
  trainingRows: number;
  driftFrom: number;
  driftTo: number;
  startMs: number;
  /** Pause between windows, so that a person can watch alerts arrive. */
  pauseMs: number;
  seed: number;
}

export async function publishSimulation(configFile: string, o: SimulateRun, onWindow?: (w: number) => void): Promise<void> {
  const config = loadConfig(configFile);
  const kafka = createKafka(config);
  const types = loadTypes();
  const sim = new Simulator({ scenario: o.scenario, modelId: o.model, version: o.version, startMs: o.startMs, windowMs: o.windowMs, windows: o.windows, eventsPerWindow: o.eventsPerWindow, driftFrom: o.driftFrom, driftTo: o.driftTo, seed: o.seed });
  const producer = idempotentProducer(kafka);
  await producer.connect();
  try {
    const training = sim.trainingEvents(o.trainingRows).map((e) => ({ key: o.model, value: encodeEvent(types.training, 'training', e) }));
    for (let i = 0; i < training.length; i += 1000) await producer.send({ topic: config.topics.training, messages: training.slice(i, i + 1000), acks: -1 });
    // The last window closes when the model has been idle for its configured idle time.
    for (let w = 0; w < o.windows; w++) {
      const events = sim.servingWindow(w);
      const messages = events.map((e) => ({ key: o.model, value: encodeEvent(types.inference, 'inference', e) }));
      for (let i = 0; i < messages.length; i += 1000) await producer.send({ topic: config.topics.inference, messages: messages.slice(i, i + 1000), acks: -1 });
      onWindow?.(w);
      if (o.pauseMs > 0 && w < o.windows - 1) await new Promise((r) => setTimeout(r, o.pauseMs));
    }
  } finally {
    await producer.disconnect();
  }
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description(`publish a simulated model's training data and drifting serving traffic; scenarios: ${SCENARIOS.join(', ')}`)
    .requiredOption('-c, --config <file>', 'YAML config file (topics and brokers; the model must be configured with the simulator\'s features)')
    .option('--scenario <name>', SCENARIOS.join(' | '), 'mean-shift')
    .option('--model <id>', 'model id', 'credit')
    .option('--version <v>', 'model version', 'v1')
    .option('--windows <n>', 'serving windows', (v) => Number(v), 12)
    .option('--window <duration>', 'window length in event time (match the config)', '1h')
    .option('--events-per-window <n>', 'serving events per window', (v) => Number(v), 500)
    .option('--training-rows <n>', 'training rows', (v) => Number(v), 5000)
    .option('--drift-from <n>', 'first window of the scenario', (v) => Number(v), 4)
    .option('--drift-to <n>', 'first window after the scenario', (v) => Number(v), 8)
    .option('--pause <duration>', 'wall-clock pause between windows', '0s')
    .option('--seed <n>', 'random seed', (v) => Number(v), 42)
    .action(async (opts) => {
      if (!SCENARIOS.includes(opts.scenario)) throw new DriftlineError('BAD_ARGUMENT', `unknown scenario "${opts.scenario}"; valid scenarios are: ${SCENARIOS.join(', ')}`);
      const windowMs = parseDurationMs(opts.window);
      const startMs = Math.floor(Date.UTC(2026, 0, 5) / windowMs) * windowMs;
      await publishSimulation(opts.config, { scenario: opts.scenario, model: opts.model, version: opts.version, windows: opts.windows, windowMs, eventsPerWindow: opts.eventsPerWindow, trainingRows: opts.trainingRows, driftFrom: opts.driftFrom, driftTo: opts.driftTo, startMs, pauseMs: parseDurationMs(opts.pause), seed: opts.seed }, (w) => {
        process.stderr.write(`published window ${w + 1}/${opts.windows} (${opts.eventsPerWindow} events)\n`);
      });
      process.stdout.write(`simulated ${opts.scenario}: ${opts.trainingRows} training rows and ${opts.windows} windows of ${opts.eventsPerWindow} events for ${opts.model} ${opts.version}\n`);
    });
}
