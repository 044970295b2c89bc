/**
 * `driftline run` with processor.workers > 1: the main thread supervises worker threads, each a
 * complete Runner (its own Kafka clients, processor and registry) and a member of the inference
 * consumer group, so the group spreads the partitions over the threads exactly as it would over
 * separate processes, with the same checkpoints and the same recovery when one stops.
 *
 * The supervisor serves /metrics (the workers' registries merged, plus the process-wide default
 * metrics), /healthz and /readyz (ready when every worker is), restarts a worker that dies, and on
 * stop asks every worker to publish, commit and leave its groups.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { AggregatorRegistry, collectDefaultMetrics, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { startHttp, type HttpEndpoint, type MetricsSource } from './http.js';

/** Messages from a worker to the supervisor. */
export type FromWorker =
  | { type: 'bootstrapped' }
  | { type: 'joined' }
  | { type: 'started' }
  | { type: 'ready'; ready: boolean }
  | { type: 'metrics'; id: number; metrics: MetricObjectWithValues<MetricValue<string>>[] }
  | { type: 'failed'; message: string; exitCode: number };
/** Messages from the supervisor to a worker. */
export type ToWorker = { type: 'metrics'; id: number } | { type: 'consume' } | { type: 'all-joined' } | { type: 'stop' };

export interface WorkerData {
  configPath: string;
  index: number;
}

/** The worker thread's entry: a JavaScript file that loads src/io/worker-main (compiled or through tsx). */
const WORKER_ENTRY = new URL('../../bin/driftline-worker.js', import.meta.url);
/** How long /metrics waits for a worker's registry before serving without it. */
const METRICS_TIMEOUT_MS = 2_000;
/** Restart delay after a worker died: doubling from 1 s up to 30 s, back to 1 s after a minute of uptime. */
const RESTART_MIN_MS = 1_000;
const RESTART_MAX_MS = 30_000;

interface Slot {
  index: number;
  worker: Worker | null;
  ready: boolean;
  bootstrapped: boolean;
  inGroup: boolean;
  startedAt: number;
  restartDelayMs: number;
  exited: Promise<void>;
}

