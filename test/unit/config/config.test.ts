import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../../src/config.js';
import { ConfigError } from '../../../src/errors.js';

const model = { id: 'housing', window: { size: '1M', grace: '1h', idle: '5s' }, features: [{ name: 'MedInc', type: 'numeric' }, { name: 'ocean', type: 'categorical' }] };

function error(input: unknown, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseConfig(input, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('fills the documented defaults', () => {
    const c = parseConfig({ models: [model] });
    expect(c.kafka).toMatchObject({ brokers: ['127.0.0.1:9092'], clientId: 'driftline', groupId: 'driftline', transactions: false, fetchMaxBytesPerPartition: 1024 * 1024 });
    expect(c.topics).toEqual({ inference: 'driftline.inference', training: 'driftline.training', alerts: 'driftline.alerts', results: 'driftline.window-results', deadLetter: 'driftline.dead-letter', labels: 'driftline.labels', performance: 'driftline.performance-results' });
    expect(c.metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(c.models[0].window).toEqual({ kind: 'calendar', unit: 'month', graceMs: 3_600_000, idleMs: 5000 });
    expect(c.models[0].rules).toBeNull();
    expect(c.processor.workers).toBe(1);
    expect(c.models[0].metricsByFeature.get('MedInc')).toEqual(['ks', 'wasserstein', 'psi', 'js', 'hellinger', 'missing_rate', 'out_of_range']);
  });

  it('rejects a fetch size below 1 KiB with the path of the key', () => {
    expect(parseConfig({ kafka: { fetchMaxBytesPerPartition: 65536 }, models: [model] }).kafka.fetchMaxBytesPerPartition).toBe(65536);
    expect(error({ kafka: { fetchMaxBytesPerPartition: 100 }, models: [model] }).message).toContain('kafka.fetchMaxBytesPerPartition');
  });

  it('parses hopping windows', () => {
    const c = parseConfig({ models: [{ ...model, window: { size: '1h', advance: '15m' } }] });
    expect(c.models[0].window).toEqual({ kind: 'fixed', sizeMs: 3_600_000, advanceMs: 900_000, graceMs: 0, idleMs: 30_000 });
  });

  it.each([
    [{ models: [model], extra: 1 }, 'extra', /unknown key/],
    [{ models: [model], kafka: { brokers: ['a:1'], groupid: 'x' } }, 'kafka.groupid', /unknown key/],
    [{ models: [{ ...model, window: { size: '1M', grace: 'soon' } }] }, 'models[0].window.grace', /duration/],
    [{ models: [{ ...model, window: { size: '10q' } }] }, 'models[0].window', /not a duration/],
    [{ models: [{ ...model, window: { size: '1h', advance: '2h' } }] }, 'models[0].window', /must not exceed size/],
    [{ models: [{ ...model, features: [{ name: 'a', type: 'text' }] }] }, 'models[0].features[0].type', /numeric|categorical/],
    [{ models: [{ ...model, rules: [{ feature: 'MedInc', metric: 'kl', threshold: 1 }] }] }, 'models[0].rules[0].metric', /valid metrics are: ks, wasserstein, psi, js, hellinger, chi2, linf/],
    [{ models: [{ ...model, rules: [{ feature: 'nope', metric: 'ks', threshold: 1 }] }] }, 'models[0].rules[0].feature', /no feature "nope"/],
    [{ models: [{ ...model, rules: [{ feature: 'ocean', metric: 'ks', threshold: 1 }] }] }, 'models[0].rules[0].metric', /does not apply to categorical/],
    [{ models: [model, model] }, 'models[1].id', /configured twice/],
    [{ models: [] }, 'models', /.+/],
    [{ models: [model], metrics: { port: 'x' } }, 'metrics.port', /number/],
    [{ models: [model], processor: { workers: 0 } }, 'processor.workers', />=\s*1/],
    [{ models: [model], processor: { workers: 2.5 } }, 'processor.workers', /expected int/],
  ])('rejects a bad key with its path (%#)', (input, path, reason) => {
    const err = error(input);
    expect(err.path).toBe(path);
    expect(err.message).toMatch(reason);
    expect(err.code).toBe('CONFIG_INVALID');
  });

  it('lets the environment override brokers and the metrics port', () => {
    const c = parseConfig({ models: [model] }, { KAFKA_BROKERS: 'h1:1, h2:2', DRIFTLINE_METRICS_PORT: '9999' });
    expect(c.kafka.brokers).toEqual(['h1:1', 'h2:2']);
    expect(c.metrics.port).toBe(9999);
    expect(error({ models: [model] }, { DRIFTLINE_METRICS_PORT: 'abc' }).path).toBe('metrics.port');
  });

  it('reads YAML files and names the file in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'driftline-config-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'models:\n  - id: m\n    window: { size: 1h }\n    features:\n      - { name: x, type: numeric }\n    rules:\n      - { feature: x, metric: ks, threshold: 0.01 }\n');
    expect(loadConfig(good, {}).models[0].rules).toEqual([{ feature: 'x', metric: 'ks', threshold: 0.01 }]);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'models:\n  - id: m\n    window: { size: 1h }\n    features: [{ name: x, type: numeric, bins: 1 }]\n');
    expect(() => loadConfig(bad, {})).toThrow(/models\[0\]\.features\[0\]\.bins: .*\(in .*bad\.yaml\)/);
    expect(() => loadConfig(join(dir, 'missing.yaml'), {})).toThrow(/cannot read config file/);
  });
});
