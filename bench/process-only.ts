/**
 * `npx tsx bench/process-only.ts [flags]`: the broker-free half of the streaming bench, Avro
 * decoding alone and Processor.processInference alone on the same pre-encoded events (4 models,
 * 20 numeric + 5 categorical features, 1-minute windows, a 12,000-row training reference per model,
 * default metrics), alternated `--reps` times in one process. The ratio process / decode measured
 * in the same run is the figure that survives a noisy machine.
 *
 *   --events N     inference events (default 1,000,000; window size as in the streaming section)
 *   --reps N       decode + process rounds (default 3); medians are reported
 *   --profile      profile the last processInference round (node:inspector) and print the hot spots
 *   --json         print one JSON object as the last line of stdout
 *   --alloc        one more processInference round under V8's sampling heap profiler (objects
 *                  collected since included): heap bytes allocated per event on the per-event
 *                  path (processInference minus window closing), and per closed window
 *
 * Also prints a SHA-256 digest of every window result and alert, so that two versions of the code
 * can be checked to give the same results on this workload.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { inferenceBodies, median, outDir, progress, topicNames, trainingBodies } from './lib/common.js';
import { formatProfile, summarizeProfile } from './lib/profile.js';
import { decodeRates, MODELS, perWindowFor, processOnly, TRAINING_ROWS } from './sections/streaming.js';

function parseArgs(argv: string[]) {
  const o = { events: 1_000_000, reps: 3, profile: false, json: false, alloc: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const x = Number(String(argv[++i]).replace(/_/g, ''));
      if (!Number.isInteger(x) || x <= 0) throw new Error(`${a} needs a positive integer`);
      return x;
    };
    if (a === '--events') o.events = num();
    else if (a === '--reps') o.reps = num();
    else if (a === '--profile') o.profile = true;
    else if (a === '--json') o.json = true;
    else if (a === '--alloc') o.alloc = true;
    else throw new Error(`unknown flag ${a}; flags: --events N --reps N --profile --json --alloc`);
  }
  return o;
}

function post<T>(s: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => s.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T))));
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const perWindow = perWindowFor(o.events);
  progress(`process-only: encoding ${o.events.toLocaleString('en')} events (${MODELS} models, ${perWindow} events per model and window)`);
  const bodies = inferenceBodies(o.events, MODELS, perWindow, 1);
  const training = trainingBodies(TRAINING_ROWS, MODELS);
  const topics = topicNames('bench.process-only');
  const decode: number[] = [];
  const proc: number[] = [];
  const ratios: number[] = [];
  const decodeCpu: number[] = [];
  const procCpu: number[] = [];
  let digest = '';
  let windows = 0;
  for (let rep = 0; rep < o.reps; rep++) {
    const dr = decodeRates(bodies);
    const d = dr.eps;
    const last = rep === o.reps - 1;
    let session: Session | null = null;
    if (last && o.profile) {
      session = new Session();
      session.connect();
      await post(session, 'Profiler.enable');
      await post(session, 'Profiler.setSamplingInterval', { interval: 200 });
      await post(session, 'Profiler.start');
    }
    const hash = createHash('sha256');
    const p = processOnly(bodies, training, topics, (out) => {
      for (const r of out.results) hash.update(JSON.stringify(r.value));
      for (const a of out.alerts) hash.update(JSON.stringify(a.value));
      if (out.deadLetters.length > 0) hash.update(`dead letters ${out.deadLetters.length}`);
    });
    if (session) {
      const { profile } = await post<{ profile: object }>(session, 'Profiler.stop');
      session.disconnect();
      const file = join(outDir('process-only'), `process-${Date.now()}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      process.stdout.write(`${formatProfile(summarizeProfile(file, 25))}\n(profile: ${file})\n`);
    }
    const dg = hash.digest('hex').slice(0, 16);
    if (digest && dg !== digest) throw new Error(`results differ between rounds: ${digest} vs ${dg}`);
    digest = dg;
    windows = p.windows;
    decode.push(d);
    proc.push(p.eps);
    ratios.push(p.eps / d);
    decodeCpu.push(dr.cpuEps);
    procCpu.push(p.cpuEps);
    progress(`  round ${rep + 1}: decode ${Math.round(d).toLocaleString('en')} ev/s, processInference ${Math.round(p.eps).toLocaleString('en')} ev/s, ratio ${(p.eps / d).toFixed(3)}; per CPU second: decode ${Math.round(dr.cpuEps).toLocaleString('en')}, processInference ${Math.round(p.cpuEps).toLocaleString('en')}`);
  }
  let alloc: { per_event_bytes: number; per_window_bytes: number; sampled_bytes: number } | null = null;
  if (o.alloc) {
    const session = new Session();
    session.connect();
    await post(session, 'HeapProfiler.enable');
    await post(session, 'HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    const p = processOnly(bodies, training, topics);
    const { profile } = await post<{ profile: SamplingNode & { head?: SamplingNode } }>(session, 'HeapProfiler.stopSampling');
    session.disconnect();
    const a = allocationSplit((profile as unknown as { head: SamplingNode }).head);
    alloc = { per_event_bytes: Math.round((a.perEvent / o.events) * 10) / 10, per_window_bytes: Math.round(a.closing / Math.max(1, p.windows)), sampled_bytes: a.total };
    progress(`  allocation (sampled): ${alloc.per_event_bytes} B per event on the per-event path, ${alloc.per_window_bytes.toLocaleString('en')} B per closed window (evaluation, results, alerts)`);
  }
  const out = {
    events: o.events,
    reps: o.reps,
    decode_only_eps: Math.round(median(decode)),
    process_inference_only_eps: Math.round(median(proc)),
    ratio: Math.round(median(ratios) * 1000) / 1000,
    us_per_event: Math.round((1e6 / median(proc)) * 100) / 100,
    decode_only_cpu_eps: Math.round(median(decodeCpu)),
    process_inference_only_cpu_eps: Math.round(median(procCpu)),
    cpu_us_per_event: Math.round((1e6 / median(procCpu)) * 100) / 100,
    windows,
    results_digest: digest,
    ...(alloc ? { allocation: alloc } : {}),
  };
  process.stdout.write(`decode alone ${out.decode_only_eps.toLocaleString('en')} ev/s; processInference alone ${out.process_inference_only_eps.toLocaleString('en')} ev/s (${out.us_per_event} µs/event); ratio ${out.ratio}; per CPU second: decode ${out.decode_only_cpu_eps.toLocaleString('en')}, processInference ${out.process_inference_only_cpu_eps.toLocaleString('en')} (${out.cpu_us_per_event} µs CPU/event); ${windows} windows; results digest ${digest}\n`);
  if (o.json) process.stdout.write(JSON.stringify(out) + '\n');
}

interface SamplingNode {
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children: SamplingNode[];
}

/**
 * Splits a sampling heap profile: bytes allocated under Processor.processInference but outside
 * closeDue (the per-event path: decoding, checks, assignment, appending), and under closeDue
 * (closing windows: evaluation, results, alerts). The harness's own allocations (its records) are
 * in neither.
 */
function allocationSplit(head: SamplingNode): { perEvent: number; closing: number; total: number } {
  let perEvent = 0;
  let closing = 0;
  let total = 0;
  const walk = (node: SamplingNode, inProcess: boolean, inClose: boolean): void => {
    const name = node.callFrame.functionName;
    const p = inProcess || name === 'processInference';
    const c = inClose || (p && name === 'closeDue');
    total += node.selfSize;
    if (c) closing += node.selfSize;
    else if (p) perEvent += node.selfSize;
    for (const child of node.children) walk(child, p, c);
  };
  walk(head, false, false);
  return { perEvent, closing, total };
}

main().catch((err) => {
  process.stderr.write(`process-only: ${(err as Error).stack}\n`);
  process.exit(2);
});
