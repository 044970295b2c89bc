/**
 * 4. Memory (run as `node --expose-gc --import tsx bench/sections/memory-child.ts N`): RSS growth of
 * a Processor holding one open window of N events x 25 features in exact mode. Prints one JSON line.
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import { encodeEvent } from '../../src/codec/event.js';
import { loadTypes } from '../../src/codec/schemas.js';
import { parseConfig } from '../../src/config.js';
import { Instrumentation } from '../../src/instrumentation.js';
import { Processor } from '../../src/processor.js';
import { features, modelIds, rawConfig, rng, T0, topicNames } from '../lib/common.js';

const n = Number(process.argv[2] ?? 1_000_000);
/** exact (Arrow columns) or sketch (bounded memory) */
const mode = (process.argv[3] ?? 'exact') as 'exact' | 'sketch';
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const settle = () => {
  for (let i = 0; i < 3; i++) gc();
};
const types = loadTypes();
const config = parseConfig({ ...rawConfig({ brokers: '127.0.0.1:1', groupId: 'x', topics: topicNames('x'), models: 1, window: '1d' }), processor: { mode } });
const p = new Processor(config, new Instrumentation(pino({ level: 'silent' }), new Registry(), { defaultMetrics: false }), { now: () => Date.now() }, types);
const id = modelIds(1)[0];
const r = rng(5);
// a pool of encoded bodies reused (event times within the same day window): the bodies themselves
// are not what is measured, the window's columns are
const pool: Buffer[] = [];
for (let i = 0; i < 1000; i++) pool.push(encodeEvent(types.inference, 'inference', { model_id: id, model_version: 'v1', event_id: `e${i}`, event_time: T0 + i, features: features(r, 0) }));
// one event first so that lazily created state (model state, dictionaries) is in the baseline
p.processInference({ topic: 'i', partition: 0, offset: '0', key: null, value: pool[0] });
settle();
const before = process.memoryUsage();
for (let i = 1; i < n; i++) p.processInference({ topic: 'i', partition: 0, offset: String(i), key: null, value: pool[i % 1000] });
settle();
const after = process.memoryUsage();
const open = p.openWindowCount();
const mb = (x: number) => x / 1024 / 1024;
console.log(JSON.stringify({
  mode,
  events: n,
  open_windows: open,
  rss_mb: mb(after.rss - before.rss),
  heap_used_mb: mb(after.heapUsed - before.heapUsed),
  array_buffers_mb: mb(after.arrayBuffers - before.arrayBuffers),
  external_mb: mb(after.external - before.external),
  rss_total_mb: mb(after.rss),
  bytes_per_event: (after.rss - before.rss) / n,
}));
