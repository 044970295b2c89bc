/**
 * `npm run bench [-- flags]`: driftline's benchmarks (not part of `npm test`).
 *
 *   --only a,b,...     sections: streaming, ks, compare, memory, latency (default: all)
 *   --events N         streaming events (default 1,000,000) and memory window size (same N)
 *   --rows N --cols N  offline CSV shape (default 300,000 x 50)
 *   --windows N        latency windows (default 50); --window-events N events per window (200)
 *   --window-rows N    rows of the evaluated window and its reference in `ks` (default 100,000)
 *   --ks-n N           sample size of the ks kernel (default 100,000); --reps N (default 7)
 *   --compare-reps N   runs of driftline compare and NannyML, taking turns; medians count (default 3)
 *   --profile          also run `driftline run` under --cpu-prof and summarize the hot spots
 *   --workers N        processor.workers of the main `driftline run` (default 2; a 1-worker run is always made too)
 *   --streaming-reps N rounds of driftline against the bare consumer, taking turns (default 3):
 *                      bare, driftline, bare, ... bare; the ratio is the median of the rounds'
 *   --no-evidently / --no-nannyml   skip one of the Python baselines
 *   --brokers host:port   Kafka (default 127.0.0.1:$KAFKA_PORT, KAFKA_PORT defaulting to 29092)
 *   --json             print one JSON object as the last line of stdout
 *
 * Progress goes to stderr, the table (and the JSON line) to stdout. Python baselines run in
 * bench/.venv: python3.11 -m venv bench/.venv && bench/.venv/bin/pip install -r bench/requirements.txt
 */
import { cpus, totalmem } from 'node:os';
import { progress, round } from './lib/common.js';
import { kafka } from './lib/kafka.js';
import { kernels, type KernelsResult } from './sections/kernels.js';
import { latency, type LatencyResult } from './sections/latency.js';
import { memory, sketchMemory, type MemoryResult, type SketchResult } from './sections/memory.js';
import { offline, type OfflineResult } from './sections/offline.js';
import { streaming, type StreamingResult } from './sections/streaming.js';

const SECTIONS = ['streaming', 'ks', 'compare', 'memory', 'latency'] as const;
type Section = (typeof SECTIONS)[number];

function parseArgs(argv: string[]) {
  const o = {
    only: new Set<Section>(SECTIONS),
    events: 1_000_000,
    rows: 300_000,
    cols: 50,
    windows: 50,
    windowEvents: 200,
    windowRows: 100_000,
    ksN: 100_000,
    reps: 7,
    compareReps: 3,
    streamingReps: 3,
    profile: false,
    workers: 2,
    evidently: true,
    nannyml: true,
    json: false,
    brokers: `127.0.0.1:${process.env.KAFKA_PORT ?? '29092'}`,
  };
  const num = (i: number) => {
    const x = Number(String(argv[i]).replace(/_/g, ''));
    if (!Number.isInteger(x) || x <= 0) throw new Error(`${argv[i - 1]} needs a positive integer, got ${argv[i]}`);
    return x;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--only': {
        const list = String(argv[++i]).split(',').map((s) => s.trim()).filter(Boolean);
        for (const s of list) if (!SECTIONS.includes(s as Section)) throw new Error(`unknown section ${s}; sections: ${SECTIONS.join(', ')}`);
        o.only = new Set(list as Section[]);
        break;
      }
      case '--events': o.events = num(++i); break;
      case '--rows': o.rows = num(++i); break;
      case '--cols': o.cols = num(++i); break;
      case '--windows': o.windows = num(++i); break;
      case '--window-events': o.windowEvents = num(++i); break;
      case '--window-rows': o.windowRows = num(++i); break;
      case '--ks-n': o.ksN = num(++i); break;
      case '--reps': o.reps = num(++i); break;
      case '--compare-reps': o.compareReps = num(++i); break;
      case '--streaming-reps': o.streamingReps = num(++i); break;
      case '--profile': o.profile = true; break;
      case '--workers': o.workers = num(++i); break;
      case '--no-evidently': o.evidently = false; break;
      case '--no-nannyml': o.nannyml = false; break;
      case '--json': o.json = true; break;
      case '--brokers': o.brokers = String(argv[++i]); break;
      case '--help': case '-h':
        process.stdout.write('usage: npm run bench -- [--only streaming,ks,compare,memory,latency] [--events N] [--workers N] [--streaming-reps N] [--compare-reps N] [--rows N] [--cols N] [--windows N] [--profile] [--json]\n');
        process.exit(0);
      // eslint-disable-next-line no-fallthrough
      default: throw new Error(`unknown flag ${a} (try --help)`);
    }
  }
  return o;
}

