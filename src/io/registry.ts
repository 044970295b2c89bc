/**
 * A client of the Confluent Schema Registry REST API (also served by Karapace, Apicurio's ccompat
 * API and Redpanda), with Node's fetch:
 *
 *   GET  /schemas/ids/{id}             -> { schema: "<schema JSON as a string>", schemaType? }
 *   POST /subjects/{subject}/versions  { schema, schemaType? } -> { id }
 *
 * Schemas by id are cached for the life of the client: a registry never changes the schema behind
 * an id. Basic auth credentials are read from the environment variables named in the config, and
 * never appear in logs or error messages. Errors name the URL (without credentials) and the status.
 */
import type avro from 'avsc';
import { DriftlineError } from '../errors.js';

export const REGISTRY_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

export interface SchemaRegistryConfig {
  url: string;
  /** Environment variable holding the basic-auth user name. */
  usernameEnv?: string;
  /** Environment variable holding the basic-auth password. */
  passwordEnv?: string;
  /** Per-request timeout. */
  timeoutMs: number;
}

/** A registry request that failed; `status` is the HTTP status, or undefined when none came back. */
export class SchemaRegistryError extends DriftlineError {
  constructor(message: string, readonly url: string, readonly status?: number, options: { cause?: unknown; retriable?: boolean } = {}) {
    super('SCHEMA_REGISTRY', message, options);
  }
}

/** The registry has no schema with this id (HTTP 404): messages framed with it are unknown_schema_id. */
export class SchemaNotFoundError extends SchemaRegistryError {
  constructor(readonly id: number, url: string) {
    super(`schema registry has no schema with id ${id} (404 from GET ${url})`, url, 404);
  }
}

type Fetch = typeof fetch;

export interface RegistryClientOptions {
  /** Environment to read credentials from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** fetch implementation (default the global one). */
  fetch?: Fetch;
  /** How long a 404 for an id is remembered before the registry is asked again (default 30 s). */
  notFoundTtlMs?: number;
}

export class SchemaRegistryClient {
  private readonly base: string;
  private readonly authHeader: string | undefined;
  private readonly fetchFn: Fetch;
  /** Schemas by id, and fetches in flight (concurrent callers share one request). */
  private readonly byId = new Map<number, avro.Schema>();
  private readonly inFlight = new Map<number, Promise<avro.Schema>>();
  /** Ids the registry did not have, until when that answer is reused (a bad id in every batch asks once per period). */
  private readonly notFoundUntil = new Map<number, number>();
  /** How long a 404 is remembered. */
  readonly notFoundTtlMs: number;

  constructor(private readonly config: SchemaRegistryConfig, opts: RegistryClientOptions = {}) {
    const env = opts.env ?? process.env;
    this.fetchFn = opts.fetch ?? fetch;
    this.notFoundTtlMs = opts.notFoundTtlMs ?? 30_000;
    let url: URL;
    try {
      url = new URL(config.url);
    } catch {
      throw new SchemaRegistryError(`schemaRegistry.url "${config.url}" is not a URL`, config.url);
    }
    // Credentials inside the URL would end up in every error message: take them out.
    let user = decodeURIComponent(url.username);
    let password = decodeURIComponent(url.password);
    url.username = '';
    url.password = '';
    this.base = url.toString().replace(/\/+$/, '');
    if (config.usernameEnv || config.passwordEnv) {
      if (!config.usernameEnv || !config.passwordEnv) throw new SchemaRegistryError('schemaRegistry: set both usernameEnv and passwordEnv, or neither', this.base);
      const u = env[config.usernameEnv];
      const p = env[config.passwordEnv];
      if (u === undefined || u === '') throw new SchemaRegistryError(`schemaRegistry.usernameEnv: environment variable ${config.usernameEnv} is not set`, this.base);
      if (p === undefined) throw new SchemaRegistryError(`schemaRegistry.passwordEnv: environment variable ${config.passwordEnv} is not set`, this.base);
      user = u;
      password = p;
    }
    if (user) this.authHeader = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }

