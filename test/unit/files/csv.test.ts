import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FileInputError } from '../../../src/errors.js';
import { CsvTokenizer } from '../../../src/io/files/csv.js';
import { listColumns, readTable, type CategoricalColumnData, type NumericColumnData, type TimestampColumnData } from '../../../src/io/files/index.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/files/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'driftline-csv-'));
let n = 0;
/** Writes `text` to a fresh CSV file in a temp dir and returns its path. */
function csv(text: string): string {
  const file = join(dir, `t${n++}.csv`);
  writeFileSync(file, text);
  return file;
}
const categories = (c: unknown) => {
  const col = c as CategoricalColumnData;
  return [...col.codes].map((k) => (k < 0 ? null : col.dictionary[k]));
};
const numbers = (c: unknown) => [...(c as NumericColumnData).values];

async function failure(p: Promise<unknown>): Promise<FileInputError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(FileInputError);
  return err as FileInputError;
}

describe('CSV tokenizer', () => {
  /** Tokenizes text fed in chunks of `size` characters; returns the records. */
  function tokenize(text: string, size: number): { fields: string[]; line: number }[] {
    const out: { fields: string[]; line: number }[] = [];
    let fields: string[] = [];
    const tok = new CsvTokenizer((_, t) => fields.push(t), (_, line) => {
      out.push({ fields, line });
      fields = [];
    });
    for (let i = 0; i < text.length; i += size) tok.push(text.slice(i, i + size));
    tok.end();
    return out;
  }
  const text = 'a,b,c\r\n"x, ""q""","multi\nline",3\n\n,,\nlast,"",z';
  const expected = [
    { fields: ['a', 'b', 'c'], line: 1 },
    { fields: ['x, "q"', 'multi\nline', '3'], line: 2 },
    { fields: ['', '', ''], line: 5 },
    { fields: ['last', '', 'z'], line: 6 },
  ];
  it('splits RFC 4180 records the same whatever the chunk boundaries', () => {
    for (const size of [1, 2, 3, 5, 7, 1000]) expect(tokenize(text, size)).toEqual(expected);
  });
  it('reports an unterminated quote with the line it starts on', () => {
    expect(() => tokenize('a\n"open\n', 4)).toThrow(/never closed.*line 2/);
  });
});