async function brokerUp(brokers: string): Promise<string | null> {
  const admin = kafka(brokers).admin();
  try {
    await Promise.race([admin.connect().then(() => admin.listTopics()), new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 10_000))]);
    return null;
  } catch (err) {
    return `no Kafka broker at ${brokers} (${(err as Error).message}); start one: KAFKA_PORT=29092 bash deploy/kafka/kafka.sh start`;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

interface Row {
  section: string;
  what: string;
  value: string;
}

const fmtN = (x: number | null | undefined, digits = 0) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits }));

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const started = new Date();
  progress(`driftline bench: ${[...o.only].join(', ')} on ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
  const rows: Row[] = [];
  const reasons: Record<string, string> = {};
  const needsKafka = o.only.has('streaming') || o.only.has('latency');
  const kafkaDown = needsKafka ? await brokerUp(o.brokers) : null;

  const attempt = async <T>(name: string, fn: () => Promise<T>): Promise<T | null> => {
    try {
      return await fn();
    } catch (err) {
      reasons[name] = (err as Error).message.split('\n')[0].slice(0, 400);
      progress(`${name} FAILED: ${reasons[name]}`);
      return null;
    }
  };

  let st: StreamingResult | null = null;
  let ke: KernelsResult | null = null;
  let off: OfflineResult | null = null;
  let mem: MemoryResult | null = null;
  let sk: SketchResult | null = null;
  let lat: LatencyResult | null = null;

  if (o.only.has('streaming')) {
    if (kafkaDown) reasons.streaming = kafkaDown;
    else st = await attempt('streaming', () => streaming(o.brokers, o.events, { profile: o.profile, workers: o.workers, reps: o.streamingReps }));
  } else reasons.streaming = 'not selected (--only)';
  if (o.only.has('ks')) ke = await attempt('ks', () => kernels({ ksN: o.ksN, windowRows: o.windowRows, reps: o.reps }));
  else reasons.ks = 'not selected (--only)';
  if (o.only.has('compare')) off = await attempt('compare', () => offline(o.rows, o.cols, { evidently: o.evidently, nannyml: o.nannyml }, o.compareReps));
  else reasons.compare = 'not selected (--only)';
  if (o.only.has('memory')) mem = await attempt('memory', () => memory(o.events));
  if (o.only.has('memory')) sk = await attempt('memory', () => sketchMemory(o.events));
  else reasons.memory = 'not selected (--only)';
  if (o.only.has('latency')) {
    if (kafkaDown) reasons.latency = kafkaDown;
    else lat = await attempt('latency', () => latency(o.brokers, o.windows, o.windowEvents));
  } else reasons.latency = 'not selected (--only)';

  // ---------------------------------------------------------------- table
  const add = (section: string, what: string, value: string) => rows.push({ section, what, value });
  if (st) {
    add('streaming', `events (${st.events.toLocaleString('en')}), produce rate`, `${fmtN(st.produce_eps)} ev/s`);
    add('streaming', 'bare kafkajs consumer (child process, eachBatch, count only; median of the runs, in order)', `${fmtN(st.bare_kafkajs_eps)} ev/s (${st.bare_runs_eps.map((x) => fmtN(x)).join(', ')})`);
    add('streaming', `driftline run (child process, processor.workers ${st.workers}; median of the runs)`, `${fmtN(st.driftline_eps)} ev/s (${st.driftline_runs_eps.map((x) => fmtN(x)).join(', ')})`);
    add('streaming', 'ratio driftline / bare: median of the rounds (higher is better, 1 = free)', `${fmtN(st.ratio, 3)} (${st.round_ratios.map((x) => fmtN(x, 3)).join(', ')})`);
    if (st.workers > 1) add('streaming', 'driftline run, processor.workers 1; ratio', `${fmtN(st.driftline_1_worker_eps)} ev/s; ${fmtN(st.ratio_1_worker, 3)}`);
    const cpu = st.cpu_us_per_event;
    add('streaming', `CPU per event: bare / driftline 1 worker${st.workers > 1 ? ` / ${st.workers} workers` : ''}`, [cpu.bare_kafkajs, cpu.driftline_1_worker, ...(st.workers > 1 ? [cpu.driftline] : [])].map((x) => (x === null ? 'n/a' : `${x.toFixed(2)} µs`)).join(' / '));
    add('streaming', "bare kafkajs with driftline's record decoder fix (2 runs); driftline / that", `${fmtN(st.bare_with_record_fix_eps)} ev/s (${st.bare_with_record_fix_runs_eps.map((x) => fmtN(x)).join(', ')}), ${st.cpu_us_per_event_bare_with_record_fix === null ? 'n/a' : st.cpu_us_per_event_bare_with_record_fix.toFixed(2)} µs CPU per event; ${fmtN(st.ratio_to_bare_with_record_fix, 3)}`);
    add('streaming', 'Avro decode alone (EventDecoder -> EventView)', `${fmtN(st.decode_only_eps)} ev/s`);
    add('streaming', `processInference alone, no Kafka (${st.windows_closed_in_memory} windows closed)`, `${fmtN(st.process_inference_only_eps)} ev/s`);
    add('streaming', 'start-up to first event: driftline / bare', `${fmtN(st.driftline_startup_s, 1)} s / ${fmtN(st.bare_startup_s, 1)} s`);
    for (const n of st.notes) add('streaming', 'note', n);
  } else add('streaming', 'null', reasons.streaming);
  if (ke) {
    add('ks', `ks ${ke.ks.n1.toLocaleString('en')} vs ${ke.ks.n2.toLocaleString('en')}: driftline / scipy`, `${fmtN(ke.ks.driftline_ms, 2)} ms / ${fmtN(ke.ks.scipy_ms, 2)} ms`);
    add('ks', 'ratio driftline / scipy (lower is better)', fmtN(ke.ks.ratio, 3));
    add('ks', 'same D and p as scipy', ke.ks.scipy_statistic === null ? 'n/a' : `D ${ke.ks.driftline_statistic} vs ${ke.ks.scipy_statistic}, p ${ke.ks.driftline_p_value.toExponential(4)} vs ${ke.ks.scipy_p_value!.toExponential(4)}`);
    add('ks', `ks exact path ${ke.ks_exact.n1.toLocaleString('en')} vs ${ke.ks_exact.n2.toLocaleString('en')}: driftline / scipy`, `${fmtN(ke.ks_exact.driftline_ms, 2)} ms / ${fmtN(ke.ks_exact.scipy_ms, 2)} ms (ratio ${fmtN(ke.ks_exact.ratio, 2)})`);
    add('ks', `evaluate one closed window, ${ke.window_eval_rows.toLocaleString('en')} events x 25 features, all metrics (median of 3)`, `${fmtN(ke.window_eval_ms, 0)} ms`);
    for (const n of ke.notes) add('ks', 'note', n);
  } else add('ks', 'null', reasons.ks);
  if (off) {
    const r = (a: number | null, b: number | null) => (a !== null && b !== null ? a / b : null);
    const runs = (x: { runs_s?: number[] }) => (x.runs_s && x.runs_s.length > 1 ? ` (runs ${x.runs_s.map((v) => v.toFixed(2)).join(', ')})` : '');
    add('compare', `CSV ${off.rows.toLocaleString('en')} rows x ${off.cols} cols: driftline compare, every metric (wall, median of ${off.reps})`, `${fmtN(off.driftline.wall_s, 2)} s${runs(off.driftline)}`);
    add('compare', `driftline compare --metrics ks,js (NannyML's two methods; median of ${off.reps})`, `${fmtN(off.driftline_nannyml_methods.wall_s, 2)} s${runs(off.driftline_nannyml_methods)}`);
    add('compare', `Evidently ${off.evidently.version ?? ''} DataDriftPreset (wall; read+compute; 1 run)`, off.evidently.wall_s === null ? `n/a: ${off.evidently.error}` : `${fmtN(off.evidently.wall_s, 1)} s; ${fmtN(off.evidently.inner_s, 1)} s`);
    add('compare', `NannyML ${off.nannyml.version ?? ''} UnivariateDriftCalculator, ks + js (wall, median of ${off.reps}; read+compute)`, off.nannyml.wall_s === null ? `n/a: ${off.nannyml.error}` : `${fmtN(off.nannyml.wall_s, 1)} s${runs(off.nannyml)}; ${fmtN(off.nannyml.inner_s, 1)} s`);
    add('compare', 'ratio driftline (every metric) / Evidently (lower is better)', fmtN(r(off.driftline.wall_s, off.evidently.wall_s), 3));
    add('compare', 'ratio driftline / NannyML: same methods (ks, js); every metric', `${fmtN(r(off.driftline_nannyml_methods.wall_s, off.nannyml.wall_s), 3)}; ${fmtN(r(off.driftline.wall_s, off.nannyml.wall_s), 3)}`);
    for (const n of off.notes) add('compare', 'note', n);
  } else add('compare', 'null', reasons.compare);
  if (mem) {
    add('memory', `RSS of one open window, ${mem.events.toLocaleString('en')} events x 25 features (exact)`, `${fmtN(mem.exact_rss_mb, 1)} MB (${fmtN(mem.bytes_per_event, 0)} B/event; ArrayBuffers ${fmtN(mem.array_buffers_mb, 1)} MB)`);
  } else add('memory', 'null', reasons.memory);
  if (sk) add('memory', `sketch mode: RSS of the same window; bytes per feature-window; KS max error vs exact (20 features)`, `${fmtN(sk.sketch_rss_mb, 1)} MB; ${sk.bytes_per_feature_window} B; ${sk.ks_max_error.toExponential(2)}`);
  else add('memory', 'sketch mode', 'null: ' + (reasons.memory ?? 'not run'));
  if (lat) {
    add('latency', `closing event -> alert on the alerts topic (${lat.windows} windows of ${lat.events_per_window}, shifted and normal in turn)`, `p50 ${fmtN(lat.p50, 1)} ms, p99 ${fmtN(lat.p99, 1)} ms, max ${fmtN(lat.max, 1)} ms`);
    add('', 'closing event -> result on the results topic', `p50 ${fmtN(lat.result_p50, 1)} ms, p99 ${fmtN(lat.result_p99, 1)} ms`);
  }
  else add('latency', 'null', reasons.latency);

  const w1 = Math.max(...rows.map((r) => r.section.length));
  const w2 = Math.max(...rows.map((r) => r.what.length));
  const lines = [`driftline bench, ${started.toISOString()}, ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}`, ''];
  lines.push(`${'section'.padEnd(w1)}  ${'measure'.padEnd(w2)}  value`);
  lines.push(`${'-'.repeat(w1)}  ${'-'.repeat(w2)}  ${'-'.repeat(20)}`);
  let prev = '';
  for (const r of rows) {
    lines.push(`${(r.section === prev ? '' : r.section).padEnd(w1)}  ${r.what.padEnd(w2)}  ${r.value}`);
    prev = r.section;
  }
  if (st?.profile) lines.push('', 'CPU profile of `driftline run` on the streaming topic:', st.profile);
  process.stdout.write(lines.join('\n') + '\n');

  if (o.json) {
    const out = {
      streaming: st ? { events: st.events, driftline_eps: st.driftline_eps, bare_kafkajs_eps: st.bare_kafkajs_eps, ratio: round(st.ratio, 4), round_ratios: st.round_ratios, bare_runs_eps: st.bare_runs_eps, driftline_runs_eps: st.driftline_runs_eps, decode_only_eps: st.decode_only_eps, process_inference_only_eps: st.process_inference_only_eps, workers: st.workers, driftline_1_worker_eps: st.driftline_1_worker_eps, ratio_1_worker: round(st.ratio_1_worker, 4), cpu_us_per_event: { bare_kafkajs: round(st.cpu_us_per_event.bare_kafkajs, 3), driftline_1_worker: round(st.cpu_us_per_event.driftline_1_worker, 3), driftline: round(st.cpu_us_per_event.driftline, 3) }, bare_with_record_fix: { eps: st.bare_with_record_fix_eps, runs_eps: st.bare_with_record_fix_runs_eps, cpu_us_per_event: round(st.cpu_us_per_event_bare_with_record_fix, 3), ratio: round(st.ratio_to_bare_with_record_fix, 4) } } : { events: o.events, driftline_eps: null, bare_kafkajs_eps: null, ratio: null, reason: reasons.streaming },
      ks_vs_scipy: ke ? { n: ke.ks.n1, driftline_ms: round(ke.ks.driftline_ms), scipy_ms: round(ke.ks.scipy_ms), ratio: round(ke.ks.ratio, 4), window_eval_ms: round(ke.window_eval_ms, 1), window_eval_rows: ke.window_eval_rows, exact_10000_vs_5000: { driftline_ms: round(ke.ks_exact.driftline_ms), scipy_ms: round(ke.ks_exact.scipy_ms), ratio: round(ke.ks_exact.ratio, 4) } } : { n: o.ksN, driftline_ms: null, scipy_ms: null, ratio: null, reason: reasons.ks },
      compare_vs_evidently: { rows: o.rows, cols: o.cols, driftline_s: round(off?.driftline.wall_s ?? null), evidently_s: round(off?.evidently.wall_s ?? null), ratio: off?.driftline.wall_s && off.evidently.wall_s ? round(off.driftline.wall_s / off.evidently.wall_s, 4) : null, ...(off?.evidently.wall_s ? {} : { reason: off?.evidently.error ?? reasons.compare }) },
      // driftline_s: the same two methods NannyML computes (--metrics ks,js); the every-metric run is beside it.
      compare_vs_nannyml: { rows: o.rows, cols: o.cols, driftline_s: round(off?.driftline_nannyml_methods.wall_s ?? null), nannyml_s: round(off?.nannyml.wall_s ?? null), ratio: off?.driftline_nannyml_methods.wall_s && off.nannyml.wall_s ? round(off.driftline_nannyml_methods.wall_s / off.nannyml.wall_s, 4) : null, driftline_every_metric_s: round(off?.driftline.wall_s ?? null), ratio_every_metric: off?.driftline.wall_s && off.nannyml.wall_s ? round(off.driftline.wall_s / off.nannyml.wall_s, 4) : null, runs: off ? { driftline_same_methods_s: off.driftline_nannyml_methods.runs_s ?? [], driftline_every_metric_s: off.driftline.runs_s ?? [], nannyml_s: off.nannyml.runs_s ?? [] } : null, ...(off?.nannyml.wall_s ? {} : { reason: off?.nannyml.error ?? reasons.compare }) },
      memory: { exact_rss_mb: round(mem?.exact_rss_mb ?? null, 1), sketch_rss_mb: round(sk?.sketch_rss_mb ?? null, 1), sketch_bytes_per_feature_window: sk?.bytes_per_feature_window ?? null, sketch_ks_max_error: sk ? round(sk.ks_max_error, 6) : null, ...(mem ? { events: mem.events } : { reason: reasons.memory }) },
      latency_ms: lat ? { p50: round(lat.p50, 1), p99: round(lat.p99, 1), windows: lat.windows, to: 'alert on the alerts topic', result_p50: round(lat.result_p50, 1), result_p99: round(lat.result_p99, 1) } : { p50: null, p99: null, reason: reasons.latency },
    };
    process.stdout.write(JSON.stringify(out) + '\n');
  }
  // kafkajs and child processes may leave handles: exit explicitly once everything is printed
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exit(2);
});
