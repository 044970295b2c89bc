/**
 * docker-compose.yml, deploy/prometheus/ and deploy/grafana/, checked by parsing them (no Docker
 * engine runs here): services and their wiring, healthchecks and start order, mounted files, the
 * mounted driftline config against the real config schema, the scrape targets against driftline's
 * metrics port, and every metric name in the rules and the dashboard against what driftline and
 * kafka-exporter really export.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../../src/config.js';
import { checkPromql, knownMetrics } from './metrics.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test: string[]; interval?: string; retries?: number };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  profiles?: string[];
}
const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
const services = compose.services;
const env = (s: Service) => Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, String(v)]));

/** Bind mounts of a service: host path (relative to the repo) -> container path. */
function binds(s: Service): { host: string; container: string; readOnly: boolean }[] {
  return (s.volumes ?? []).filter((v) => v.startsWith('./')).map((v) => {
    const [host, container, mode] = v.split(':');
    return { host, container, readOnly: mode === 'ro' };
  });
}
/** The host file mounted at a container path (or inside a mounted directory). */
function hostFileFor(s: Service, containerPath: string): string {
  for (const b of binds(s)) {
    if (b.container === containerPath) return join(ROOT, b.host);
    if (containerPath.startsWith(`${b.container}/`)) return join(ROOT, b.host, containerPath.slice(b.container.length + 1));
  }
  throw new Error(`nothing mounted at ${containerPath}`);
}
const configPathOf = (s: Service) => s.command![s.command!.indexOf('-c') + 1];
const driftlineConfig = () => loadConfig(hostFileFor(services.driftline, configPathOf(services.driftline)), env(services.driftline));

