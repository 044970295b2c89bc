/**
 * The CSV reader's fast path for lines of plain numbers, in WebAssembly.
 *
 * Reading a big numeric CSV file is mostly walking its bytes: on the bench's files (50 columns of
 * numbers like -1.948346) the TypeScript reader spends about 65 ns per cell, two thirds of it
 * finding the commas. The same walk compiled as WebAssembly takes about 40% less CPU here: no
 * bounds check per byte, integer compares without tagging, one tight loop over many lines.
 *
 * The kernel below does only what it can do exactly as csv-read.ts does it, and gives every other
 * line back:
 *  - it handles lines whose wanted fields are all decimal numbers in scanDecimalBytes' fast form
 *    (optional sign, digits, optional point and digits, at most 15 significant digits, at most 22
 *    fraction digits, no exponent) or empty, each followed by a comma or the end of the line (a CR
 *    is allowed after a number where plainLine allows it), and whose unwanted fields hold no
 *    double quote; an empty cell is missing, NaN, counted per column once its line is complete;
 *  - each value is computed with the same double operations, in the same order, as
 *    scanDecimalBytes (m = m·10 + digit, then m / 10^fraction digits, then the sign), so every bit
 *    is the same;
 *  - at the first line it cannot take (an empty or unusual cell, a quote, a blank line, a line
 *    starting with CR, a wrong number of fields) it stops at that line's first byte: the reader
 *    handles that line its own way, with its errors and its kinds, then hands the rest back.
 * The reader uses it only while every wanted column is numeric (forced or inferred so far).
 *
 * Memory (imported, so the reader can size it): the field → column table (Int32, -1 for a field
 * not wanted), the powers of ten, the bytes of the lines, and the values it parsed, column after
 * column (`stride` rows each).
 *
 * Set `csvKernel.enabled = false` to read without it (tests compare the two; DRIFTLINE_WASM=0
 * does the same for a whole process).
 */
import { WasmArena } from '../../stats/arena.js';
import { compileWat, instantiate, memoryImport, WASM_PAGE, type WasmMemory } from '../../stats/wasm.js';

export const csvKernel = { enabled: process.env.DRIFTLINE_WASM !== '0' };

