/**
 * The HTTP endpoint Prometheus and orchestrators talk to: /metrics, /healthz (the process is
 * alive), /readyz (connected, reference bootstrapped, consuming). Binds to 127.0.0.1 unless the
 * config says otherwise.
 */
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface HttpEndpoint {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** What /metrics serves: a prom-client Registry, or the supervisor's merge of its workers' registries. */
export type MetricsSource = Pick<Registry, 'metrics' | 'contentType'>;

export async function startHttp(opts: { host: string; port: number; registry: MetricsSource; ready: () => boolean; log: Logger }): Promise<HttpEndpoint> {
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (url === '/metrics') {
      opts.registry.metrics().then(
        (body) => {
          res.writeHead(200, { 'content-type': opts.registry.contentType });
          res.end(body);
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`metrics unavailable: ${err.message}\n`);
        },
      );
      return;
    }
    if (url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    if (url === '/readyz') {
      const ready = opts.ready();
      res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(ready ? 'ready\n' : 'not ready\n');
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /metrics, /healthz or /readyz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  opts.log.info({ host: opts.host, port }, `metrics on http://${opts.host}:${port}/metrics (health: /healthz, readiness: /readyz)`);
  return {
    server,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
