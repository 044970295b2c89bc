// The WebAssembly fast path of the CSV reader (csv-kernel.ts) and its assembler (wasm.ts): the
// kernel takes exactly the cells it may take, with the very doubles of Number(text), and a file
// reads the same with it and without it (and as readTwoPass reads it).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { CsvKernel, csvKernel } from '../../../src/io/files/csv-kernel.js';
import { chunking, CsvSource } from '../../../src/io/files/csv.js';
import { readCsvTable } from '../../../src/io/files/csv-read.js';
import type { ReadOptions } from '../../../src/io/files/index.js';
import { readTwoPass } from '../../../src/io/files/two-pass.js';
import { WasmArena } from '../../../src/stats/arena.js';
import { assembleWat } from '../../../src/stats/wasm.js';
import { outcome } from './outcome.js';

const dir = mkdtempSync(join(tmpdir(), 'driftline-csv-kernel-'));
let n = 0;
function write(text: string): string {
  const file = join(dir, `f${n++}.csv`);
  writeFileSync(file, text);
  return file;
}
afterEach(() => {
  chunking.size = 1 << 20;
  csvKernel.enabled = true;
});

describe('assembleWat', () => {
  it('assembles a module that runs: constants of every size, locals, loops, branches, memory', () => {
    const bytes = assembleWat(`
      (module
        (import "env" "mem" (memory 1))
        (global $g (export "g") (mut i32) (i32.const -7))
        (func (export "sum") (param $n i32) (result i32) (local $s i32) (local $i i32)
          (block $out
            (loop $next
              (br_if $out (i32.ge_s (local.get $i) (local.get $n)))
              (local.set $s (i32.add (local.get $s) (local.get $i)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $next)))
          (global.set $g (local.get $s))
          (local.get $s))
        (func (export "consts") (param $k i32) (result i32)
          (if (i32.eq (local.get $k) (i32.const 0)) (then (return (i32.const -1))))
          (if (i32.eq (local.get $k) (i32.const 1)) (then (return (i32.const 64))) (else (nop)))
          (if (i32.eq (local.get $k) (i32.const 2)) (then (return (i32.const -65))))
          (if (i32.eq (local.get $k) (i32.const 3)) (then (return (i32.const 2147483647))))
          (i32.const -2147483648))
        (func (export "mem") (param $a i32) (param $x f64) (result f64)
          (f64.store offset=8 (local.get $a) (f64.mul (local.get $x) (f64.const 0.5)))
          (i32.store8 (local.get $a) (i32.const 300))
          (f64.add (f64.load offset=8 (local.get $a)) (f64.convert_i32_u (i32.load8_u (local.get $a))))))`);
    // (the project's type libraries do not declare the WebAssembly API)
    const W = (globalThis as unknown as { WebAssembly: Record<'Memory' | 'Module' | 'Instance', new (...args: unknown[]) => { exports: unknown }> }).WebAssembly;
    const memory = new W.Memory({ initial: 1 });
    const { exports } = new W.Instance(new W.Module(bytes), { env: { mem: memory } });
    const x = exports as { sum: (n: number) => number; consts: (k: number) => number; mem: (a: number, x: number) => number; g: { value: number } };
    expect(x.g.value).toBe(-7);
    expect(x.sum(101)).toBe(5050);
    expect(x.g.value).toBe(5050);
    expect([0, 1, 2, 3, 4].map((k) => x.consts(k))).toEqual([-1, 64, -65, 2147483647, -2147483648]);
    expect(x.mem(16, 3)).toBe(1.5 + 44); // 300 stored as a byte is 44
  });

  it('names what it does not know', () => {
    expect(() => assembleWat('(module (func (i32.popcnt (i32.const 1))))')).toThrow('wat: unknown instruction i32.popcnt');
    expect(() => assembleWat('(module (func (local.get $x)))')).toThrow('wat: unknown local $x');
    expect(() => assembleWat('(module (func (br $nowhere)))')).toThrow('wat: unknown label $nowhere');
    expect(() => assembleWat('(module (func (i32.const 1))')).toThrow('wat: missing ")"');
    expect(() => assembleWat('(func)')).toThrow('wat: expected (module ...)');
  });
});

/** Whether the kernel must take the cell `t`: empty (missing), or a number scanDecimalBytes reads without help. */
function takes(t: string): boolean {
  return t === '' || fastForm(t);
}

