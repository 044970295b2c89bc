// JSON Lines, Arrow IPC and Avro container files: small files written in the test, read back.
import { createWriteStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Table, TimestampMillisecond, Int64, tableToIPC, vectorFromArray } from 'apache-arrow';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { FileInputError } from '../../../src/errors.js';
import { listColumns, readTable, type CategoricalColumnData, type NumericColumnData, type TimestampColumnData } from '../../../src/io/files/index.js';

const dir = mkdtempSync(join(tmpdir(), 'driftline-files-'));
const categories = (c: unknown) => {
  const col = c as CategoricalColumnData;
  return [...col.codes].map((k) => (k < 0 ? null : col.dictionary[k]));
};
const numbers = (c: unknown) => [...(c as NumericColumnData | TimestampColumnData).values];
async function failure(p: Promise<unknown>): Promise<FileInputError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(FileInputError);
  return err as FileInputError;
}

const T0 = Date.UTC(2021, 5, 1);

describe('JSON Lines', () => {
  const file = join(dir, 'rows.jsonl');
  writeFileSync(file, [
    JSON.stringify({ x: 1.5, c: 'a', s: '7', t: '2021-06-01 00:00:00', b: true }),
    '',
    JSON.stringify({ x: null, c: 'b', s: '8', t: T0 + 1000, nested: { k: 1 } }),
    JSON.stringify({ c: 'a', s: 'nine', t: '2021-06-01T00:00:02Z', b: false }),
  ].join('\n'));

  it('reads numbers, strings, missing keys and nulls', async () => {
    expect((await listColumns(file)).sort()).toEqual(['b', 'c', 'nested', 's', 't', 'x']);
    const t = await readTable(file, { columns: ['x', 'c', 's', 't', 'b', 'nested'], kinds: { t: 'timestamp' } });
    expect(t.rows).toBe(3);
    expect(numbers(t.columns.get('x'))).toEqual([1.5, NaN, NaN]);
    expect(t.columns.get('x')!.missing).toBe(2);
    expect(categories(t.columns.get('c'))).toEqual(['a', 'b', 'a']);
    // Strings stay categories in JSON, even when they look like numbers.
    expect(t.columns.get('s')!.kind).toBe('categorical');
    expect(categories(t.columns.get('b'))).toEqual(['true', null, 'false']);
    expect(categories(t.columns.get('nested'))).toEqual([null, '{"k":1}', null]);
    expect(numbers(t.columns.get('t'))).toEqual([T0, T0 + 1000, T0 + 2000]);
  });

  it('errors: bad JSON and non-objects with their line; forced numeric; missing column', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"a":1}\n{"a":\n');
    expect((await failure(readTable(bad, { columns: ['a'] }))).message).toMatch(new RegExp(`^${bad}, line 2: not valid JSON`));
    const arr = join(dir, 'arr.jsonl');
    writeFileSync(arr, '{"a":1}\n[1,2]\n');
    expect((await failure(readTable(arr, { columns: ['a'] }))).message).toBe(`${arr}, line 2: expected a JSON object on every line, got an array`);
    const err = await failure(readTable(file, { columns: ['s'], kinds: { s: 'numeric' } }));
    expect(err.message).toBe(`${file}, line 4, column "s": "nine" is not a number, but the column is numeric`);
    expect((await failure(readTable(file, { columns: ['zz'] }))).message).toMatch(/no column "zz"; the file has: x, c, s, t, b, nested/);
  });
});

describe('Arrow IPC', () => {
  const table = new Table({
    x: vectorFromArray([1.5, null, 3]),
    c: vectorFromArray(['a', null, 'b']),
    n: vectorFromArray([1n, 2n, 3n], new Int64()),
    t: vectorFromArray([new Date(T0), new Date(T0 + 1000), new Date(T0 + 2000)], new TimestampMillisecond()),
  });

  for (const format of ['file', 'stream'] as const) {
    it(`round-trips the ${format} format`, async () => {
      const file = join(dir, `t.${format === 'file' ? 'arrow' : 'arrows'}`);
      writeFileSync(file, tableToIPC(table, format));
      expect(await listColumns(file)).toEqual(['x', 'c', 'n', 't']);
      const t = await readTable(file, { columns: ['x', 'c', 'n', 't'], kinds: { t: 'timestamp' } });
      expect(t.rows).toBe(3);
      expect(numbers(t.columns.get('x'))).toEqual([1.5, NaN, 3]);
      expect(categories(t.columns.get('c'))).toEqual(['a', null, 'b']);
      expect(t.columns.get('n')!.kind).toBe('numeric');
      expect(numbers(t.columns.get('n'))).toEqual([1, 2, 3]);
      expect(numbers(t.columns.get('t'))).toEqual([T0, T0 + 1000, T0 + 2000]);
    });
  }

  it('errors: a record that is not a number in a forced numeric column; a file that is not Arrow', async () => {
    const file = join(dir, 'e.arrow');
    writeFileSync(file, tableToIPC(table, 'file'));
    expect((await failure(readTable(file, { columns: ['c'], kinds: { c: 'numeric' } }))).message).toBe(`${file}, column "c": record 1: "a" is not a number, but the column is numeric`);
    const junk = join(dir, 'junk.arrow');
    writeFileSync(junk, 'definitely not arrow');
    expect((await failure(readTable(junk, { columns: ['c'] }))).message).toBe(`${junk}: not an Arrow IPC file (it starts neither with ARROW1 nor with an Arrow stream message)`);
  });
});

describe('Avro object container files', () => {
  // The raw schema (not an avsc Type) so that the file header keeps its logicalType.
  const schema: avro.Schema = {
    type: 'record',
    name: 'Row',
    fields: [
      { name: 'x', type: ['null', 'double'] },
      { name: 'c', type: 'string' },
      { name: 'k', type: { type: 'enum', name: 'K', symbols: ['A', 'B'] } },
      { name: 't', type: { type: 'long', logicalType: 'timestamp-micros' } },
    ],
  };
  const file = join(dir, 'rows.avro');

  it('round-trips records, with nullable unions and timestamp-micros', async () => {
    await new Promise<void>((resolve, reject) => {
      const enc = new avro.streams.BlockEncoder(schema);
      enc.pipe(createWriteStream(file)).on('close', resolve).on('error', reject);
      enc.write({ x: 1.5, c: 'a', k: 'A', t: T0 * 1000 });
      enc.write({ x: null, c: 'b', k: 'B', t: (T0 + 1000) * 1000 });
      enc.end();
    });
    expect(await listColumns(file)).toEqual(['x', 'c', 'k', 't']);
    const t = await readTable(file, { columns: ['x', 'c', 'k', 't'], kinds: { t: 'timestamp' } });
    expect(t.rows).toBe(2);
    expect(numbers(t.columns.get('x'))).toEqual([1.5, NaN]);
    expect(categories(t.columns.get('c'))).toEqual(['a', 'b']);
    expect(categories(t.columns.get('k'))).toEqual(['A', 'B']);
    expect(numbers(t.columns.get('t'))).toEqual([T0, T0 + 1000]);
  });

  it('errors: missing column lists the schema fields; a file that is not Avro', async () => {
    expect((await failure(readTable(file, { columns: ['zz'] }))).message).toBe(`${file}, column "zz": no column "zz"; the file has: x, c, k, t`);
    const junk = join(dir, 'junk.avro');
    writeFileSync(junk, 'hello there');
    expect((await failure(readTable(junk, { columns: ['x'] }))).message).toMatch(/junk\.avro: not a readable Avro object container file/);
  });
});