export interface WorkerPoolOptions {
  configPath: string;
  workers: number;
  host: string;
  port: number;
  logger: Logger;
}

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly registry = new Registry();
  private readonly log: Logger;
  private http: HttpEndpoint | null = null;
  private stopping = false;
  private nextRequest = 1;
  private readonly requests = new Map<number, (m: MetricObjectWithValues<MetricValue<string>>[]) => void>();
  /** Rejects start() when a worker cannot start at all (a bad config, say): restarting would not help. */
  private fail: ((err: Error) => void) | null = null;

  constructor(private readonly opts: WorkerPoolOptions) {
    this.log = opts.logger.child({ component: 'workers' });
    collectDefaultMetrics({ register: this.registry, prefix: 'driftline_' });
  }

  get metricsPort(): number | undefined {
    return this.http?.port;
  }

  /** Ready when every worker is connected, bootstrapped and consuming. */
  isReady(): boolean {
    return !this.stopping && this.slots.length > 0 && this.slots.every((s) => s.ready);
  }

  /** Starts the HTTP endpoint and the workers; resolves once every worker has started its consumer. */
  async start(): Promise<void> {
    const source: MetricsSource = { contentType: this.registry.contentType, metrics: () => this.metrics() };
    this.http = await startHttp({ host: this.opts.host, port: this.opts.port, registry: source, ready: () => this.isReady(), log: this.opts.logger.child({ component: 'http' }) });
    const failed = new Promise<never>((_, reject) => (this.fail = reject));
    const started = Promise.all(Array.from({ length: this.opts.workers }, (_, index) => this.spawn(index)));
    try {
      await Promise.race([started, failed]);
    } catch (err) {
      this.stopping = true;
      await Promise.all(this.slots.map((s) => s.worker?.terminate()));
      await this.http.close();
      throw err;
    }
    this.fail = null;
    this.log.info({ workers: this.opts.workers }, `${this.opts.workers} worker threads consuming as members of one consumer group`);
  }

  private spawn(index: number, previous?: Slot): Promise<void> {
    const slot: Slot = previous ?? { index, worker: null, ready: false, bootstrapped: false, inGroup: false, startedAt: 0, restartDelayMs: RESTART_MIN_MS, exited: Promise.resolve() };
    if (!previous) this.slots[index] = slot;
    const data: WorkerData = { configPath: this.opts.configPath, index };
    const worker = new Worker(WORKER_ENTRY, { workerData: data });
    slot.worker = worker;
    slot.ready = false;
    slot.bootstrapped = false;
    slot.inGroup = false;
    slot.startedAt = Date.now();
    let resolveStarted!: () => void;
    const started = new Promise<void>((r) => (resolveStarted = r));
    slot.exited = new Promise<void>((resolveExit) => {
      worker.on('message', (m: FromWorker) => {
        switch (m.type) {
          case 'bootstrapped': this.barrier('bootstrapped', slot, { type: 'consume' }); break;
          case 'joined': this.barrier('inGroup', slot, { type: 'all-joined' }); break;
          case 'started': resolveStarted(); break;
          case 'ready': slot.ready = m.ready; break;
          case 'metrics': this.requests.get(m.id)?.(m.metrics); break;
          case 'failed':
            this.log.error({ worker: index }, `worker ${index} could not start: ${m.message}`);
            this.fail?.(Object.assign(new Error(m.message), { exitCode: m.exitCode }));
            break;
        }
      });
      worker.on('error', (err) => this.log.error({ worker: index, err: err.stack ?? err.message }, `worker ${index} failed: ${err.message}`));
      worker.on('exit', (code) => {
        slot.ready = false;
        slot.worker = null;
        resolveExit();
        if (this.fail) {
          // still starting: a worker that cannot start makes start() fail (restarting would not help)
          this.fail(new Error(`worker ${index} exited with code ${code} while starting`));
          return;
        }
        if (this.stopping) return;
        if (Date.now() - slot.startedAt > 60_000) slot.restartDelayMs = RESTART_MIN_MS;
        const delay = slot.restartDelayMs;
        slot.restartDelayMs = Math.min(delay * 2, RESTART_MAX_MS);
        this.log.error({ worker: index, exitCode: code, restartInMs: delay }, `worker ${index} stopped unexpectedly (exit code ${code}); restarting it in ${delay} ms (its partitions go to the other workers meanwhile)`);
        setTimeout(() => {
          if (!this.stopping) void this.spawn(index, slot);
        }, delay).unref();
      });
    });
    return started;
  }

  /**
   * The two barriers the workers pass together, each announced by the supervisor once every
   * worker has reached it (and at once to a worker restarted after that):
   * - bootstrapped → 'consume': they join the consumer group together once all of them have read
   *   the training and alerts topics (one joining much later takes partitions from the others);
   * - inGroup → 'all-joined': they process nothing until every one is in the group, since the
   *   first to join gets every partition and would process them only to hand half over, and
   *   replay them, when the next one joins.
   */
  private barrier(stage: 'bootstrapped' | 'inGroup', slot: Slot, message: ToWorker): void {
    slot[stage] = true;
    if (this.passed[stage]) {
      slot.worker?.postMessage(message);
      return;
    }
    if (this.slots.length < this.opts.workers || !this.slots.every((s) => s[stage])) return;
    this.passed[stage] = true;
    for (const s of this.slots) s.worker?.postMessage(message);
  }

  private readonly passed = { bootstrapped: false, inGroup: false };

  /** The workers' registries merged (counters and histograms add up; gauges per their aggregator) and the process's default metrics. */
  private async metrics(): Promise<string> {
    const live = this.slots.filter((s) => s.worker);
    const replies = await Promise.all(live.map((s) => this.askMetrics(s.worker!)));
    const all = [await this.registry.getMetricsAsJSON(), ...replies.filter((r): r is MetricObjectWithValues<MetricValue<string>>[] => r !== null)];
    return AggregatorRegistry.aggregate(all as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics();
  }

  private askMetrics(worker: Worker): Promise<MetricObjectWithValues<MetricValue<string>>[] | null> {
    const id = this.nextRequest++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.requests.delete(id);
        this.log.warn({ timeoutMs: METRICS_TIMEOUT_MS }, `a worker did not send its metrics within ${METRICS_TIMEOUT_MS} ms; serving /metrics without it`);
        resolve(null);
      }, METRICS_TIMEOUT_MS);
      this.requests.set(id, (m) => {
        clearTimeout(timer);
        this.requests.delete(id);
        resolve(m);
      });
      worker.postMessage({ type: 'metrics', id } satisfies ToWorker);
    });
  }

  /**
   * Asks every worker to publish what is pending, commit and leave its groups (each bounded as in
   * a single-threaded run), waits for them within `timeoutMs`, then ends any that did not finish.
   */
  async stop(timeoutMs = 13_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const s of this.slots) s.worker?.postMessage({ type: 'stop' } satisfies ToWorker);
    let timer: NodeJS.Timeout | undefined;
    const all = Promise.all(this.slots.map((s) => s.exited));
    const late = await Promise.race([all.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs)))]);
    clearTimeout(timer);
    if (late) {
      const stuck = this.slots.filter((s) => s.worker);
      this.log.warn({ workers: stuck.map((s) => s.index) }, `worker(s) ${stuck.map((s) => s.index).join(', ')} did not stop within ${timeoutMs} ms; ending them (uncommitted work is replayed)`);
      await Promise.all(stuck.map((s) => s.worker?.terminate()));
    }
    await this.http?.close();
  }
}
