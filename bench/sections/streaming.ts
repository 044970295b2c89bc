/**
 * 1. Streaming throughput: the same pre-produced topic read by a bare kafkajs consumer and by
 * `driftline run` (child process), plus Avro decoding alone and processInference alone (no Kafka).
 */
import { spawn } from 'node:child_process';
import { openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { Registry } from 'prom-client';
import { EventDecoder, EventView } from '../../src/codec/event.js';
import { loadTypes } from '../../src/codec/schemas.js';
import { parseConfig } from '../../src/config.js';
import { Instrumentation } from '../../src/instrumentation.js';
import { Processor, type Outputs } from '../../src/processor.js';
import { configYaml, inferenceBodies, median, now, outDir, progress, rawConfig, REPO_ROOT, sleep, topicNames, trainingBodies, type Bodies, type Topics } from '../lib/common.js';
import { bareConsume, createTopics, freePort, kafka, produceBodies, produceMessages, scrape } from '../lib/kafka.js';
import { formatProfile, summarizeProfile } from '../lib/profile.js';

export interface StreamingResult {
  events: number;
  driftline_eps: number | null;
  bare_kafkajs_eps: number | null;
  ratio: number | null;
  decode_only_eps: number | null;
  process_inference_only_eps: number | null;
  windows_closed_in_memory: number | null;
  produce_eps: number | null;
  driftline_startup_s: number | null;
  bare_startup_s: number | null;
  /** processor.workers of the driftline run behind driftline_eps. */
  workers: number;
  /** The same run with processor.workers: 1 (one thread, as the bare consumer). */
  driftline_1_worker_eps: number | null;
  ratio_1_worker: number | null;
  /** CPU time per event (user + system, every thread of the process): steadier than rates on a shared machine. */
  cpu_us_per_event: { bare_kafkajs: number; driftline_1_worker: number | null; driftline: number | null };
  /** Every bare run, in order (one before each driftline round and one after the last); bare_kafkajs_eps is their median. */
  bare_runs_eps: number[];
  /** Every driftline run (processor.workers = workers), in order; driftline_eps is their median. */
  driftline_runs_eps: number[];
  /** Per round, driftline / the mean of the bare runs before and after it; ratio is their median. */
  round_ratios: number[];
  /**
   * The bare consumer with driftline's kafkajs record decoder fix (src/io/kafkajs-records.ts), two
   * runs around the 1-worker run, their median as for the other rates (of two runs: their mean);
   * and driftline_eps / that. The contract's ratio is against plain kafkajs; this one tells
   * driftline's own cost apart from what the fix saves.
   */
  bare_with_record_fix_eps: number | null;
  bare_with_record_fix_runs_eps: number[];
  ratio_to_bare_with_record_fix: number | null;
  cpu_us_per_event_bare_with_record_fix: number | null;
  profile: string | null;
  notes: string[];
}

export const MODELS = 4;
export const PARTITIONS = 4;
/** Reference rows per model: above KS_MAX_EXACT_N (10,000), so ks takes the asymptotic p-value as scipy's 'auto' does. */
export const TRAINING_ROWS = 12_000;

export function perWindowFor(n: number): number {
  return Math.max(500, Math.min(10_000, Math.floor(n / MODELS / 10)));
}

/** CPU seconds (user + system, all threads) since `start` (process.cpuUsage()). */
function cpuSeconds(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

/** Avro decoding alone, into one reused EventView. */
export function decodeOnly(bodies: Bodies): number {
  return decodeRates(bodies).eps;
}

/** decodeOnly's rate per wall second and per CPU second (the latter is steadier on a busy machine). */
export function decodeRates(bodies: Bodies): { eps: number; cpuEps: number } {
  const types = loadTypes();
  const dec = new EventDecoder('inference', types.inference, new Map());
  const view = new EventView();
  // warm-up
  for (let i = 0; i < Math.min(20_000, bodies.length); i++) dec.decode(bodies.body(i), view);
  const c0 = process.cpuUsage();
  const t0 = now();
  for (let i = 0; i < bodies.length; i++) dec.decode(bodies.body(i), view);
  return { eps: bodies.length / ((now() - t0) / 1000), cpuEps: bodies.length / cpuSeconds(c0) };
}

/**
 * processInference alone (in memory): training reference first, then every event in topic order.
 * `onOutputs` (optional) sees every drained batch of outputs, e.g. to digest the results.
 */
export function processOnly(bodies: Bodies, training: { key: string; value: Buffer }[], topics: Topics, onOutputs?: (o: Outputs) => void): { eps: number; cpuEps: number; windows: number } {
  const config = parseConfig(rawConfig({ brokers: '127.0.0.1:1', groupId: 'x', topics, models: MODELS }));
  const registry = new Registry();
  const obs = new Instrumentation(pino({ level: 'silent' }), registry, { defaultMetrics: false });
  const p = new Processor(config, obs, { now: () => Date.now() }, loadTypes());
  training.forEach((t, i) => p.processTraining({ topic: topics.training, partition: 0, offset: String(i), key: null, value: t.value }));
  p.drain();
  const offsets = new Array<number>(PARTITIONS).fill(0);
  let windows = 0;
  const c0 = process.cpuUsage();
  const t0 = now();
  // As the runner: batches (here of 1,024 events) stamped with one clock reading, outputs drained
  // after each.
  p.batchStarted();
  for (let i = 0; i < bodies.length; i++) {
    const part = bodies.modelOf[i] % PARTITIONS;
    p.processInference({ topic: topics.inference, partition: part, offset: String(offsets[part]++), key: null, value: bodies.body(i) });
    if ((i & 1023) === 0) {
      p.batchEnded();
      const o = p.drain();
      windows += o.results.length;
      onOutputs?.(o);
      p.batchStarted();
    }
  }
  p.batchEnded();
  const ms = now() - t0;
  const cpu = cpuSeconds(c0);
  const o = p.drain();
  windows += o.results.length;
  onOutputs?.(o);
  return { eps: bodies.length / (ms / 1000), cpuEps: bodies.length / cpu, windows };
}

/** CPU time in ms (user + system, all threads) of a process so far, from /proc (Linux); null elsewhere. */
export function childCpuMs(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // fields after "(comm) ": state is [0], utime [11], stime [12], in clock ticks (100 per second)
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

interface ChildRun {
  eps: number;
  /** CPU time (all threads, user + system) of the child per event, between the first and the last scrape. */
  cpuUsPerEvent: number | null;
  startupMs: number;
  profilePath: string | null;
}

/** `driftline run` as a child process; completion seen through /metrics. */
export async function runDriftline(brokers: string, topics: Topics, expected: number, opts: { profileDir?: string; timeoutMs?: number; workers?: number; logFile?: string; nodeArgs?: string[] } = {}): Promise<ChildRun> {
  const port = await freePort();
  const cfgPath = join(outDir('tmp'), `streaming-${Date.now()}.yaml`);
  writeFileSync(cfgPath, configYaml(rawConfig({ brokers, groupId: `bench-driftline-${Date.now()}`, topics, models: MODELS, metricsPort: port, workers: opts.workers, logLevel: opts.logFile ? 'info' : undefined })));
  const nodeArgs = [...(opts.nodeArgs ?? []), ...(opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`, '--cpu-prof-interval=500'] : [])];
  const t0 = now();
  const child = spawn(process.execPath, [...nodeArgs, 'bin/driftline.js', 'run', '-c', cfgPath], { cwd: REPO_ROOT, stdio: ['ignore', opts.logFile ? openSync(opts.logFile, 'w') : 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const exited = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  const deadline = t0 + (opts.timeoutMs ?? 900_000);
  let firstT = 0;
  let firstC = 0;
  let lastC = 0;
  let lastReport = 0;
  let endT = 0;
  let firstCpu: number | null = null;
  let endCpu: number | null = null;
  try {
    while (now() < deadline) {
      if (exitedEarly) throw new Error(`driftline run exited early: ${stderr}`);
      const c = await scrape(port, 'driftline_events_consumed_total', { topic: topics.inference });
      const t = now();
      if (c !== null && c > 0 && firstT === 0) {
        firstT = t;
        firstC = c;
        firstCpu = childCpuMs(child.pid);
      }
      if (c !== null) lastC = c;
      if (c !== null && c - lastReport >= 200_000) {
        lastReport = c;
        progress(`  driftline consumed ${c.toLocaleString('en')}`);
      }
      if (c !== null && c >= expected) {
        endT = t;
        endCpu = childCpuMs(child.pid);
        break;
      }
      // Each scrape costs the child CPU (a few hundred series): scrape often only near the first
      // event and near the end, waiting half the time the rest should take at the current rate.
      let wait = 50;
      if (firstT !== 0 && c !== null && c > firstC) {
        const etaMs = ((expected - c) * (t - firstT)) / (c - firstC);
        wait = Math.max(50, Math.min(1000, etaMs / 2));
      }
      await sleep(wait);
    }
    if (!endT) throw new Error(`driftline run consumed ${lastC} of ${expected} events before the timeout`);
  } finally {
    child.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(20_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') child.kill('SIGKILL');
  }
  let profilePath: string | null = null;
  if (opts.profileDir) {
    // the largest profile is the main thread's (tsx's loader thread writes a small one too)
    const files = readdirSync(opts.profileDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(opts.profileDir!, f)).sort((a, b) => statSync(b).size - statSync(a).size);
    profilePath = files[0] ?? null;
  }
  const cpuUsPerEvent = firstCpu !== null && endCpu !== null ? ((endCpu - firstCpu) * 1000) / (expected - firstC) : null;
  return { eps: (expected - firstC) / ((endT - firstT) / 1000), cpuUsPerEvent, startupMs: firstT - t0, profilePath };
}

export async function streaming(brokers: string, n: number, opts: { profile: boolean; workers: number; reps: number }): Promise<StreamingResult> {
  const notes: string[] = [];
  const perWindow = perWindowFor(n);
  progress(`streaming: encoding ${n.toLocaleString('en')} InferenceEvents (20 numeric + 5 categorical features, ${MODELS} models, ${perWindow} events per model and 1-minute window)`);
  const bodies = inferenceBodies(n, MODELS, perWindow, 1, (d) => progress(`  encoded ${d.toLocaleString('en')}`));
  const training = trainingBodies(TRAINING_ROWS, MODELS);
  progress(`  ${(bodies.bytes / 1e6).toFixed(0)} MB of bodies, ${(bodies.bytes / bodies.length).toFixed(0)} bytes per event`);

  progress('streaming: Avro decoding alone');
  const decodeEps = decodeOnly(bodies);
  progress(`  decode only: ${Math.round(decodeEps).toLocaleString('en')} ev/s`);
  const topics = topicNames(`bench.${Date.now()}`);
  progress('streaming: processInference alone (in memory, no Kafka)');
  const po = processOnly(bodies, training, topics);
  progress(`  processInference only: ${Math.round(po.eps).toLocaleString('en')} ev/s, ${po.windows} windows closed`);

  const k = kafka(brokers);
  await createTopics(k, topics, PARTITIONS);
  progress(`streaming: producing ${training.length} training events and ${n.toLocaleString('en')} inference events to ${topics.inference} (${PARTITIONS} partitions, no compression, one in-order sender per partition, 2,000 messages per request)`);
  await produceMessages(k, topics.training, training);
  const prod = await produceBodies(k, topics.inference, bodies, PARTITIONS);
  const produceEps = n / (prod.ms / 1000);

  // Rounds: bare, driftline, bare, driftline, ..., bare. Each driftline run is compared with the
  // mean of the two bare runs on either side of it, so that a slow or fast patch of the shared
  // machine falls on both sides of its ratio; the reported ratio is the median of the rounds'.
  const reps = Math.max(1, opts.reps);
  const bareRuns: Awaited<ReturnType<typeof bareConsume>>[] = [];
  const dlRuns: ChildRun[] = [];
  const roundRatios: number[] = [];
  const fixedRuns: Awaited<ReturnType<typeof bareConsume>>[] = [];
  /** One run of the bare consumer, plain or with driftline's record decoder fix, kept in its list. */
  const bareRun = async (label: string, recordFix = false) => {
    const what = recordFix ? "with driftline's record decoder fix" : '(child process, eachBatch, counting only)';
    progress(`streaming: bare kafkajs consumer ${what}, ${label}`);
    const b = await bareConsume(brokers, topics.inference, n, { recordFix });
    progress(`  bare${recordFix ? ' with the fix' : ''}: ${Math.round(b.eps).toLocaleString('en')} ev/s, ${b.cpuUsPerEvent.toFixed(2)} µs CPU per event`);
    (recordFix ? fixedRuns : bareRuns).push(b);
  };
  await bareRun(`run 1 of ${reps + 1}`);
  for (let r = 0; r < reps; r++) {
    progress(`streaming: driftline run, processor.workers ${opts.workers}, round ${r + 1} of ${reps} (child process, fresh group id)`);
    const d = await runDriftline(brokers, topics, n, { workers: opts.workers });
    progress(`  driftline, ${opts.workers} worker(s): ${Math.round(d.eps).toLocaleString('en')} ev/s, ${d.cpuUsPerEvent?.toFixed(2)} µs CPU per event`);
    dlRuns.push(d);
    await bareRun(`run ${r + 2} of ${reps + 1}`);
    const around = (bareRuns[r].eps + bareRuns[r + 1].eps) / 2;
    roundRatios.push(d.eps / around);
    progress(`  round ${r + 1}: ratio ${(d.eps / around).toFixed(3)} (driftline / mean of the bare runs before and after)`);
  }
  await bareRun('run 1 of 2', true);
  let dl1: ChildRun | null = null;
  if (opts.workers > 1) {
    progress('streaming: driftline run, processor.workers 1 (one thread, as the bare consumer)');
    dl1 = await runDriftline(brokers, topics, n, { workers: 1 });
    progress(`  driftline, 1 worker: ${Math.round(dl1.eps).toLocaleString('en')} ev/s, ${dl1.cpuUsPerEvent?.toFixed(2)} µs CPU per event`);
  }
  await bareRun('run 2 of 2', true);
  const fixed = { eps: median(fixedRuns.map((b) => b.eps)), cpuUsPerEvent: median(fixedRuns.map((b) => b.cpuUsPerEvent)) };
  const bare = { eps: median(bareRuns.map((b) => b.eps)), startupMs: median(bareRuns.map((b) => b.startupMs)), cpuUsPerEvent: median(bareRuns.map((b) => b.cpuUsPerEvent)) };
  const dl = { eps: median(dlRuns.map((d) => d.eps)), startupMs: median(dlRuns.map((d) => d.startupMs)), cpuUsPerEvent: dlRuns.every((d) => d.cpuUsPerEvent !== null) ? median(dlRuns.map((d) => d.cpuUsPerEvent!)) : null };
  const one = dl1 ?? dlRuns[0];

  let profile: string | null = null;
  if (opts.profile) {
    progress('streaming: driftline run again under --cpu-prof');
    const dir = outDir(`profile-${Date.now()}`);
    const pr = await runDriftline(brokers, topics, n, { profileDir: dir, workers: 1 });
    if (pr.profilePath) {
      profile = `${formatProfile(summarizeProfile(pr.profilePath, 20))}\n(profiled run: ${Math.round(pr.eps).toLocaleString('en')} ev/s; file ${pr.profilePath.slice(REPO_ROOT.length + 1)})`;
    } else notes.push('the profiled child wrote no .cpuprofile');
  }
  if (n < 1_000_000) notes.push(`reduced scale: ${n} events`);
  return {
    events: n,
    driftline_eps: Math.round(dl.eps),
    bare_kafkajs_eps: Math.round(bare.eps),
    ratio: median(roundRatios),
    decode_only_eps: Math.round(decodeEps),
    process_inference_only_eps: Math.round(po.eps),
    windows_closed_in_memory: po.windows,
    produce_eps: Math.round(produceEps),
    driftline_startup_s: dl.startupMs / 1000,
    bare_startup_s: bare.startupMs / 1000,
    workers: opts.workers,
    driftline_1_worker_eps: Math.round(one.eps),
    ratio_1_worker: one.eps / bare.eps,
    cpu_us_per_event: { bare_kafkajs: bare.cpuUsPerEvent, driftline_1_worker: one.cpuUsPerEvent, driftline: dl.cpuUsPerEvent },
    bare_runs_eps: bareRuns.map((b) => Math.round(b.eps)),
    driftline_runs_eps: dlRuns.map((d) => Math.round(d.eps)),
    round_ratios: roundRatios.map((x) => Math.round(x * 1000) / 1000),
    bare_with_record_fix_eps: Math.round(fixed.eps),
    bare_with_record_fix_runs_eps: fixedRuns.map((b) => Math.round(b.eps)),
    ratio_to_bare_with_record_fix: dl.eps / fixed.eps,
    cpu_us_per_event_bare_with_record_fix: fixed.cpuUsPerEvent,
    profile,
    notes,
  };
}