/** The value a cell the kernel takes stands for. */
const valueOf = (t: string): number => (t === '' ? NaN : Number(t));

/** Whether scanDecimalBytes reads `t` without help: the oracle, from the grammar. */
function fastForm(t: string): boolean {
  const m = /^[+-]?(\d*)(?:\.(\d*))?$/.exec(t);
  if (!m || (m[1] === '' && (m[2] ?? '') === '')) return false;
  const digits = (m[1] + (m[2] ?? '')).replace(/^0+/, '');
  return digits.length <= 15 && (m[2] ?? '').length <= 22;
}

/** Runs the kernel on one line `cells` (+ line end) with every field wanted: rows and values. */
const kernels = new Map<number, CsvKernel>();
function kernelLine(cells: string[], end = '\n'): { rows: number; stop: number; values: number[] } {
  let kernel = kernels.get(cells.length);
  if (!kernel) {
    kernel = CsvKernel.create(Int32Array.from(cells, (_, k) => k), cells.length)!;
    kernels.set(cells.length, kernel);
  }
  const b = Buffer.from(`${cells.join(',')}${end}`, 'latin1');
  kernel.load(b, 0, b.length);
  const stop = kernel.parse(0);
  return { rows: kernel.rows, stop, values: cells.map((_, k) => (kernel.rows ? kernel.column(k)[0] : NaN)) };
}

describe('the kernel', () => {
  it('takes a cell exactly when it is in the fast form, with the double of Number(text)', () => {
    const cases = [
      '0', '-0', '+0', '-0.000', '00012', '1.', '.5', '-.5', '+.5', '.', '+', '-', '', '1.288185', '-1.948346', '999999999999999',
      '9999999999999999', '0000999999999999999', '0.000999999999999999', '0.0009999999999999999', '123456789012345.6', '12345678901234.56',
      '0.0000000000000000000001', '0.00000000000000000000001', '1.0000000000000000000000', '1e5', '1E5', ' 1', '1 ', '1.2.3', '--1', '0x1',
      '"1"', '1"', 'a', '١',
    ];
    for (const t of cases) {
      const got = kernelLine([t, '7']);
      if (takes(t)) {
        expect(got.rows, JSON.stringify(t)).toBe(1);
        expect(Object.is(got.values[0], valueOf(t)), JSON.stringify(t)).toBe(true);
        expect(got.values[1]).toBe(7);
      } else {
        expect(got, JSON.stringify(t)).toMatchObject({ rows: 0, stop: 0 });
      }
    }
  });

  it('agrees with the fast form and Number(text) on random digits, points and signs', () => {
    const piece = fc.constantFrom('0', '1', '5', '9', '.', '-', '+', 'e', '12345678', '000000');
    fc.assert(fc.property(fc.array(piece, { maxLength: 10 }).map((a) => a.join('')), fc.constantFrom('\n', '\r\n'), (t, end) => {
      const got = kernelLine(['3', t], end);
      if (takes(t) && !(t === '' && end === '\r\n')) {
        expect(got.rows, JSON.stringify(t)).toBe(1);
        expect(Object.is(got.values[1], valueOf(t)), JSON.stringify(t)).toBe(true);
      } else expect(got.rows, JSON.stringify(t)).toBe(0);
    }), { numRuns: 20_000 });
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 0, max: 17 }), (x, digits) => {
      const t = x.toFixed(Math.min(digits, 100));
      const got = kernelLine([t]);
      expect(got.rows).toBe(fastForm(t) ? 1 : 0);
      if (got.rows) expect(Object.is(got.values[0], Number(t)), t).toBe(true);
    }), { numRuns: 20_000 });
  });

  it('takes empty cells as missing, counted only for the lines it keeps', () => {
    const slots = Int32Array.from([0, 1, -1]);
    const kernel = CsvKernel.create(slots, 2)!;
    const b = Buffer.from('1,,x\n,,y\n,2,z\n,,"q"\n', 'latin1');
    kernel.load(b, 0, b.length);
    const stop = kernel.parse(0);
    expect(kernel.rows).toBe(3);
    expect(stop).toBe(b.indexOf('\n,,"q"') + 1); // the line with a quote is given back
    expect([...kernel.column(0)]).toEqual([1, NaN, NaN]);
    expect([...kernel.column(1)]).toEqual([NaN, NaN, 2]);
    // the empty cells of the line given back are not counted
    expect([kernel.takeMissing(0), kernel.takeMissing(1)]).toEqual([2, 2]);
    expect([kernel.takeMissing(0), kernel.takeMissing(1)]).toEqual([0, 0]);
  });

  it('takes a CR before a comma or the line feed, and gives back other line ends and odd lines', () => {
    expect(kernelLine(['1.5\r', '2'])).toMatchObject({ rows: 1, values: [1.5, 2] });
    expect(kernelLine(['1.5', '2'], '\r\n')).toMatchObject({ rows: 1, values: [1.5, 2] });
    expect(kernelLine(['1.5\r\r', '2']).rows).toBe(0);
    expect(kernelLine(['\r1.5', '2']).rows).toBe(0);
    // blank lines, and lines with too few or too many fields
    const slots = Int32Array.from([0, -1, 1]);
    const kernel = CsvKernel.create(slots, 2)!;
    const text = '1,x,2\n3,"y",4\n5,z,6\n\n7,w\n8,v,9,10\n11,u,12\n';
    const b = Buffer.from(text, 'latin1');
    kernel.load(b, 0, b.length);
    const stops: number[] = [];
    const rows: number[] = [];
    for (let at = 0; at < b.length;) {
      const stop = kernel.parse(at);
      stops.push(stop);
      rows.push(kernel.rows);
      at = kernel.rows === 0 ? b.indexOf(10, stop) + 1 : stop; // the reader's turn: one line
    }
    // line starts: 0, 6 (a quote), 14, 20 (blank), 21 (two fields), 25 (four), 34; the end is 42
    expect(rows).toEqual([1, 0, 1, 0, 0, 0, 1]);
    expect(stops).toEqual([6, 6, 20, 20, 21, 25, 42]);
  });

  it('stops after `stride` lines and goes on from there', () => {
    // (room for 1000 columns: a stride of a few hundred rows)
    const kernel = CsvKernel.create(Int32Array.from([0]), 1000)!;
    expect(kernel.stride).toBeLessThan(1000);
    const count = kernel.stride * 2 + 5;
    const text = Array.from({ length: count }, (_, i) => `${i}.5\n`).join('');
    const b = Buffer.from(text, 'latin1');
    kernel.load(b, 0, b.length);
    const seen: number[] = [];
    for (let at = 0; at < b.length;) {
      at = kernel.parse(at);
      expect(kernel.rows).toBeGreaterThan(0);
      for (const x of kernel.column(0)) seen.push(x);
    }
    expect(seen).toEqual(Array.from({ length: count }, (_, i) => i + 0.5));
  });
});

