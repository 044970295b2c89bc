/**
 * `driftline tail` as a child process on a real broker: Avro DriftAlerts and WindowResults are
 * published to unique topics, the command decodes them and prints JSON lines (or readable lines),
 * and stops cleanly on SIGINT.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { formatNumber, formatWindow } from '../../src/cli/tail.js';
import { loadTypes } from '../../src/codec/schemas.js';
import type { DriftAlert } from '../../src/detect/alerts.js';
import type { WindowResult } from '../../src/detect/evaluate.js';
import { brokers, createTopics, produceMessages, uniqueTopic } from './kafka.js';

const ROOT = resolve(import.meta.dirname, '../..');
const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 5, 4);

/** The fields every version of DriftAlert has (later versions add fields with defaults). */
type Alert = Omit<DriftAlert, 'kind'>;

function alert(over: Partial<Alert>): Alert {
  return { alert_id: 'a1', status: 'FIRING', model_id: 'credit', model_version: 'v1', feature: 'amount', metric: 'psi', value: 0.297, threshold: 0.25, window_start: T0, window_end: T0 + H, rows: 1000, reference_rows: 5000, detected_at: T0 + H, ...over };
}

const result: WindowResult = {
  result_id: 'r1', model_id: 'credit', model_version: 'v1', window_start: T0, window_end: T0 + H, rows: 1000, status: 'OK',
  features: [
    { feature: 'amount', kind: 'NUMERIC', count: 1000, missing: 0, metrics: [
      { metric: 'psi', value: 0.297, p_value: null, threshold: 0.25, drift: true },
      { metric: 'ks', value: 0.2, p_value: 1e-9, threshold: 0.05, drift: true },
    ] },
    { feature: 'country', kind: 'CATEGORICAL', count: 998, missing: 2, metrics: [{ metric: 'linf', value: 0.01, p_value: null, threshold: 0.1, drift: false }] },
  ],
} as unknown as WindowResult;

/** Runs `driftline tail`, collects stdout lines until `n` arrived (or the timeout), then SIGINT. */
async function runTail(args: string[], n: number, timeoutMs = 60_000): Promise<{ lines: string[]; code: number | null; stderr: string }> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, ['bin/driftline.js', 'tail', ...args], { cwd: ROOT, env: { ...process.env, DRIFTLINE_KAFKA_BROKERS: brokers().join(',') } });
  const lines: string[] = [];
  let buf = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  await new Promise<void>((done) => {
    const timer = setTimeout(done, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      if (lines.length >= n) {
        clearTimeout(timer);
        done();
      }
    });
    child.on('close', () => {
      clearTimeout(timer);
      done();
    });
  });
  child.kill('SIGINT');
  const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const code = await exited;
  clearTimeout(kill);
  return { lines, code, stderr };
}

describe('driftline tail on a real broker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftline-tail-'));
  const cfg = join(dir, 'driftline.yaml');
  const topics = { alerts: uniqueTopic('tail-alerts'), results: uniqueTopic('tail-results') };

  beforeAll(async () => {
    writeFileSync(cfg, stringify({
      kafka: { brokers: brokers(), groupId: 'tail-it' },
      topics: { alerts: topics.alerts, results: topics.results },
      logLevel: 'warn',
      models: [{ id: 'credit', window: { size: '1h' }, features: [{ name: 'amount', type: 'numeric' }, { name: 'country', type: 'categorical' }] }],
    }));
    await createTopics(brokers(), [topics.alerts, topics.results], 1);
    const types = loadTypes();
    await produceMessages(brokers(), topics.alerts, [
      { key: 'credit', value: types.driftAlert.toBuffer(alert({})) },
      { key: 'credit', value: Buffer.from('not avro at all') },
      { key: 'credit', value: types.driftAlert.toBuffer(alert({ alert_id: 'a2', status: 'RESOLVED', value: 0.04, window_start: T0 + 3 * H, window_end: T0 + 4 * H, detected_at: T0 + 4 * H })) },
    ]);
    await produceMessages(brokers(), topics.results, [{ key: 'credit', value: types.windowResult.toBuffer(result) }]);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the decoded alerts as JSON lines, reports undecodable records on stderr, and stops on SIGINT with exit 0', async () => {
    const { lines, code, stderr } = await runTail(['alerts', '-c', cfg, '--json', '--from-beginning'], 2);
    expect(lines).toHaveLength(2);
    const [a, b] = lines.map((l) => JSON.parse(l) as DriftAlert);
    expect(a).toMatchObject(alert({}));
    expect(b).toMatchObject({ alert_id: 'a2', status: 'RESOLVED', model_id: 'credit', feature: 'amount', metric: 'psi', value: 0.04, threshold: 0.25, window_start: T0 + 3 * H });
    expect(stderr).toContain('is not a DriftAlert');
    expect(code).toBe(0);
  });

  it('prints readable alert lines', async () => {
    const { lines, code } = await runTail(['alerts', '-c', cfg, '--from-beginning'], 2);
    expect(lines[0]).toBe('2026-01-05 04:00–05:00  FIRING   credit v1 amount  psi 0.297 ≥ 0.25  (1000 rows)');
    expect(lines[1]).toBe('2026-01-05 07:00–08:00  RESOLVED credit v1 amount  psi 0.04 < 0.25  (1000 rows)');
    expect(code).toBe(0);
  });

  it('prints window results, as JSON and readable', async () => {
    const json = await runTail(['results', '-c', cfg, '--json', '--from-beginning'], 1);
    const r = JSON.parse(json.lines[0]) as WindowResult;
    expect(r).toMatchObject(result);
    const text = await runTail(['results', '-c', cfg, '--from-beginning'], 1);
    expect(text.lines[0]).toBe('2026-01-05 04:00–05:00  credit v1  1000 rows  OK  drift: amount (psi 0.297 ≥ 0.25, ks 1e-9 < 0.05)');
  });

  it('without --from-beginning prints only what arrives after it started', async () => {
    const child = spawn(process.execPath, ['bin/driftline.js', 'tail', 'alerts', '-c', cfg, '--json'], { cwd: ROOT });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const joined = new Promise<void>((r) => child.stderr.on('data', (d: Buffer) => { err += d.toString(); if (err.includes('tailing')) r(); }));
    const exited = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    try {
      await joined;
      await new Promise((r) => setTimeout(r, 1500));
      await produceMessages(brokers(), topics.alerts, [{ key: 'credit', value: loadTypes().driftAlert.toBuffer(alert({ alert_id: 'a3' })) }]);
      const deadline = Date.now() + 30_000;
      while (!out.includes('\n') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as DriftAlert);
    expect(lines.map((l) => l.alert_id)).toEqual(['a3']);
  });
});

describe('tail formatting', () => {
  it('writes windows in UTC, with the end date only when the window spans days', () => {
    expect(formatWindow(T0, T0 + H)).toBe('2026-01-05 04:00–05:00');
    const day = Date.UTC(2026, 0, 5);
    expect(formatWindow(day, day + 24 * H)).toBe('2026-01-05 00:00–24:00');
    expect(formatWindow(day, day + 7 * 24 * H)).toBe('2026-01-05 00:00–2026-01-12 00:00');
  });
  it('writes numbers with 3 significant digits', () => {
    expect(formatNumber(0.29712)).toBe('0.297');
    expect(formatNumber(1.234e-9)).toBe('1.23e-9');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(12345.6)).toBe('12300');
  });
});