describe('docker-compose.yml', () => {
  it('has the services of the stack', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['kafka', 'topics', 'driftline', 'kafka-exporter', 'prometheus', 'grafana']));
    expect(services.kafka.image).toBe('apache/kafka:3.9.1');
    expect(services['kafka-exporter'].image).toMatch(/^danielqsj\/kafka-exporter:/);
    expect(services.prometheus.image).toMatch(/^prom\/prometheus:/);
    expect(services.grafana.image).toMatch(/^grafana\/grafana:/);
    expect(services.driftline.build).toBe('.');
  });

  it('runs Kafka as a single KRaft node with consistent listeners', () => {
    const e = env(services.kafka);
    expect(e.KAFKA_PROCESS_ROLES.split(',').sort()).toEqual(['broker', 'controller']);
    expect(e.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(`${e.KAFKA_NODE_ID}@kafka:9093`);
    expect(e.ZOOKEEPER_CONNECT ?? e.KAFKA_ZOOKEEPER_CONNECT).toBeUndefined();
    const names = (v: string) => v.split(',').map((l) => l.split('://')[0]);
    const protocolMap = new Map(e.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP.split(',').map((p) => p.split(':') as [string, string]));
    for (const n of names(e.KAFKA_LISTENERS)) expect(protocolMap.has(n), `listener ${n} in the protocol map`).toBe(true);
    for (const n of names(e.KAFKA_ADVERTISED_LISTENERS)) expect(names(e.KAFKA_LISTENERS)).toContain(n);
    expect(names(e.KAFKA_LISTENERS)).toContain(e.KAFKA_CONTROLLER_LISTENER_NAMES);
    expect(names(e.KAFKA_ADVERTISED_LISTENERS)).not.toContain(e.KAFKA_CONTROLLER_LISTENER_NAMES);
    expect(e.KAFKA_LISTENERS).toContain('CONTROLLER://:9093');
    // What the other services bootstrap from is what the broker advertises on the compose network.
    const advertised = e.KAFKA_ADVERTISED_LISTENERS.split(',').map((l) => l.split('://')[1]);
    for (const name of ['topics', 'driftline']) expect(advertised).toContain(env(services[name]).DRIFTLINE_KAFKA_BROKERS);
    const exporterServer = services['kafka-exporter'].command!.find((a) => a.startsWith('--kafka.server='))!.split('=')[1];
    expect(advertised).toContain(exporterServer);
    // Single node: internal topics cannot have more than one replica.
    expect(e.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR).toBe('1');
    expect(e.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR).toBe('1');
    expect(e.KAFKA_TRANSACTION_STATE_LOG_MIN_ISR).toBe('1');
    // driftline creates its topics with their retention; nothing should appear by accident.
    expect(e.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
  });

  it('has a healthcheck on every long-running service and none on the one-shot ones', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.restart === 'no') continue;
      expect(s.healthcheck, `${name} healthcheck`).toBeDefined();
      expect(['CMD', 'CMD-SHELL']).toContain(s.healthcheck!.test[0]);
    }
    expect(services.driftline.healthcheck!.test.join(' ')).toContain(`:${driftlineConfig().metrics.port}/healthz`);
    expect(services.kafka.healthcheck!.test.join(' ')).toContain('kafka-broker-api-versions.sh --bootstrap-server localhost:9092');
  });

  it('starts in order: depends_on conditions name existing services and match their kind', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(services[dep], `${name} depends on ${dep}`).toBeDefined();
        if (condition === 'service_healthy') expect(services[dep].healthcheck, `${dep} has a healthcheck (${name} waits for it)`).toBeDefined();
        else if (condition === 'service_completed_successfully') expect(services[dep].restart, `${dep} is one-shot`).toBe('no');
        else expect(condition).toBe('service_started');
      }
    }
    expect(services.topics.depends_on).toEqual({ kafka: { condition: 'service_healthy' } });
    expect(services.driftline.depends_on).toEqual({ kafka: { condition: 'service_healthy' }, topics: { condition: 'service_completed_successfully' } });
    expect(services['kafka-exporter'].depends_on?.kafka?.condition).toBe('service_healthy');
    expect(services.grafana.depends_on?.prometheus?.condition).toBe('service_healthy');
  });

  it('the topics service creates the topics of the same config driftline runs with', () => {
    expect(services.topics.command!.slice(0, 2)).toEqual(['topics', 'create']);
    expect(configPathOf(services.topics)).toBe(configPathOf(services.driftline));
    expect(hostFileFor(services.topics, configPathOf(services.topics))).toBe(hostFileFor(services.driftline, configPathOf(services.driftline)));
    expect(services.driftline.command).toEqual(['run', '-c', '/etc/driftline/driftline.yaml']);
  });

  it('mounts only files that exist in the repo, read-only, and named volumes that are declared', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const b of binds(s)) {
        expect(existsSync(join(ROOT, b.host)), `${name}: ${b.host} exists`).toBe(true);
        expect(b.readOnly, `${name}: ${b.host} mounted read-only`).toBe(true);
      }
      for (const v of (s.volumes ?? []).filter((x) => !x.startsWith('./') && !x.startsWith('/'))) {
        expect(Object.keys(compose.volumes ?? {}), `${name}: volume ${v}`).toContain(v.split(':')[0]);
      }
    }
  });

  it('the mounted driftline config passes the real config schema, with the container environment', () => {
    const config = driftlineConfig();
    expect(config.kafka.brokers).toEqual(['kafka:9092']);
    expect(config.metrics.host).toBe('0.0.0.0');
    expect(config.models.length).toBeGreaterThan(0);
    // Without the environment it is a valid config for a local broker too.
    expect(() => loadConfig(join(ROOT, 'deploy/config/driftline.yaml'), {})).not.toThrow();
  });

  it('publishes driftline\'s metrics port and no host port twice', () => {
    const port = driftlineConfig().metrics.port;
    expect(services.driftline.ports).toContain(`${port}:${port}`);
    const hostPorts = Object.values(services).flatMap((s) => (s.ports ?? []).map((p) => p.split(':')[0]));
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });

  it('the simulate demo profile feeds a model the config has', () => {
    const sim = services.simulate;
    expect(sim.profiles).toEqual(['demo']);
    const model = sim.command![sim.command!.indexOf('--model') + 1];
    expect(driftlineConfig().models.map((m) => m.id)).toContain(model);
  });
});

