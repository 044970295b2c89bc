/**
 * deploy/k8s/, checked by parsing (no cluster here): kinds and apiVersions, the Deployment's
 * security context, probes and ports against the embedded config's metrics port, selectors and
 * labels, the ConfigMap's config against the real schema, the Secret wiring of the SASL password,
 * and the PrometheusRule against deploy/prometheus/alerts.yml and the real metric names.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseConfig } from '../../../src/config.js';
import { checkPromql, knownMetrics } from './metrics.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const DIR = join(ROOT, 'deploy/k8s');

type Doc = any;
const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const docs: { file: string; doc: Doc }[] = files.flatMap((file) => parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => {
  if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
  return { file, doc: d.toJS() as Doc };
})).filter((d) => d.doc);
const byKind = (kind: string): Doc[] => docs.filter((d) => d.doc.kind === kind).map((d) => d.doc);
const one = (kind: string): Doc => {
  const found = byKind(kind);
  expect(found, kind).toHaveLength(1);
  return found[0];
};

const API_VERSIONS: Record<string, string> = {
  ConfigMap: 'v1',
  Secret: 'v1',
  Service: 'v1',
  Deployment: 'apps/v1',
  ServiceMonitor: 'monitoring.coreos.com/v1',
  PrometheusRule: 'monitoring.coreos.com/v1',
};

describe('deploy/k8s', () => {
  const deployment = one('Deployment');
  const pod = deployment.spec.template.spec;
  const container = pod.containers.find((c: Doc) => c.name === 'driftline');
  const configMap = one('ConfigMap');
  const envOf = (name: string) => container.env.find((e: Doc) => e.name === name);
  /** The config as driftline sees it in the pod: the ConfigMap file plus the container's plain env values. */
  const podEnv = Object.fromEntries(container.env.filter((e: Doc) => 'value' in e).map((e: Doc) => [e.name, String(e.value)]));
  const config = parseConfig(parse(configMap.data['driftline.yaml']), podEnv);

  it('has the expected kinds, each with its apiVersion and a name', () => {
    expect(docs.map((d) => d.doc.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'PrometheusRule', 'Secret', 'Service', 'ServiceMonitor']);
    for (const { file, doc } of docs) {
      expect(doc.apiVersion, `${file} ${doc.kind}`).toBe(API_VERSIONS[doc.kind]);
      expect(doc.metadata?.name, file).toBeTruthy();
    }
  });

  it('kustomization.yaml lists every manifest but the example Secret', () => {
    const k = parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
    expect([...k.resources].sort()).toEqual(files.filter((f) => f !== 'secret.example.yaml').sort());
  });

  it('the ConfigMap embeds a config that passes the real schema (as the pod sees it, env overrides included)', () => {
    expect(() => parseConfig(parse(configMap.data['driftline.yaml']), {})).not.toThrow();
    expect(config.metrics.host).toBe('0.0.0.0');
    expect(config.kafka.sasl?.passwordEnv).toBe('KAFKA_PASSWORD');
    expect(config.models.length).toBeGreaterThan(0);
  });

  it('mounts the ConfigMap at /etc/driftline and runs with the file in it', () => {
    const vol = pod.volumes.find((v: Doc) => v.configMap?.name === configMap.metadata.name);
    expect(vol).toBeDefined();
    const mount = container.volumeMounts.find((m: Doc) => m.name === vol.name);
    expect(mount.mountPath).toBe('/etc/driftline');
    expect(mount.readOnly).toBe(true);
    expect(container.args).toEqual(['run', '-c', `/etc/driftline/${Object.keys(configMap.data)[0]}`]);
  });

  it('runs as non-root with a locked-down container, a writable /tmp, and resources', () => {
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(container.securityContext.capabilities.drop).toEqual(['ALL']);
    const tmp = container.volumeMounts.find((m: Doc) => m.mountPath === '/tmp');
    expect(pod.volumes.find((v: Doc) => v.name === tmp.name).emptyDir).toBeDefined();
    expect(container.resources.requests.cpu).toBeTruthy();
    expect(container.resources.requests.memory).toBeTruthy();
    expect(container.resources.limits.memory).toBeTruthy();
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(15); // driftline's own shutdown limit
  });

  it('probes /healthz (liveness) and /readyz (readiness) on the config\'s metrics port', () => {
    const port = container.ports.find((p: Doc) => p.containerPort === config.metrics.port);
    expect(port, `a container port ${config.metrics.port}`).toBeDefined();
    const resolvePort = (p: string | number) => (typeof p === 'number' ? p : container.ports.find((x: Doc) => x.name === p)?.containerPort);
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(resolvePort(container.livenessProbe.httpGet.port)).toBe(config.metrics.port);
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(resolvePort(container.readinessProbe.httpGet.port)).toBe(config.metrics.port);
    if (container.startupProbe) expect(resolvePort(container.startupProbe.httpGet.port)).toBe(config.metrics.port);
  });

  it('sets the env overrides and takes the SASL password from the Secret', () => {
    expect(envOf('DRIFTLINE_METRICS_HOST').value).toBe('0.0.0.0');
    expect(Number(envOf('DRIFTLINE_METRICS_PORT').value)).toBe(config.metrics.port);
    expect(envOf('DRIFTLINE_KAFKA_BROKERS').value).toMatch(/^[^\s:]+:\d+(,[^\s:]+:\d+)*$/);
    const pw = envOf(config.kafka.sasl!.passwordEnv!);
    const secret = one('Secret');
    expect(pw.valueFrom.secretKeyRef.name).toBe(secret.metadata.name);
    expect(Object.keys(secret.stringData ?? secret.data)).toContain(pw.valueFrom.secretKeyRef.key);
    expect(pw.value).toBeUndefined();
  });

  it('selector labels match: Deployment -> pods, Service -> pods, ServiceMonitor -> Service', () => {
    const podLabels = deployment.spec.template.metadata.labels;
    const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
    expect(matches(deployment.spec.selector.matchLabels, podLabels)).toBe(true);
    const service = one('Service');
    expect(matches(service.spec.selector, podLabels)).toBe(true);
    const monitor = one('ServiceMonitor');
    expect(matches(monitor.spec.selector.matchLabels, service.metadata.labels)).toBe(true);
    // The ServiceMonitor scrapes the Service port that reaches the metrics port.
    const svcPort = service.spec.ports.find((p: Doc) => p.name === monitor.spec.endpoints[0].port);
    expect(svcPort).toBeDefined();
    const target = typeof svcPort.targetPort === 'number' ? svcPort.targetPort : container.ports.find((p: Doc) => p.name === svcPort.targetPort).containerPort;
    expect(target).toBe(config.metrics.port);
    expect(monitor.spec.endpoints[0].path).toBe('/metrics');
    // job="driftline" in the rules: the Prometheus Operator names the job after the Service.
    expect(service.metadata.name).toBe('driftline');
  });

  it('the PrometheusRule has the same groups as deploy/prometheus/alerts.yml, and its expressions use existing metrics', () => {
    const rule = one('PrometheusRule');
    const compose = parse(readFileSync(join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8')) as { groups: unknown };
    expect(rule.spec.groups).toEqual(compose.groups);
    const known = knownMetrics();
    const exprs: string[] = rule.spec.groups.flatMap((g: Doc) => g.rules.map((r: Doc) => r.expr));
    expect(exprs.length).toBeGreaterThanOrEqual(5);
    expect(exprs.flatMap((e) => checkPromql(e, known))).toEqual([]);
    const lag = rule.spec.groups.flatMap((g: Doc) => g.rules).find((r: Doc) => r.alert === 'DriftlineConsumerLag');
    expect(lag.expr).toContain(`consumergroup="${config.kafka.groupId}"`);
  });
});