/** A file read three ways: with the kernel, without it (both at `chunk`), and by readTwoPass. */
async function threeWays(text: string, options: ReadOptions, chunk: number): Promise<unknown[]> {
  const file = write(text);
  const size = Buffer.byteLength(text);
  chunking.size = 1 << 20;
  const reference = await outcome(readTwoPass(new CsvSource(file, size), options));
  chunking.size = chunk;
  csvKernel.enabled = true;
  const withKernel = await outcome(readCsvTable(file, size, options));
  // Columns in an arena (as compare reads): the same outcome, and the numeric columns lie there.
  const arena = WasmArena.create()!;
  try {
    const read = readCsvTable(file, size, { ...options, arena });
    const inArena = await outcome(read);
    expect(inArena, `in an arena: ${JSON.stringify({ text: text.slice(0, 2000), options, chunk })}`).toEqual(withKernel);
    const table = await read.catch(() => null);
    for (const c of table?.columns.values() ?? []) {
      if (c.kind !== 'categorical' && c.values.length > 0) expect(WasmArena.holding(c.values), c.name).toBe(arena);
    }
  } finally {
    arena.release();
  }
  csvKernel.enabled = false;
  const without = await outcome(readCsvTable(file, size, options));
  csvKernel.enabled = true;
  return [withKernel, without, reference];
}

