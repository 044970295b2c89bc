/**
 * SchemaRegistryClient against a stand-in registry: a small in-test HTTP server that implements
 * GET /schemas/ids/{id} and POST /subjects/{subject}/versions the way Confluent's registry answers.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readSchema } from '../../../src/codec/schemas.js';
import { StandInRegistry } from './stand-in.js';
import { REGISTRY_CONTENT_TYPE, SchemaNotFoundError, SchemaRegistryClient, SchemaRegistryError, resolveSchemaIds, unknownSchemaIds } from '../../../src/io/registry.js';
import { parseConfig } from '../../../src/config.js';

const inference = readSchema('InferenceEvent');

describe('schema registry client (against an in-test stand-in registry)', () => {
  const reg = new StandInRegistry();
  beforeAll(() => reg.start());
  afterAll(() => reg.stop());
  afterEach(() => {
    reg.seen = [];
    reg.fail = 0;
    reg.override = null;
  });

  it('registers under a subject with the registry content type, and fetches the schema back by id', async () => {
    const client = new SchemaRegistryClient({ url: reg.url, timeoutMs: 2000 });
    const id = await client.register('driftline.inference-value', inference);
    expect(reg.seen[0]).toMatchObject({ method: 'POST', url: '/subjects/driftline.inference-value/versions' });
    expect(reg.seen[0].headers['content-type']).toBe(REGISTRY_CONTENT_TYPE);
    expect(JSON.parse(reg.seen[0].body)).toEqual({ schema: JSON.stringify(inference) });
    expect(await client.register('driftline.inference-value', inference)).toBe(id);

    const fresh = new SchemaRegistryClient({ url: `${reg.url}/`, timeoutMs: 2000 });
    expect(await fresh.getSchemaById(id)).toEqual(inference);
  });

  it('caches schemas by id: one request however often and however concurrently asked', async () => {
    reg.schemas.set(7, JSON.stringify(inference));
    const client = new SchemaRegistryClient({ url: reg.url, timeoutMs: 2000 });
    const all = await Promise.all([client.getSchemaById(7), client.getSchemaById(7), client.getSchemaById(7)]);
    await client.getSchemaById(7);
    expect(all[0]).toEqual(inference);
    expect(client.has(7)).toBe(true);
    expect(reg.seen.filter((s) => s.url === '/schemas/ids/7')).toHaveLength(1);
  });

  it('sends basic auth from the environment variables named in the config, and never shows the secret', async () => {
    reg.schemas.set(8, JSON.stringify(inference));
    const env = { REG_USER: 'drift', REG_PASS: 's3cr3t-pa55' };
    const client = new SchemaRegistryClient({ url: reg.url, usernameEnv: 'REG_USER', passwordEnv: 'REG_PASS', timeoutMs: 2000 }, { env });
    await client.getSchemaById(8);
    expect(reg.seen[0].headers.authorization).toBe(`Basic ${Buffer.from('drift:s3cr3t-pa55').toString('base64')}`);

    reg.override = { status: 401, body: JSON.stringify({ error_code: 40101, message: 'Unauthorized' }) };
    const err = await client.getSchemaById(9).catch((e: Error) => e);
    expect(err).toBeInstanceOf(SchemaRegistryError);
    expect((err as Error).message).toContain('401');
    expect((err as Error).message).toContain('usernameEnv');
    expect((err as Error).message).not.toContain('s3cr3t');
  });

  it('no auth header without credentials; credentials in the URL are used but kept out of messages', async () => {
    const plain = new SchemaRegistryClient({ url: reg.url, timeoutMs: 2000 });
    await plain.getSchemaById(12345).catch(() => undefined);
    expect(reg.seen[0].headers.authorization).toBeUndefined();

    const withUrlCreds = new SchemaRegistryClient({ url: reg.url.replace('http://', 'http://bob:hunter2@'), timeoutMs: 2000 });
    expect(withUrlCreds.url).toBe(reg.url);
    const err = await withUrlCreds.getSchemaById(12346).catch((e: Error) => e);
    expect(reg.seen[1].headers.authorization).toBe(`Basic ${Buffer.from('bob:hunter2').toString('base64')}`);
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('a missing credential variable is a clear error naming the variable', () => {
    expect(() => new SchemaRegistryClient({ url: reg.url, usernameEnv: 'U', passwordEnv: 'P', timeoutMs: 1 }, { env: { P: 'x' } })).toThrow(/environment variable U is not set/);
  });

  it('404 "schema not found" is SchemaNotFoundError, remembered for a while', async () => {
    const client = new SchemaRegistryClient({ url: reg.url, timeoutMs: 2000 }, { notFoundTtlMs: 60_000 });
    const err = await client.getSchemaById(999).catch((e: Error) => e);
    expect(err).toBeInstanceOf(SchemaNotFoundError);
    expect((err as Error).message).toBe(`schema registry has no schema with id 999 (404 from GET ${reg.url}/schemas/ids/999)`);
    await expect(client.getSchemaById(999)).rejects.toBeInstanceOf(SchemaNotFoundError);
    expect(reg.seen).toHaveLength(1);

    const shortMemory = new SchemaRegistryClient({ url: reg.url, timeoutMs: 2000 }, { notFoundTtlMs: 0 });
    await shortMemory.getSchemaById(999).catch(() => undefined);
    await shortMemory.getSchemaById(999).catch(() => undefined);
    expect(reg.seen).toHaveLength(3);
  });

  it('a 404 that is not the registry\'s (wrong base path) is an error, not an unknown id', async () => {
    const client = new SchemaRegistryClient({ url: `${reg.url}/wrong/base`, timeoutMs: 2000 });
    const err = await client.getSchemaById(1).catch((e: Error) => e);
    expect(err).toBeInstanceOf(SchemaRegistryError);
    expect(err).not.toBeInstanceOf(SchemaNotFoundError);
    expect((err as Error).message).toContain(`${reg.url}/wrong/base/schemas/ids/1`);
    expect((err as Error).message).toContain('is schemaRegistry.url');
  });

  it('errors name the URL, the status and the registry\'s message', async () => {
    const client = new SchemaRegistryClient({ url: reg.url, timeoutMs: 2000 });
    reg.fail = 1;
    const err = (await client.getSchemaById(5).catch((e: Error) => e)) as SchemaRegistryError;
    expect(err.message).toBe(`schema registry GET ${reg.url}/schemas/ids/5 answered 503 Service Unavailable: stand-in registry is unavailable (error_code 50301)`);
    expect(err.status).toBe(503);
    expect(err.retriable).toBe(true);

    reg.override = { status: 409, body: JSON.stringify({ error_code: 409, message: 'Schema being registered is incompatible with an earlier schema' }) };
    const conflict = (await client.register('s-value', inference).catch((e: Error) => e)) as SchemaRegistryError;
    expect(conflict.message).toContain(`POST ${reg.url}/subjects/s-value/versions answered 409`);
    expect(conflict.message).toContain('incompatible');
    expect(conflict.retriable).toBe(false);

    reg.override = { status: 200, body: '<html>proxy</html>' };
    await expect(client.getSchemaById(6)).rejects.toThrow(/answered 200 with a body that is not JSON/);
  });

  it('an unreachable registry: error names the URL; a timeout says how long it waited', async () => {
    const down = new SchemaRegistryClient({ url: 'http://127.0.0.1:1', timeoutMs: 2000 });
    const err = (await down.getSchemaById(3).catch((e: Error) => e)) as SchemaRegistryError;
    expect(err.message).toMatch(/^schema registry request GET http:\/\/127\.0\.0\.1:1\/schemas\/ids\/3 failed: /);
    expect(err.status).toBeUndefined();
    expect(err.retriable).toBe(true);

    const silent = createServer(() => { /* never answers */ });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const slow = new SchemaRegistryClient({ url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, timeoutMs: 150 });
      await expect(slow.getSchemaById(3)).rejects.toThrow(/no answer within 150 ms/);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('resolveSchemaIds retries failures with backoff, adds what it finds and reports 404s', async () => {
    reg.schemas.set(20, JSON.stringify(inference));
    reg.fail = 2;
    const client = new SchemaRegistryClient({ url: reg.url, timeoutMs: 2000 });
    const added: number[] = [];
    const retries: number[] = [];
    const missing = await resolveSchemaIds(client, [20, 404404], { add: (id) => added.push(id), onRetry: (_id, _a, delay) => retries.push(delay), initialDelayMs: 5 });
    expect(added).toEqual([20]);
    expect(missing).toEqual([404404]);
    expect(retries.length).toBe(2);
  });

  it('resolveSchemaIds gives up when stopping, with the error', async () => {
    const client = new SchemaRegistryClient({ url: 'http://127.0.0.1:1', timeoutMs: 500 });
    let n = 0;
    await expect(resolveSchemaIds(client, [1], { add: () => undefined, onRetry: () => n++, stopping: () => n >= 2, initialDelayMs: 1 })).rejects.toBeInstanceOf(SchemaRegistryError);
    expect(n).toBe(2);
  });
});