describe('deploy/prometheus', () => {
  const prom = parse(read('deploy/prometheus/prometheus.yml')) as { rule_files: string[]; scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[] };
  const rules = parse(read('deploy/prometheus/alerts.yml')) as { groups: { name: string; rules: { alert: string; expr: string; for?: string; labels: Record<string, string>; annotations: Record<string, string> }[] }[] };
  const allRules = rules.groups.flatMap((g) => g.rules);

  it('scrapes driftline on its configured metrics port, and kafka-exporter on its listen address', () => {
    const job = (n: string) => prom.scrape_configs.find((j) => j.job_name === n)!;
    expect(job('driftline').static_configs[0].targets).toEqual([`driftline:${driftlineConfig().metrics.port}`]);
    expect(job('driftline').metrics_path ?? '/metrics').toBe('/metrics');
    const listen = services['kafka-exporter'].command!.find((a) => a.startsWith('--web.listen-address='))!.split(':').pop();
    expect(job('kafka-exporter').static_configs[0].targets).toEqual([`kafka-exporter:${listen}`]);
  });

  it('loads the rule files mounted into the container', () => {
    for (const f of prom.rule_files) expect(existsSync(hostFileFor(services.prometheus, f)), f).toBe(true);
    expect(hostFileFor(services.prometheus, '/etc/prometheus/prometheus.yml')).toBe(join(ROOT, 'deploy/prometheus/prometheus.yml'));
  });

  it('has the alerts: feature drift firing, rejected events, down / not ready, consumer lag', () => {
    const byName = new Map(allRules.map((r) => [r.alert, r]));
    expect([...byName.keys()].sort()).toEqual(['DriftlineConsumerLag', 'DriftlineDown', 'DriftlineFeatureDrift', 'DriftlineNotReady', 'DriftlineRejectedEvents']);
    expect(byName.get('DriftlineFeatureDrift')!.expr).toMatch(/driftline_feature_drift_alert\)?\s*==\s*1/);
    expect(byName.get('DriftlineRejectedEvents')!.expr).toContain('rate(driftline_events_rejected_total');
    expect(byName.get('DriftlineDown')!.expr).toBe('up{job="driftline"} == 0');
    expect(byName.get('DriftlineNotReady')!.expr).toContain('driftline_ready == 0');
    expect(byName.get('DriftlineConsumerLag')!.expr).toContain('kafka_consumergroup_lag');
    for (const r of allRules) {
      expect(r.labels.severity, r.alert).toMatch(/^(warning|critical)$/);
      expect(r.annotations.summary, r.alert).toBeTruthy();
      if (r.for) expect(r.for).toMatch(/^\d+[smh]$/);
    }
  });

  it('the lag alert watches driftline\'s consumer group', () => {
    const lag = allRules.find((r) => r.alert === 'DriftlineConsumerLag')!;
    expect(lag.expr).toContain(`consumergroup="${driftlineConfig().kafka.groupId}"`);
  });

  it('every metric and label in the rules exists (src/instrumentation.ts, prom-client defaults, kafka-exporter)', () => {
    const known = knownMetrics();
    expect(allRules.flatMap((r) => checkPromql(r.expr, known))).toEqual([]);
  });
});