/** The kernel, on a memory of its own or an arena's (memoryImport). */
const kernelText = (memory: string): string => String.raw`
(module
  (import "env" "mem" ${memory})
  ;; rows parsed by the last call of parse
  (global $rows (export "rows") (mut i32) (i32.const 0))
  ;; Parses whole lines from byte $s up to byte $e (the byte before $e is a line feed) into
  ;; columns at $out (column k, row r at $out + 8 (k $stride + r)), at most $maxRows lines.
  ;; Returns where it stopped: $e, the start of the line after the last one parsed when $maxRows
  ;; were parsed, or the first byte of a line it does not take.
  (func (export "parse") (param $slots i32) (param $nf i32) (param $pow i32) (param $s i32) (param $e i32)
        (param $out i32) (param $stride i32) (param $maxRows i32) (param $missing i32) (param $empty i32) (result i32)
    (local $line i32) (local $f i32) (local $k i32) (local $c i32) (local $neg i32) (local $m f64)
    (local $i0 i32) (local $f0 i32) (local $fd i32) (local $v f64) (local $row i32) (local $ne i32)
    (block $bail
      (block $done
        (loop $lines
          (br_if $done (i32.ge_u (local.get $s) (local.get $e)))
          (br_if $done (i32.ge_u (local.get $row) (local.get $maxRows)))
          (local.set $line (local.get $s))
          (local.set $f (i32.const 0))
          (local.set $ne (i32.const 0))
          ;; a blank line, or one starting with CR: the reader's
          (local.set $c (i32.load8_u (local.get $s)))
          (br_if $bail (i32.or (i32.eq (local.get $c) (i32.const 10)) (i32.eq (local.get $c) (i32.const 13))))
          (loop $fields
            (br_if $bail (i32.ge_u (local.get $f) (local.get $nf)))
            (local.set $k (i32.load (i32.add (local.get $slots) (i32.shl (local.get $f) (i32.const 2)))))
            (if (i32.lt_s (local.get $k) (i32.const 0))
              (then
                ;; a field not wanted: to the next comma or the line feed (a quote: the reader's)
                (loop $skip
                  (local.set $c (i32.load8_u (local.get $s)))
                  (br_if $bail (i32.eq (local.get $c) (i32.const 34)))
                  (if (i32.and (i32.ne (local.get $c) (i32.const 44)) (i32.ne (local.get $c) (i32.const 10)))
                    (then
                      (local.set $s (i32.add (local.get $s) (i32.const 1)))
                      (br $skip)))))
              (else
                (local.set $c (i32.load8_u (local.get $s)))
                (if (i32.or (i32.eq (local.get $c) (i32.const 44)) (i32.eq (local.get $c) (i32.const 10)))
                  (then
                    ;; an empty cell: missing (NaN), counted once the line is complete
                    (f64.store
                      (i32.add (local.get $out)
                               (i32.shl (i32.add (i32.mul (local.get $k) (local.get $stride)) (local.get $row)) (i32.const 3)))
                      (f64.const nan))
                    (i32.store (i32.add (local.get $empty) (i32.shl (local.get $ne) (i32.const 2))) (local.get $k))
                    (local.set $ne (i32.add (local.get $ne) (i32.const 1))))
                  (else
                (local.set $neg (i32.eq (local.get $c) (i32.const 45)))
                (if (i32.or (local.get $neg) (i32.eq (local.get $c) (i32.const 43)))
                  (then
                    (local.set $s (i32.add (local.get $s) (i32.const 1)))
                    (local.set $c (i32.load8_u (local.get $s)))))
                (local.set $m (f64.const 0))
                (local.set $i0 (local.get $s))
                (block $intEnd
                  (loop $int
                    (br_if $intEnd (i32.gt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 9)))
                    (local.set $m (f64.add (f64.mul (local.get $m) (f64.const 10))
                                           (f64.convert_i32_u (i32.sub (local.get $c) (i32.const 48)))))
                    (local.set $s (i32.add (local.get $s) (i32.const 1)))
                    (local.set $c (i32.load8_u (local.get $s)))
                    (br $int)))
                (local.set $fd (i32.const 0))
                (if (i32.eq (local.get $c) (i32.const 46))
                  (then
                    (local.set $s (i32.add (local.get $s) (i32.const 1)))
                    (local.set $f0 (local.get $s))
                    (local.set $c (i32.load8_u (local.get $s)))
                    (block $fracEnd
                      (loop $frac
                        (br_if $fracEnd (i32.gt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 9)))
                        (local.set $m (f64.add (f64.mul (local.get $m) (f64.const 10))
                                               (f64.convert_i32_u (i32.sub (local.get $c) (i32.const 48)))))
                        (local.set $s (i32.add (local.get $s) (i32.const 1)))
                        (local.set $c (i32.load8_u (local.get $s)))
                        (br $frac)))
                    (local.set $fd (i32.sub (local.get $s) (local.get $f0)))
                    ;; a point and no digit on either side
                    (br_if $bail (i32.and (i32.eqz (local.get $fd))
                                          (i32.eq (i32.sub (local.get $f0) (i32.const 1)) (local.get $i0)))))
                  (else
                    ;; no digit at all
                    (br_if $bail (i32.eq (local.get $s) (local.get $i0)))))
                ;; outside the fast form (exponent, 16 digits or more, over 22 fraction digits)
                (br_if $bail (i32.eqz (f64.lt (local.get $m) (f64.const 1e15))))
                (br_if $bail (i32.gt_u (local.get $fd) (i32.const 22)))
                ;; what may follow: a comma, the line feed, or a CR before either
                (if (i32.eq (local.get $c) (i32.const 13))
                  (then
                    (local.set $c (i32.load8_u offset=1 (local.get $s)))
                    (br_if $bail (i32.and (i32.ne (local.get $c) (i32.const 44)) (i32.ne (local.get $c) (i32.const 10))))
                    (local.set $s (i32.add (local.get $s) (i32.const 1)))))
                (br_if $bail (i32.and (i32.ne (local.get $c) (i32.const 44)) (i32.ne (local.get $c) (i32.const 10))))
                (local.set $v (f64.div (local.get $m)
                                       (f64.load (i32.add (local.get $pow) (i32.shl (local.get $fd) (i32.const 3))))))
                (if (local.get $neg) (then (local.set $v (f64.neg (local.get $v)))))
                (f64.store
                  (i32.add (local.get $out)
                           (i32.shl (i32.add (i32.mul (local.get $k) (local.get $stride)) (local.get $row)) (i32.const 3)))
                  (local.get $v))))))
            (local.set $f (i32.add (local.get $f) (i32.const 1)))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))
            (br_if $fields (i32.eq (local.get $c) (i32.const 44))))
          ;; the line feed is passed: the line is complete if it had every field
          (br_if $bail (i32.ne (local.get $f) (local.get $nf)))
          ;; the line's empty cells count now
          (block $counted
            (loop $count
              (br_if $counted (i32.eqz (local.get $ne)))
              (local.set $ne (i32.sub (local.get $ne) (i32.const 1)))
              (local.set $k (i32.add (local.get $missing)
                                     (i32.shl (i32.load (i32.add (local.get $empty) (i32.shl (local.get $ne) (i32.const 2)))) (i32.const 2))))
              (i32.store (local.get $k) (i32.add (i32.load (local.get $k)) (i32.const 1)))
              (br $count)))
          (local.set $row (i32.add (local.get $row) (i32.const 1)))
          (br $lines)))
      (global.set $rows (local.get $row))
      (return (local.get $s)))
    (global.set $rows (local.get $row))
    (local.get $line)))
`;

