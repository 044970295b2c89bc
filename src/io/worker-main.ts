/**
 * A worker thread of `driftline run` with processor.workers > 1 (see workers.ts): one Runner
 * without an HTTP endpoint, driven by the supervisor's messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Registry } from 'prom-client';
import { loadConfig, type Config } from '../config.js';
import { loadWriterSchemas } from '../codec/writers.js';
import { DriftlineError } from '../errors.js';
import { makeLogger } from '../instrumentation.js';
import { systemClock } from '../processor.js';
import { Runner } from './runner.js';
import type { FromWorker, ToWorker, WorkerData } from './workers.js';

const port = parentPort;
if (!port) throw new Error('src/io/worker-main.ts runs only as a worker thread of `driftline run`');
const { configPath, index } = workerData as WorkerData;
const post = (m: FromWorker) => port.postMessage(m);

let startConsuming!: () => void;
/** Resolved by the supervisor once every worker has bootstrapped (see WorkerPool.barrier). */
const consume = new Promise<void>((resolve) => (startConsuming = resolve));
/** Set once the supervisor says every worker is in the consumer group (see WorkerPool.barrier). */
let allJoined = false;
let config: Config;
let runner: Runner;
try {
  config = loadConfig(configPath);
  runner = new Runner({
    config,
    logger: makeLogger(config, { worker: index }),
    registry: new Registry(),
    clock: systemClock,
    writerSchemas: loadWriterSchemas(config),
    http: false,
    // The supervisor's barriers (WorkerPool.barrier) and its /readyz.
    beforeConsume: () => {
      post({ type: 'bootstrapped' });
      return consume;
    },
    onJoin: () => post({ type: 'joined' }),
    mayProcess: () => allJoined,
    onReadiness: (ready) => post({ type: 'ready', ready }),
  });
} catch (err) {
  post({ type: 'failed', message: (err as Error).message, exitCode: err instanceof DriftlineError ? 2 : 1 });
  process.exit(1);
}

let stopping: Promise<void> | null = null;
port.on('message', (m: ToWorker) => {
  if (m.type === 'consume') startConsuming();
  else if (m.type === 'all-joined') allJoined = true;
  else if (m.type === 'metrics') {
    void runner.obs.registry.getMetricsAsJSON().then((metrics) => post({ type: 'metrics', id: m.id, metrics }));
  } else if (m.type === 'stop' && !stopping) {
    startConsuming(); // a worker waiting to join stops at once
    stopping = runner.stop().then(() => process.exit(0)); // ends this thread only; the supervisor sees it exit
  }
});

try {
  await runner.start();
  post({ type: 'started' });
} catch (err) {
  if (!stopping) throw err;
}
