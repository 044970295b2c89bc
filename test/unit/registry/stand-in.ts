/**
 * A STAND-IN for a Confluent-compatible schema registry, for tests: a small HTTP server in the test
 * process that implements only GET /schemas/ids/{id} and POST /subjects/{subject}/versions, with
 * the status codes and error bodies (error_code 40403 for an unknown id) of Confluent's registry.
 * It is not a registry (no compatibility checks, no storage): tests that use it say so in their names.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { REGISTRY_CONTENT_TYPE } from '../../../src/io/registry.js';

export interface Seen { method: string; url: string; headers: IncomingMessage['headers']; body: string; status?: number }

/** Stand-in registry: answers from `schemas`; `fail` makes the next N requests answer 503. */
export class StandInRegistry {
  server!: Server;
  url = '';
  seen: Seen[] = [];
  schemas = new Map<number, string>();
  subjects = new Map<string, number>();
  fail = 0;
  nextId = 100;
  /** When set, GET answers this status and body instead. */
  override: { status: number; body: string } | null = null;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const seen: Seen = { method: req.method!, url: req.url!, headers: req.headers, body };
        this.seen.push(seen);
        const send = (status: number, obj: unknown) => {
          seen.status = status;
          res.writeHead(status, { 'content-type': REGISTRY_CONTENT_TYPE });
          res.end(typeof obj === 'string' ? obj : JSON.stringify(obj));
        };
        if (this.fail > 0) {
          this.fail--;
          return send(503, { error_code: 50301, message: 'stand-in registry is unavailable' });
        }
        if (this.override) return send(this.override.status, this.override.body);
        const get = /^\/schemas\/ids\/(\d+)$/.exec(req.url!);
        if (req.method === 'GET' && get) {
          const s = this.schemas.get(Number(get[1]));
          return s ? send(200, { schema: s }) : send(404, { error_code: 40403, message: 'Schema not found' });
        }
        const post = /^\/subjects\/([^/]+)\/versions$/.exec(req.url!);
        if (req.method === 'POST' && post) {
          const { schema } = JSON.parse(body) as { schema: string };
          const key = `${decodeURIComponent(post[1])}\n${schema}`;
          let id = this.subjects.get(key);
          if (id === undefined) {
            id = this.nextId++;
            this.subjects.set(key, id);
            this.schemas.set(id, schema);
          }
          return send(200, { id });
        }
        send(404, { error_code: 404, message: 'HTTP 404 Not Found' });
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}