describe('deploy/grafana', () => {
  const dashboardFile = 'deploy/grafana/dashboards/driftline.json';
  interface Target { expr: string; datasource?: { uid: string } }
  interface Panel { id: number; type: string; title: string; datasource?: { type: string; uid: string }; gridPos: { x: number; y: number; w: number; h: number }; targets?: Target[] }
  const dashboard = JSON.parse(read(dashboardFile)) as { uid: string; title: string; panels: Panel[]; templating: { list: { name: string; type: string; query: unknown; definition?: string }[] } };
  const datasources = parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as { datasources: { uid: string; type: string; url: string; isDefault?: boolean }[] };
  const providers = parse(read('deploy/grafana/provisioning/dashboards/driftline.yml')) as { providers: { options: { path: string } }[] };

  it('provisions the compose Prometheus as datasource', () => {
    expect(datasources.datasources).toHaveLength(1);
    const ds = datasources.datasources[0];
    expect(ds.type).toBe('prometheus');
    const port = services.prometheus.ports![0].split(':')[1];
    expect(ds.url).toBe(`http://prometheus:${port}`);
  });

  it('provisions the dashboard directory that compose mounts, and the home dashboard exists', () => {
    const path = providers.providers[0].options.path;
    const host = hostFileFor(services.grafana, path);
    expect(statSync(host).isDirectory()).toBe(true);
    expect(existsSync(join(host, 'driftline.json'))).toBe(true);
    expect(hostFileFor(services.grafana, env(services.grafana).GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH)).toBe(join(ROOT, dashboardFile));
    expect(hostFileFor(services.grafana, '/etc/grafana/provisioning/datasources/prometheus.yml')).toBe(join(ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yml'));
  });

  it('the dashboard parses, has unique panel ids, panels on the grid without overlap, all on the provisioned datasource', () => {
    expect(dashboard.uid).toBe('driftline');
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const uid = datasources.datasources[0].uid;
    for (const p of dashboard.panels) {
      expect(p.datasource?.uid, p.title).toBe(uid);
      for (const t of p.targets ?? []) expect(t.datasource?.uid ?? uid).toBe(uid);
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
    for (const a of dashboard.panels) for (const b of dashboard.panels) {
      if (a === b) continue;
      const overlap = a.gridPos.x < b.gridPos.x + b.gridPos.w && b.gridPos.x < a.gridPos.x + a.gridPos.w && a.gridPos.y < b.gridPos.y + b.gridPos.h && b.gridPos.y < a.gridPos.y + a.gridPos.h;
      expect(overlap, `${a.title} overlaps ${b.title}`).toBe(false);
    }
  });

  it('has the panels: drift score per feature, firing alerts, throughput, lag, rejected by reason, evaluation time histogram', () => {
    const uses = (metric: string) => dashboard.panels.filter((p) => (p.targets ?? []).some((t) => t.expr.includes(metric))).map((p) => p.title);
    expect(uses('driftline_feature_drift_score')).toContain('Drift score per feature');
    expect(uses('driftline_feature_drift_alert')).toEqual(expect.arrayContaining(['Firing alerts', 'Alerts firing']));
    expect(uses('rate(driftline_events_consumed_total')).toContain('Throughput: events consumed');
    expect(uses('kafka_consumergroup_lag')).toContain('Consumer lag');
    expect(dashboard.panels.find((p) => p.title === 'Rejected events by reason')!.targets![0].expr).toMatch(/sum by \(reason.*driftline_events_rejected_total/);
    const heat = dashboard.panels.find((p) => p.type === 'heatmap')!;
    expect(heat.targets![0].expr).toContain('driftline_window_evaluation_seconds_bucket');
  });

  it('every metric and label in the dashboard exists, and every $variable is defined', () => {
    const known = knownMetrics();
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.flatMap((e) => checkPromql(e, known))).toEqual([]);
    const vars = new Set(dashboard.templating.list.map((v) => v.name));
    for (const e of exprs) for (const [, v] of e.matchAll(/\$([a-zA-Z]\w*)/g)) expect(vars, `$${v} in ${e}`).toContain(v);
    for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) {
      const m = /^label_values\((\w+),\s*(\w+)\)$/.exec(v.definition ?? '')!;
      expect(m, v.name).not.toBeNull();
      expect(known.get(m[1])?.labels.has(m[2]), v.definition).toBe(true);
    }
    const group = dashboard.templating.list.find((v) => v.name === 'group')!;
    expect(group.query).toBe(driftlineConfig().kafka.groupId);
  });
});

describe('the PromQL checker used above', () => {
  it('catches unknown metrics, unknown labels, unbalanced brackets and misplaced grouping labels', () => {
    const known = knownMetrics();
    expect(checkPromql('sum by (reason) (rate(driftline_events_rejected_total[5m]))', known)).toEqual([]);
    expect(checkPromql('rate(driftline_event_consumed_total[5m])', known)[0]).toContain('unknown metric driftline_event_consumed_total');
    expect(checkPromql('driftline_ready{model="x"} == 0', known)[0]).toContain('has no label model');
    expect(checkPromql('sum by (feature) (rate(driftline_events_consumed_total[5m]))', known)[0]).toContain('grouping label feature');
    expect(checkPromql('sum(rate(driftline_events_consumed_total[5m])', known)[0]).toContain('unbalanced');
    expect(checkPromql('histogram_quantile(0.9, sum by (le) (rate(driftline_window_evaluation_seconds_bucket[5m])))', known)).toEqual([]);
  });
});
