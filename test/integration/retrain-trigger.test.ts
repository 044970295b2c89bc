/**
 * examples/retrain-trigger on a real broker: FIRING alerts (one of them published twice) and a
 * RESOLVED one. The retraining command runs exactly once per FIRING alert id, gets the alert on
 * stdin and in DRIFTLINE_ALERT; after a restart that replays the whole topic nothing reruns.
 * The webhook mode POSTs each FIRING alert once.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadTypes } from '../../src/codec/schemas.js';
import type { DriftAlert } from '../../src/detect/alerts.js';
import { brokers, createTopics, produceMessages, uniqueTopic } from './kafka.js';

const ROOT = resolve(import.meta.dirname, '../..');
const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 5, 4);

/** The fields every version of DriftAlert has (later versions add fields with defaults). */
type Alert = Omit<DriftAlert, 'kind'>;

function alert(over: Partial<Alert>): Alert {
  return { alert_id: 'a1', status: 'FIRING', model_id: 'credit', model_version: 'v1', feature: 'amount', metric: 'psi', value: 0.297, threshold: 0.25, window_start: T0, window_end: T0 + H, rows: 1000, reference_rows: 5000, detected_at: T0 + H, ...over };
}

/**
 * Starts the trigger, waits until its log shows `doneWhen` (the last alert published was seen),
 * then SIGTERM. Resolves with the exit code and the log.
 */
async function runTrigger(args: string[], doneWhen: (log: string) => boolean, timeoutMs = 90_000): Promise<{ code: number | null; log: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/retrain-trigger/retrain-trigger.ts', ...args], { cwd: ROOT, env: { ...process.env } });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  await new Promise<void>((done) => {
    const timer = setTimeout(done, timeoutMs);
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString();
      if (doneWhen(log)) {
        clearTimeout(timer);
        done();
      }
    });
    child.on('close', () => {
      clearTimeout(timer);
      done();
    });
  });
  child.kill('SIGTERM');
  const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await exited;
  clearTimeout(kill);
  return { code, log };
}

describe('examples/retrain-trigger on a real broker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftline-retrain-'));
  const cfg = join(dir, 'driftline.yaml');
  const out = join(dir, 'retrained.txt');
  const recorder = join(dir, 'record.cjs');
  const topic = uniqueTopic('retrain-alerts');
  const group = uniqueTopic('retrain-group');

  const published = [
    alert({ alert_id: 'fire-1' }),
    alert({ alert_id: 'fire-2', feature: 'country', metric: 'linf', value: 0.3, threshold: 0.1 }),
    alert({ alert_id: 'fire-1' }), // a replayed duplicate
    alert({ alert_id: 'resolved-1', status: 'RESOLVED', value: 0.02, window_start: T0 + 3 * H, window_end: T0 + 4 * H }),
  ];
  const lastSeen = (log: string) => log.includes('ignored RESOLVED');

  beforeAll(async () => {
    writeFileSync(cfg, stringify({
      kafka: { brokers: brokers(), groupId: 'retrain-it' },
      topics: { alerts: topic },
      logLevel: 'warn',
      models: [{ id: 'credit', window: { size: '1h' }, features: [{ name: 'amount', type: 'numeric' }, { name: 'country', type: 'categorical' }] }],
    }));
    // The "retraining": appends the alert id from stdin, the model from DRIFTLINE_ALERT.
    writeFileSync(recorder, `
      let s = '';
      process.stdin.on('data', (d) => (s += d)).on('end', () => {
        const fromStdin = JSON.parse(s);
        const fromEnv = JSON.parse(process.env.DRIFTLINE_ALERT);
        require('fs').appendFileSync(${JSON.stringify(out)}, fromStdin.alert_id + ' ' + fromEnv.model_id + ' ' + fromEnv.feature + ' ' + process.env.DRIFTLINE_ALERT_ID + '\\n');
      });
    `);
    await createTopics(brokers(), [topic], 1);
    const type = loadTypes().driftAlert;
    await produceMessages(brokers(), topic, published.map((a) => ({ key: a.model_id, value: type.toBuffer(a) })));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const state = join(dir, 'state.json');
  const command = `node ${JSON.stringify(recorder)}`;

  it('runs the command once per FIRING alert id, ignores duplicates and RESOLVED', async () => {
    const { code, log } = await runTrigger(['-c', cfg, '--command', command, '--state', state, '--group', group, '--from-beginning'], lastSeen);
    expect(code).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toEqual(['fire-1 credit amount fire-1', 'fire-2 credit country fire-2']);
    expect(log).toContain('already handled (done');
    expect(log).toContain('ignored RESOLVED credit v1 amount psi (alert resolved-1)');
    const saved = JSON.parse(readFileSync(state, 'utf8')) as { handled: Record<string, { status: string }> };
    expect(Object.keys(saved.handled).sort()).toEqual(['fire-1', 'fire-2']);
    expect(saved.handled['fire-1'].status).toBe('done');
  });

  it('after a restart that replays the whole topic (new consumer group), nothing reruns', async () => {
    const { code, log } = await runTrigger(['-c', cfg, '--command', command, '--state', state, '--group', `${group}-replay`, '--from-beginning'], lastSeen);
    expect(code).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(log.match(/already handled/g)).toHaveLength(3);
  });

  it('a restart in the same consumer group resumes after the committed offsets', async () => {
    const type = loadTypes().driftAlert;
    await produceMessages(brokers(), topic, [
      { key: 'credit', value: type.toBuffer(alert({ alert_id: 'fire-3', model_version: 'v2' })) },
      { key: 'credit', value: type.toBuffer(alert({ alert_id: 'resolved-3', status: 'RESOLVED', model_version: 'v2' })) },
    ]);
    const { code, log } = await runTrigger(['-c', cfg, '--command', command, '--state', state, '--group', group], (l) => l.includes('resolved-3'));
    expect(code).toBe(0);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toEqual(['fire-1 credit amount fire-1', 'fire-2 credit country fire-2', 'fire-3 credit amount fire-3']);
    expect(log).not.toContain('already handled');
  });

  it('POSTs each FIRING alert once to a webhook', async () => {
    const posts: { id: string | undefined; body: DriftAlert }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString())).on('end', () => {
        posts.push({ id: req.headers['idempotency-key'] as string | undefined, body: JSON.parse(body) as DriftAlert });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/retrain`;
    const webhookState = join(dir, 'webhook-state.json');
    try {
      const { code } = await runTrigger(['-c', cfg, '--webhook', url, '--state', webhookState, '--group', `${group}-webhook`, '--from-beginning'], (l) => l.includes('resolved-3'));
      expect(code).toBe(0);
    } finally {
      server.close();
    }
    expect(posts.map((p) => p.id)).toEqual(['fire-1', 'fire-2', 'fire-3']);
    expect(posts[0].body).toMatchObject(published[0]);
    expect(existsSync(webhookState)).toBe(true);
  });
});