describe('CSV reader', () => {
  it('reads quotes, line breaks in quotes, CRLF and empty cells', async () => {
    const file = join(FIXTURES, 'quoted.csv');
    expect(await listColumns(file)).toEqual(['name', 'city', 'score', 'when']);
    const t = await readTable(file, { columns: ['name', 'city', 'score', 'when'], kinds: { when: 'timestamp' } });
    expect(t.rows).toBe(3);
    expect(categories(t.columns.get('name'))).toEqual(['Smith, Jane', 'O"Brien', 'plain']);
    expect(categories(t.columns.get('city'))).toEqual(['New\nYork', 'Boston', null]);
    expect(t.columns.get('score')!.kind).toBe('numeric');
    expect(numbers(t.columns.get('score'))).toEqual([1.5, NaN, 300]);
    expect(t.columns.get('score')!.missing).toBe(1);
    const when = t.columns.get('when') as TimestampColumnData;
    expect([...when.values]).toEqual([Date.UTC(2021, 5, 1), Date.UTC(2021, 5, 1, 12, 30), Date.UTC(2021, 5, 2)]);

    const crlf = await readTable(join(FIXTURES, 'crlf.csv'), { columns: ['a', 'b'] });
    expect(numbers(crlf.columns.get('a'))).toEqual([1, 2]);
    expect(categories(crlf.columns.get('b'))).toEqual(['x', 'y']);
  });

  it('reads only the requested columns, in the requested order', async () => {
    const t = await readTable(csv('a,b,c\n1,2,3\n'), { columns: ['c', 'a'] });
    expect([...t.columns.keys()]).toEqual(['c', 'a']);
  });

  it('infers numeric only when every non-empty cell is a finite number', async () => {
    const t = await readTable(csv('n,m,h,i\n1,1,0x10,1\n-2.5e3,Infinity,1,\n,3,2,.5\n'), { columns: ['n', 'm', 'h', 'i'] });
    expect(t.columns.get('n')!.kind).toBe('numeric');
    expect(numbers(t.columns.get('n'))).toEqual([1, -2500, NaN]);
    expect(t.columns.get('m')!.kind).toBe('categorical'); // "Infinity" is not finite
    expect(t.columns.get('h')!.kind).toBe('categorical'); // hex is not a decimal number
    expect(numbers(t.columns.get('i'))).toEqual([1, NaN, 0.5]);
  });

  it('forces kinds: numbers as categories, and numeric columns', async () => {
    const file = csv('zip,x\n02139,1\n10001,2\n');
    const t = await readTable(file, { columns: ['zip', 'x'], kinds: { zip: 'categorical', x: 'numeric' } });
    expect(categories(t.columns.get('zip'))).toEqual(['02139', '10001']);
    expect(numbers(t.columns.get('x'))).toEqual([1, 2]);
  });

  it('reads timestamps without a zone as UTC and honours explicit offsets', async () => {
    const t = await readTable(csv('t\n2021-06-01 00:00:00\n2021-06-01T02:00:00+02:00\n2021-06-01 00:00:00.250\n1622505600000\n'), { columns: ['t'], kinds: { t: 'timestamp' } });
    const base = Date.UTC(2021, 5, 1);
    expect([...(t.columns.get('t') as TimestampColumnData).values]).toEqual([base, base, base + 250, base]);
  });

  it('stores categories as codes into a dictionary', async () => {
    const t = await readTable(csv('c\nb\na\nb\n\nb\n'), { columns: ['c'] });
    const c = t.columns.get('c') as CategoricalColumnData;
    // The blank line is skipped, not a missing value.
    expect(t.rows).toBe(4);
    expect(c.dictionary).toEqual(['b', 'a']);
    expect([...c.codes]).toEqual([0, 1, 0, 0]);
  });

  describe('errors name the file, line and column', () => {
    it('missing column: lists the available ones', async () => {
      const file = csv('a,b\n1,2\n');
      const err = await failure(readTable(file, { columns: ['a', 'nope'] }));
      expect(err.message).toContain(file);
      expect(err.message).toContain('no column "nope"');
      expect(err.message).toContain('the file has: a, b');
      expect(err.column).toBe('nope');
    });
    it('ragged row: its line number', async () => {
      const file = csv('a,b\n1,2\n3\n4,5\n');
      const err = await failure(readTable(file, { columns: ['a'] }));
      expect(err.message).toBe(`${file}, line 3: the row has 1 field but the header has 2`);
      expect(err.line).toBe(3);
    });
    it('non-numeric cell in a forced numeric column: line, column and value', async () => {
      const file = csv('a,b\n1,2\n3,"multi\nline"\n5,oops\n');
      const err = await failure(readTable(file, { columns: ['a', 'b'], kinds: { b: 'numeric' } }));
      expect(err.message).toBe(`${file}, line 3, column "b": "multi\\nline" is not a number, but the column is numeric`);
      const err2 = await failure(readTable(csv('a,b\n1,2\n5,oops\n'), { columns: ['b'], kinds: { b: 'numeric' } }));
      expect(err2.message).toMatch(/line 3, column "b": "oops" is not a number/);
    });
    it('bad timestamp: line, column and value', async () => {
      const file = csv('t\n2021-06-01\n2021-02-30\n');
      const err = await failure(readTable(file, { columns: ['t'], kinds: { t: 'timestamp' } }));
      expect(err.message).toMatch(/line 3, column "t": "2021-02-30" is not a timestamp/);
    });
    it('unreadable file', async () => {
      const file = join(dir, 'does-not-exist.csv');
      const err = await failure(readTable(file, { columns: ['a'] }));
      expect(err.message).toContain(file);
      expect(err.message).toContain('cannot read the file');
      const err2 = await failure(readTable(dir + '/', { columns: ['a'] }));
      expect(err2.message).toMatch(/unknown file type|cannot read/);
    });
    it('empty file, and a header without rows', async () => {
      const empty = csv('');
      expect((await failure(readTable(empty, { columns: ['a'] }))).message).toBe(`${empty}: the file is empty`);
      const header = csv('a,b\n');
      expect((await failure(readTable(header, { columns: ['a'] }))).message).toBe(`${header}: the file has no data rows`);
    });
    it('unterminated quote', async () => {
      const file = csv('a\n1\n"open\n2\n');
      expect((await failure(readTable(file, { columns: ['a'] }))).message).toMatch(/line 3: a quoted field is never closed/);
    });
  });
});
