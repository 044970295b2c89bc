// The one-pass CSV reader (csv-read.ts) and the number scanner (values.ts) against the plain
// implementations they replace: readTwoPass over CsvSource, and trim + regex + Number().
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { chunking, CsvSource } from '../../../src/io/files/csv.js';
import { readCsvTable } from '../../../src/io/files/csv-read.js';
import type { ColumnKind, ReadOptions } from '../../../src/io/files/index.js';
import { readTwoPass } from '../../../src/io/files/two-pass.js';
import { parseNumberText, scanDecimal, scanDecimalBytes, scanEnd } from '../../../src/io/files/values.js';
import { outcome } from './outcome.js';

const dir = mkdtempSync(join(tmpdir(), 'driftline-csv-fast-'));
let n = 0;
function write(text: string): string {
  const file = join(dir, `f${n++}.csv`);
  writeFileSync(file, text);
  return file;
}
afterEach(() => {
  chunking.size = 1 << 20;
});

/** The reference: the grammar as a regex, on trimmed text. */
function referenceNumber(text: string): number {
  const t = text.trim();
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(t)) return NaN;
  const x = Number(t);
  return Number.isFinite(x) ? x : NaN;
}

describe('parseNumberText', () => {
  const same = (text: string): void => {
    expect(Object.is(parseNumberText(text), referenceNumber(text)), JSON.stringify(text)).toBe(true);
  };
  it('agrees with trim + regex + Number on chosen cases', () => {
    const cases = [
      '0', '-0', '+0', '-0.000', '00012', '1.', '.5', '-.5', '+.5e3', '1e5', '1E-5', '1e+5', '1e', '1e+', '1e-', 'e5', '.', '+', '-', '',
      ' ', ' 1.5 ', '\t2\n', '\u00a01\u00a0', '\ufeff3', '1\u20282', '1 2', '0x1f', 'Infinity', '-Infinity', 'NaN', '1_000', '1,5', '1.2.3',
      '1e400', '-1e400', '1e-400', '4.9e-324', '1.7976931348623157e308', '9007199254740993', '123456789012345678901234567890',
      '0.1', '0.2', '0.30000000000000004', '1.288185', '-1.092173', '2.389112', '999999999999999', '9999999999999999', '0.000000000000000001',
      '1234567.8901234', '1e22', '1e23', '1.5e-22', '1.5e-23', '12345e-30', '٣', '１', '1\r',
    ];
    for (const t of cases) same(t);
  });
  it('agrees with trim + regex + Number on random decimal-ish text', () => {
    const piece = fc.constantFrom('0', '1', '5', '9', '.', '-', '+', 'e', 'E', ' ', '\t', '\u00a0', 'x', '_');
    fc.assert(fc.property(fc.array(piece, { maxLength: 12 }).map((a) => a.join('')), (t) => {
      same(t);
    }), { numRuns: 20_000 });
    fc.assert(fc.property(fc.double({ noNaN: true }), (x) => {
      same(String(x));
      same(x.toFixed(6));
      same(x.toExponential(3));
    }), { numRuns: 20_000 });
    fc.assert(fc.property(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 25 }), (m, k) => {
      same(`${m}e-${k}`);
      same(`${m}e${k}`);
      const s = String(Math.abs(m)).padStart(k + 1, '0');
      same(`${m < 0 ? '-' : ''}${s.slice(0, s.length - k)}.${s.slice(s.length - k)}`);
    }), { numRuns: 20_000 });
  });
});

describe('scanDecimalBytes', () => {
  it('agrees with scanDecimal about 15 and 16 significant digits, after leading zeros too', () => {
    const out = new Float64Array(1);
    const texts = ['999999999999999', '1000000000000000', '9999999999999999', '0000999999999999999', '0.000999999999999999', '0.0009999999999999999',
      '123456789012345.6', '12345678901234.56', '-0.000000000000001234', '100000000000000.0e-3', '99999999999999.99e5', '0.1234567890123456789e10',
      '0.00000000000000000000001', '0.0000000000000000000001', '1.0000000000000000000000', '.5', '5.', '-.5', '+5.', '-0', '-0.0', '12.3e4', '12.3E-4'];
    for (const t of texts) {
      const x = scanDecimal(t, 0, t.length);
      const j = scanDecimalBytes(Buffer.from(`${t}\n`, 'latin1'), 0, out, 0);
      expect(j, t).toBe(scanEnd);
      expect(Object.is(out[0], x), t).toBe(true);
      expect(x, t).toBe(Number(t));
    }
  });
  it('reads a number that ends the buffer (no byte after it), odd and even digit counts', () => {
    const out = new Float64Array(1);
    for (const t of ['7', '42', '123', '1234', '-9', '0.5', '0.25', '3.141', '-12.3456', '1234567.1234567', '5.', '12345678901234567', '1e5', '.5']) {
      const x = scanDecimal(t, 0, t.length);
      const j = scanDecimalBytes(Buffer.from(t, 'latin1'), 0, out, 0);
      expect(j, t).toBe(t.length);
      expect(Object.is(out[0], x), t).toBe(true);
    }
  });
  it('scans bytes as scanDecimal scans text: same value, same end', () => {
    const piece = fc.constantFrom('0', '1', '5', '9', '.', '-', '+', 'e', 'E', ' ', 'x', ',', '\r', '12345678901234567');
    const out = new Float64Array(2);
    fc.assert(fc.property(fc.array(piece, { maxLength: 14 }).map((a) => a.join('')), fc.integer({ min: 0, max: 3 }), (t, at) => {
      const start = Math.min(at, t.length);
      const x = scanDecimal(t, start, t.length);
      const end = scanEnd;
      out[1] = 42;
      const j = scanDecimalBytes(Buffer.from(`${t}\n`, 'latin1'), start, out, 1);
      if (Number.isNaN(x)) {
        expect(j, JSON.stringify(t)).toBe(-1);
        expect(out[1]).toBe(42);
      } else {
        expect(j, JSON.stringify(t)).toBe(end);
        expect(Object.is(out[1], x), JSON.stringify(t)).toBe(true);
      }
    }), { numRuns: 20_000 });
  });
});

