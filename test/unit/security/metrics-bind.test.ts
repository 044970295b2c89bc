/**
 * The metrics endpoint binds to 127.0.0.1 unless the config says otherwise: the default of
 * `metrics.host`, and what src/io/http.ts `startHttp` really listens on with it.
 */
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config.js';
import { startHttp } from '../../../src/io/http.js';

const minimal = { models: [{ id: 'm', window: { size: '1h' }, features: [{ name: 'x', type: 'numeric' }] }] };

describe('metrics endpoint bind address', () => {
  it('metrics.host defaults to 127.0.0.1', () => {
    expect(parseConfig(minimal).metrics.host).toBe('127.0.0.1');
  });

  it('startHttp with the default config host listens on 127.0.0.1 only', async () => {
    const config = parseConfig(minimal);
    const http = await startHttp({ host: config.metrics.host, port: 0, registry: new Registry(), ready: () => true, log: pino({ level: 'silent' }) });
    try {
      const address = http.server.address() as AddressInfo;
      expect(address.address).toBe('127.0.0.1');
      expect(address.family).toBe('IPv4');
      const res = await fetch(`http://127.0.0.1:${http.port}/healthz`);
      expect(res.status).toBe(200);
      await res.text();
    } finally {
      await http.close();
    }
  });

  it('binds elsewhere only when configured (metrics.host or DRIFTLINE_METRICS_HOST)', async () => {
    expect(parseConfig({ ...minimal, metrics: { host: '0.0.0.0' } }).metrics.host).toBe('0.0.0.0');
    expect(parseConfig(minimal, { DRIFTLINE_METRICS_HOST: '0.0.0.0' }).metrics.host).toBe('0.0.0.0');
    const http = await startHttp({ host: '0.0.0.0', port: 0, registry: new Registry(), ready: () => true, log: pino({ level: 'silent' }) });
    try {
      expect((http.server.address() as AddressInfo).address).toBe('0.0.0.0');
    } finally {
      await http.close();
    }
  });
});