/** Rows a call parses at most; with the columns they fix the size of the output area. */
const OUTPUT_BYTES = 4 << 20;

/**
 * One reader's instance of the kernel: for a header of `slots.length` fields, where slots[f] is
 * the column of field f (0 to columns − 1) or -1.
 *
 * Its memory is its own, or an arena's (stats/arena.ts) when the reader's columns lie there: then
 * `parseInto` writes the values straight into them, and only its tables and the lines it reads
 * are its own, taken from the arena.
 */
export class CsvKernel {
  private readonly memory: WasmMemory;
  private readonly arena: WasmArena | null;
  private readonly parseFn: (slots: number, nf: number, pow: number, s: number, e: number, out: number, stride: number, maxRows: number, missing: number, empty: number) => number;
  private readonly rowsGlobal: { value: number };
  private readonly nf: number;
  private readonly columns: number;
  /** Where its tables lie: slots (0 in its own memory), powers of ten, missing cells by column, a line's empty cells. */
  private readonly slots: number;
  private readonly pow: number;
  private readonly missingAt: number;
  private readonly empty: number;
  private missingCounts: Int32Array;
  readonly stride: number;
  /** Its output area (parse), made at the first use; -1 until then. */
  private out = -1;
  private values: Float64Array | null = null;
  /** Where the loaded lines go, and their room. */
  private input = -1;
  private inputBytes = 0;
  private bytes: Uint8Array | null = null;
  /** Where the loaded lines start in the caller's buffer (load), and their length. */
  private base = 0;
  private length = 0;

  /**
   * An instance, or null when WebAssembly is not available here (or the kernel is switched off).
   * With an arena, the instance works in the arena's memory (or, when that cannot be, in its own).
   */
  static create(slots: Int32Array, columns: number, arena?: WasmArena | null): CsvKernel | null {
    if (!csvKernel.enabled || columns === 0) return null;
    if (arena) {
      const module = compileWat(kernelText(memoryImport(true)));
      const tables = arena.alloc(CsvKernel.tableBytes(slots.length, columns));
      if (module && tables >= 0) return new CsvKernel(module, slots, columns, arena, tables);
    }
    const module = compileWat(kernelText(memoryImport(false)));
    return module ? new CsvKernel(module, slots, columns, null, 0) : null;
  }

  private static tableBytes(fields: number, columns: number): number {
    return align8(align8(4 * fields) + 8 * 23 + 4 * columns + 4 * fields);
  }

  private constructor(module: object, slots: Int32Array, columns: number, arena: WasmArena | null, at: number) {
    this.nf = slots.length;
    this.columns = columns;
    this.arena = arena;
    this.stride = Math.max(64, Math.floor(OUTPUT_BYTES / (8 * columns)));
    this.slots = at;
    this.pow = at + align8(4 * slots.length);
    this.missingAt = this.pow + 8 * 23;
    this.empty = this.missingAt + 4 * columns;
    const tablesEnd = at + CsvKernel.tableBytes(slots.length, columns);
    const made = instantiate(module, arena ? arena.memory : Math.ceil(tablesEnd / WASM_PAGE) + 1);
    this.memory = made.memory;
    this.parseFn = made.exports.parse as CsvKernel['parseFn'];
    this.rowsGlobal = made.exports.rows as { value: number };
    new Int32Array(this.memory.buffer, this.slots, slots.length).set(slots);
    const pow = new Float64Array(this.memory.buffer, this.pow, 23);
    for (let k = 0; k <= 22; k++) pow[k] = 10 ** k;
    this.missingCounts = new Int32Array(this.memory.buffer, this.missingAt, this.columns);
    if (!arena) this.input = align8(tablesEnd);
  }