describe('reading with the kernel', () => {
  const cell = fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom('1.5', '-0', '0', '2', '.5', '7.', '1.288185', '-1.948346', '+3', '0.0000001', '123456789012345', '99.990') },
    { weight: 2, arbitrary: fc.constantFrom('', ' 4 ', '1\r', '1e3', '1234567890123456', 'abc', '"1.5"', '"a,b"', '2021-06-01', '.', '-') },
  );
  const names = ['a', 'b', 'c', 'd'];

  it('reads what the reader reads without it and readTwoPass reads, errors and lines included', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.tuple(fc.array(cell, { minLength: 1, maxLength: 4 }), fc.constantFrom('\n', '\n', '\n', '\r\n', '\n\n')), { maxLength: 40 }),
      fc.subarray(names, { minLength: 1 }),
      fc.constantFrom<Record<string, 'numeric'>>({}, {}, { a: 'numeric' }, { a: 'numeric', b: 'numeric', c: 'numeric', d: 'numeric' }),
      fc.constantFrom(3, 17, 64, 1 << 20),
      async (width, records, wanted, kinds, chunk) => {
        let text = names.slice(0, width).join(',') + '\n';
        records.forEach(([cells, brk], i) => {
          // Mostly rows of the header's width, one in eight ragged.
          const row = i % 8 === 7 ? cells : Array.from({ length: width }, (_, k) => cells[k % cells.length]);
          text += row.join(',') + brk;
        });
        const columns = wanted.filter((c) => names.indexOf(c) < width);
        const options = { columns: columns.length > 0 ? columns : ['a'], kinds: Object.fromEntries(Object.entries(kinds).filter(([c]) => columns.includes(c))) };
        const [withKernel, without, reference] = await threeWays(text, options, chunk);
        expect(without, JSON.stringify({ text, options, chunk })).toEqual(reference);
        expect(withKernel, JSON.stringify({ text, options, chunk })).toEqual(without);
      },
    ), { numRuns: 800 });
  });

  it('reads a big file of plain numbers the same both ways, columns skipped and chunks cut anywhere', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => {
      const x = Math.sin(i) * 1000;
      return [x.toFixed(6), i, `id${i}`, (-x / 7).toFixed(3), i % 97 === 0 ? '' : (x * 1e-3).toFixed(12)].join(',');
    });
    const text = `x,i,id,y,z\n${rows.join('\n')}\n`;
    for (const chunk of [1000, 65_536, 1 << 20]) {
      const [withKernel, without] = await threeWays(text, { columns: ['z', 'x', 'y', 'i'] }, chunk);
      expect(withKernel).toEqual(without);
      expect((withKernel as { rows: number }).rows).toBe(20_000);
    }
  });

  it('lets go of a column that turns out categorical, and of a file whose lines it keeps giving back', async () => {
    const late = `a,b\n${Array.from({ length: 5000 }, (_, i) => `${i}.25,${i === 4000 ? 'N/A' : i}`).join('\n')}\n`;
    const empty = `a,b\n${Array.from({ length: 5000 }, (_, i) => `${i}.25,${i % 2 ? '' : i}`).join('\n')}\n`;
    for (const text of [late, empty]) {
      const [withKernel, without, reference] = await threeWays(text, { columns: ['a', 'b'] }, 4096);
      expect(without).toEqual(reference);
      expect(withKernel).toEqual(without);
    }
  });

  it('reads on without the arena, and then without the kernel, when the arena is full', async () => {
    const text = `a,b,c\n${Array.from({ length: 20_000 }, (_, i) => `${(i * 0.37).toFixed(3)},${i % 11 === 0 ? '' : -i},${i}.5`).join('\n')}\n`;
    const file = write(text);
    const size = Buffer.byteLength(text);
    chunking.size = 4096;
    const plain = await outcome(readCsvTable(file, size, { columns: ['c', 'a', 'b'] }));
    // An arena that refuses everything past `room` bytes (from its start): the kernel's tables,
    // the buffers, the columns or its output area in turn.
    for (const room of [0, 200, 9_000, 40_000, 300_000, 700_000]) {
      const arena = WasmArena.create()!;
      const take = arena.alloc.bind(arena);
      arena.alloc = (bytes: number) => (arena.used + bytes > room ? -1 : take(bytes));
      try {
        expect(await outcome(readCsvTable(file, size, { columns: ['c', 'a', 'b'], arena })), `room ${room}`).toEqual(plain);
      } finally {
        arena.release();
      }
    }
    chunking.size = 1 << 20;
  });

  it('reports a bad row after many good ones at the same line as the reader without it', async () => {
    const text = `a,b\n${Array.from({ length: 3000 }, (_, i) => `${i},${i}.5`).join('\n')}\n1,2,3\n`;
    const [withKernel, without] = await threeWays(text, { columns: ['a', 'b'] }, 1 << 20);
    expect(without).toMatchObject({ line: 3002 });
    expect(withKernel).toEqual(without);
  });
});