describe('framed schema ids in a batch', () => {
  it('collects distinct unknown ids of framed bodies only', () => {
    const framed = (id: number) => {
      const b = Buffer.alloc(8);
      b.writeUInt32BE(id, 1);
      return b;
    };
    const values = [framed(1), framed(2), framed(2), framed(3), Buffer.from([2, 0x61]), Buffer.from([0, 0, 0]), null];
    expect(unknownSchemaIds(values, (id) => id === 3)).toEqual([1, 2]);
  });
});

describe('schemaRegistry config', () => {
  const models = [{ id: 'm', window: { size: '1h' }, features: [{ name: 'x', type: 'numeric' }] }];
  it('is optional, with a default timeout', () => {
    expect(parseConfig({ models }).schemaRegistry).toBeUndefined();
    expect(parseConfig({ models, schemaRegistry: { url: 'http://127.0.0.1:8081' } }).schemaRegistry).toEqual({ url: 'http://127.0.0.1:8081', timeoutMs: 10_000 });
  });
  it('rejects unknown keys, non-http URLs and half of the credentials', () => {
    expect(() => parseConfig({ models, schemaRegistry: { url: 'http://r', password: 'x' } })).toThrow(/schemaRegistry.password: unknown key/);
    expect(() => parseConfig({ models, schemaRegistry: { url: 'ftp://r' } })).toThrow(/schemaRegistry.url/);
    expect(() => parseConfig({ models, schemaRegistry: { url: 'http://r', usernameEnv: 'U' } })).toThrow(/set both usernameEnv and passwordEnv/);
  });
});