  /** The registry's base URL, without credentials. */
  get url(): string {
    return this.base;
  }

  /** Whether the schema of this id is already cached. */
  has(id: number): boolean {
    return this.byId.has(id);
  }

  /** The writer schema of a schema id (cached). Throws SchemaNotFoundError on 404, SchemaRegistryError otherwise. */
  async getSchemaById(id: number): Promise<avro.Schema> {
    const cached = this.byId.get(id);
    if (cached) return cached;
    const until = this.notFoundUntil.get(id);
    if (until !== undefined) {
      if (Date.now() < until) throw new SchemaNotFoundError(id, `${this.base}/schemas/ids/${id}`);
      this.notFoundUntil.delete(id);
    }
    let pending = this.inFlight.get(id);
    if (!pending) {
      pending = this.fetchSchema(id).finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, pending);
    }
    return pending;
  }

  private async fetchSchema(id: number): Promise<avro.Schema> {
    const url = `${this.base}/schemas/ids/${id}`;
    const res = await this.request('GET', url);
    if (res.status === 404) {
      // The registry's own "schema not found" (error_code 40403). A 404 without it comes from
      // something else at that URL (a wrong path, a proxy): an error, not an unknown id.
      const text = await res.text().catch(() => '');
      let code: unknown;
      try {
        code = (JSON.parse(text) as { error_code?: unknown }).error_code;
      } catch {
        /* not JSON */
      }
      if (code === 40403) {
        this.notFoundUntil.set(id, Date.now() + this.notFoundTtlMs);
        throw new SchemaNotFoundError(id, url);
      }
      throw new SchemaRegistryError(`schema registry GET ${url} answered 404 without a registry error (error_code 40403): is schemaRegistry.url the registry's base URL?${text ? ` Body: ${text.slice(0, 200)}` : ''}`, url, 404);
    }
    const body = await this.json(res, 'GET', url);
    const b = body as { schema?: unknown; schemaType?: unknown };
    if (b.schemaType !== undefined && b.schemaType !== 'AVRO') throw new SchemaRegistryError(`GET ${url}: schema id ${id} is of type ${String(b.schemaType)}, not AVRO`, url, res.status);
    if (typeof b.schema !== 'string') throw new SchemaRegistryError(`GET ${url}: answer has no "schema" string`, url, res.status);
    let schema: avro.Schema;
    try {
      schema = JSON.parse(b.schema) as avro.Schema;
    } catch (err) {
      throw new SchemaRegistryError(`GET ${url}: schema id ${id} is not valid JSON: ${(err as Error).message}`, url, res.status, { cause: err });
    }
    this.byId.set(id, schema);
    return schema;
  }

  /** Registers a schema under a subject (or finds it there) and returns its id. */
  async register(subject: string, schema: avro.Schema | string, schemaType = 'AVRO'): Promise<number> {
    const url = `${this.base}/subjects/${encodeURIComponent(subject)}/versions`;
    const text = typeof schema === 'string' ? schema : JSON.stringify(schema);
    const payload: Record<string, string> = { schema: text };
    if (schemaType !== 'AVRO') payload.schemaType = schemaType;
    const res = await this.request('POST', url, JSON.stringify(payload));
    const body = (await this.json(res, 'POST', url)) as { id?: unknown };
    if (typeof body.id !== 'number' || !Number.isInteger(body.id)) throw new SchemaRegistryError(`POST ${url}: answer has no integer "id"`, url, res.status);
    if (typeof schema !== 'string') this.byId.set(body.id, schema);
    return body.id;
  }

  private async request(method: string, url: string, body?: string): Promise<Response> {
    const headers: Record<string, string> = { accept: `${REGISTRY_CONTENT_TYPE}, application/json` };
    if (body !== undefined) headers['content-type'] = REGISTRY_CONTENT_TYPE;
    if (this.authHeader) headers.authorization = this.authHeader;
    try {
      return await this.fetchFn(url, { method, headers, body, signal: AbortSignal.timeout(this.config.timeoutMs) });
    } catch (err) {
      const e = err as Error;
      const why = e.name === 'TimeoutError' ? `no answer within ${this.config.timeoutMs} ms` : `${e.message}${(e.cause as Error | undefined)?.message ? ` (${(e.cause as Error).message})` : ''}`;
      throw new SchemaRegistryError(`schema registry request ${method} ${url} failed: ${why}`, url, undefined, { cause: err, retriable: true });
    }
  }

  /** The JSON body of a 2xx answer; any other status throws, with the registry's own message. */
  private async json(res: Response, method: string, url: string): Promise<unknown> {
    const text = await res.text().catch(() => '');
    if (!res.ok) {
      let detail = text.slice(0, 300);
      try {
        const j = JSON.parse(text) as { message?: unknown; error_code?: unknown };
        if (typeof j.message === 'string') detail = `${j.message}${j.error_code !== undefined ? ` (error_code ${String(j.error_code)})` : ''}`;
      } catch {
        /* not JSON: keep the text */
      }
      const hint = res.status === 401 || res.status === 403 ? ' (check schemaRegistry.usernameEnv/passwordEnv)' : '';
      throw new SchemaRegistryError(`schema registry ${method} ${url} answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${hint}${detail ? `: ${detail}` : ''}`, url, res.status, { retriable: res.status >= 500 || res.status === 429 });
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new SchemaRegistryError(`schema registry ${method} ${url} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`, url, res.status, { cause: err });
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Schema ids of Confluent-framed bodies (magic byte 0 and 4-byte id) that `known` does not know. */
export function unknownSchemaIds(values: Iterable<Buffer | null | undefined>, known: (id: number) => boolean): number[] {
  const out = new Set<number>();
  for (const v of values) {
    if (!v || v.length < 5 || v[0] !== 0) continue;
    const id = v.readUInt32BE(1);
    if (!known(id)) out.add(id);
  }
  return [...out];
}

export interface ResolveOptions {
  /** Called once per schema fetched. */
  add: (id: number, schema: avro.Schema) => void;
  /** Logged on each retry (never with credentials: errors carry the URL without them). */
  onRetry?: (id: number, attempt: number, delayMs: number, err: Error) => void;
  /** Stop retrying (e.g. while shutting down); the error is then thrown. */
  stopping?: () => boolean;
  /** First delay between attempts, doubled up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Attempts per id before giving up and throwing (default: until stopping()). */
  maxAttempts?: number;
}

/**
 * Fetches each id from the registry and hands it to `add`. An id the registry does not have (404)
 * is left out: messages framed with it go to the dead-letter topic as unknown_schema_id. Any
 * other failure (registry down, 5xx, timeout) is retried with backoff, since dropping those
 * messages would lose events that are fine; returns the ids it could not find.
 */
export async function resolveSchemaIds(client: SchemaRegistryClient, ids: readonly number[], opts: ResolveOptions): Promise<number[]> {
  const notFound: number[] = [];
  const initial = opts.initialDelayMs ?? 200;
  const max = opts.maxDelayMs ?? 10_000;
  await Promise.all(ids.map(async (id) => {
    for (let attempt = 1, delay = initial; ; attempt++, delay = Math.min(delay * 2, max)) {
      try {
        opts.add(id, await client.getSchemaById(id));
        return;
      } catch (err) {
        if (err instanceof SchemaNotFoundError) {
          notFound.push(id);
          return;
        }
        if (opts.stopping?.() || (opts.maxAttempts !== undefined && attempt >= opts.maxAttempts)) throw err;
        opts.onRetry?.(id, attempt, delay, err as Error);
        await sleep(delay);
      }
    }
  }));
  return notFound;
}