  /** `bytes` more bytes at the end of its own memory, from `from` on (growing it as needed). */
  private ownRoom(from: number, bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (from + bytes > have) {
      this.memory.grow(Math.ceil((from + bytes - have) / WASM_PAGE));
      // Growing a memory of its own detaches the old buffer: views over it are made again.
      this.missingCounts = new Int32Array(this.memory.buffer, this.missingAt, this.columns);
      this.values = null;
      this.bytes = null;
    }
  }

  /**
   * Copies b[start..end) (whole lines: b[end − 1] is a line feed) into the kernel's memory, or
   * takes them where they lie when b is in the kernel's arena. False when its arena is full (the
   * caller reads on without the kernel).
   */
  load(b: Uint8Array, start: number, end: number): boolean {
    const n = end - start;
    this.base = start;
    this.length = n;
    if (this.arena && WasmArena.holding(b) === this.arena) {
      this.input = b.byteOffset + start;
      return true;
    }
    if (this.arena) {
      if (n > this.inputBytes || this.bytes === null) {
        const want = Math.max(n, this.inputBytes);
        const at = this.arena.alloc(want);
        if (at < 0) return false;
        this.inputBytes = want;
        this.bytes = new Uint8Array(this.memory.buffer, at, want);
      }
      this.input = this.bytes.byteOffset;
    } else {
      if (this.out < 0) {
        // In its own memory the output area comes first (its lines, last, can grow).
        this.out = this.input;
        this.input = this.out + 8 * this.columns * this.stride;
      }
      this.ownRoom(this.input, n);
      if (this.bytes === null || this.bytes.length < n) this.bytes = new Uint8Array(this.memory.buffer, this.input, this.memory.buffer.byteLength - this.input);
    }
    this.bytes!.set(b.subarray(start, end), 0);
    return true;
  }

  /** The end (in the caller's buffer) of the lines loaded last. */
  get loadedEnd(): number {
    return this.base + this.length;
  }

  /**
   * Parses loaded lines from `at` (a line start in the caller's buffer, within the loaded lines)
   * on, at most `stride` of them. Returns where it stopped, in the caller's buffer; `rows` tells
   * how many lines it parsed, whose values `column` gives. -1 when its arena is full (nothing
   * parsed: the caller reads on without the kernel).
   */
  parse(at: number): number {
    if (this.out < 0) {
      // (only in an arena: in its own memory, load made it)
      this.out = this.arena!.alloc(8 * this.columns * this.stride);
      if (this.out < 0) return -1;
    }
    return this.run(at, this.out, this.stride, this.stride);
  }

  /**
   * As parse, at most `maxRows` lines, writing column k's values at `out` + 8 (k·stride + r) of
   * the arena: the reader's columns, one block with `stride` rows for each (see csv-read.ts).
   */
  parseInto(at: number, out: number, stride: number, maxRows: number): number {
    if (!this.arena) throw new Error('CsvKernel.parseInto: the kernel is not in an arena');
    return this.run(at, out, stride, maxRows);
  }

  /** Whether the kernel works in this arena (so that parseInto can write to its columns). */
  worksIn(arena: WasmArena | null | undefined): boolean {
    return arena !== null && arena !== undefined && this.arena === arena;
  }

  private run(at: number, out: number, stride: number, maxRows: number): number {
    const s = this.input + (at - this.base);
    const stop = this.parseFn(this.slots, this.nf, this.pow, s, this.input + this.length, out, stride, maxRows, this.missingAt, this.empty);
    return this.base + (stop - this.input);
  }

  /** Empty cells of column k in the lines parsed since the last call of this (then zero again). */
  takeMissing(k: number): number {
    const n = this.missingCounts[k];
    this.missingCounts[k] = 0;
    return n;
  }

  /** Lines parsed by the last call of parse. */
  get rows(): number {
    return this.rowsGlobal.value;
  }

  /** The values of column k from the last call of parse, NaN for empty cells (a view: copy before the next call). */
  column(k: number): Float64Array {
    if (this.values === null) this.values = new Float64Array(this.memory.buffer, this.out, this.columns * this.stride);
    const at = k * this.stride;
    return this.values.subarray(at, at + this.rows);
  }
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