async function bothWays(text: string, options: ReadOptions, chunk: number): Promise<[unknown, unknown]> {
  const file = write(text);
  const size = Buffer.byteLength(text);
  chunking.size = 1 << 20;
  const reference = await outcome(readTwoPass(new CsvSource(file, size), options));
  chunking.size = chunk;
  const fast = await outcome(readCsvTable(file, size, options));
  return [fast, reference];
}

describe('one-pass CSV reader', () => {
  const cell = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('1.5', '-0', '0', '2', '-3.25e2', '1e400', '.5', '7.', '1.288185', '123456789.123456789') },
    { weight: 3, arbitrary: fc.constantFrom('', '""', ' 4 ', '1\r', '\r', 'abc', 'b', '0x1f', 'Infinity', '1e', '2021-06-01', '2021-06-01 12:00:00', '2021-02-30') },
    { weight: 2, arbitrary: fc.constantFrom('"a,b"', '"x""y"', '"multi\nline"', '"3"', 'a"b', '"q"r', '"1.5"', 'é', '日本', '"\r\n"') },
  );
  const names = ['a', 'b', 'c', 'd'];
  const kind = fc.constantFrom<ColumnKind | undefined>(undefined, undefined, 'numeric', 'categorical', 'timestamp');

  it('reads what readTwoPass reads, and fails where and as it fails, whatever the chunk size', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.tuple(fc.array(cell, { minLength: 0, maxLength: 5 }), fc.constantFrom('\n', '\n', '\r\n', '\n\n', '\n\r\n')), { maxLength: 12 }),
      fc.boolean(),
      fc.boolean(),
      fc.subarray([...names, 'zz']),
      fc.array(kind, { minLength: 5, maxLength: 5 }),
      fc.constantFrom(1, 2, 3, 5, 8, 17, 64, 1 << 20),
      async (width, records, bom, lastBreak, wanted, kinds, chunk) => {
        const header = names.slice(0, width).join(',');
        // Mostly rows of the header's width (so reads get past the first row), sometimes ragged.
        let text = (bom ? '\ufeff' : '') + header + '\n';
        records.forEach(([cells, brk], i) => {
          const row = cells.length === 0 || i % 4 !== 3 ? Array.from({ length: width }, (_, k) => cells[k % Math.max(1, cells.length)] ?? '') : cells;
          text += row.join(',') + (i < records.length - 1 || lastBreak ? brk : '');
        });
        const forced = Object.fromEntries(wanted.flatMap((c, k) => (kinds[k] ? [[c, kinds[k]!]] : [])));
        const columns = wanted.length > 0 ? wanted : ['a'];
        const [fast, reference] = await bothWays(text, { columns, kinds: forced }, chunk);
        expect(fast, JSON.stringify({ text, columns, forced, chunk })).toEqual(reference);
      },
    ), { numRuns: 1500 });
  });

  it('reads a column that turns categorical after numbers in a second pass, keeping its text', async () => {
    const text = 'x,y,z\n1.50,,1\n2,,2\n,b,3\nN/A,,4\n';
    for (const chunk of [1, 4, 1 << 20]) {
      const [fast, reference] = await bothWays(text, { columns: ['x', 'y', 'z'] }, chunk);
      expect(fast).toEqual(reference);
      expect(fast).toMatchObject({ columns: [{ kind: 'categorical', dictionary: ['1.50', '2', 'N/A'] }, { kind: 'categorical', dictionary: ['b'] }, { kind: 'numeric' }] });
    }
  });

  it('grows its columns past the first guess and trims them', async () => {
    // Short rows first, long rows later: the guess from the first chunk is too small.
    const rows = [...Array.from({ length: 3000 }, (_, i) => `${i},1`), ...Array.from({ length: 3000 }, (_, i) => `${i}.123456789,-12345.6789`)];
    const [fast, reference] = await bothWays(`a,b\n${rows.join('\n')}\n`, { columns: ['b', 'a'] }, 4096);
    expect(fast).toEqual(reference);
    expect((fast as { rows: number }).rows).toBe(6000);
  });

  it('reads categories of every length and count, repeated or not, as readTwoPass does', async () => {
    // More distinct short values than the reader remembers by bytes, long ones, and non-ASCII ones.
    const values = Array.from({ length: 5000 }, (_, i) => (i % 7 === 0 ? `long-${'x'.repeat(40)}-${i}` : i % 11 === 0 ? `é${i}` : `c${i}`));
    const rows = [...values, ...values.slice(0, 300), ...values.slice(4000)].map((v, i) => `${v},${i % 3 ? v : ''},${i}`);
    const [fast, reference] = await bothWays(`a,b,n\n${rows.join('\n')}\n`, { columns: ['a', 'b', 'n'], kinds: { a: 'categorical' } }, 4096);
    expect(fast).toEqual(reference);
  });

  it('carries on after a very long unquoted line', async () => {
    const long = 'v'.repeat(10_000);
    const [fast, reference] = await bothWays(`a,b\n1,${long}\n2,x\n`, { columns: ['a', 'b'] }, 256);
    expect(fast).toEqual(reference);
  });
});
