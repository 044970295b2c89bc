/**
 * Reading a CSV file into typed columns in one streaming pass (the fast path behind readTable).
 *
 * What it reads and how it fails is exactly what readTwoPass over a CsvSource does (same values,
 * same kinds, same errors with file, line, column and value); only the work differs:
 * - The file is read as bytes, never decoded as a whole. Plain lines (no double quote in them, by
 *   far the most common) are split here, on the bytes, without building row arrays; a field of a
 *   column that is not wanted is skipped without making a string, a numeric field is parsed
 *   straight from the bytes (scanDecimalBytes), and a repeated short category is recognized by
 *   its bytes (KnownCells), so neither costs a string. Other cells are decoded one by one. A
 *   record with a quote in it is decoded and handed to the CsvTokenizer state machine, line by
 *   line, until the record ends.
 * - Numbers are stored while reading. A column whose kind is inferred starts numeric; when a cell
 *   turns out not to be a number it becomes categorical: at once if all its earlier cells were
 *   empty, else (its earlier numbers' text is gone) it is read again on its own in a second pass.
 * - Typed columns grow by doubling; after the first chunk they are sized from the file size and
 *   the rows in that chunk, so they usually never grow again, and are trimmed at the end.
 */
import { readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { FileInputError } from '../../errors.js';
import { CsvSyntaxError, CsvTokenizer, chunking, fieldCountError, headerSlots } from './csv.js';
import { showCell } from './two-pass.js';
import type { ColumnData, ReadOptions, TableData } from './types.js';
import { WasmArena } from '../../stats/arena.js';
import { CsvKernel } from './csv-kernel.js';
import { CategoryBuilder, cellToTimestamp, parseNumberText, scanDecimalBytes } from './values.js';

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;

/** What is done with the cells of a wanted column. */
const enum Mode {
  /** Forced numeric: a cell that is no number is an error. */
  Numeric,
  /** Kind inferred, numeric so far. */
  Inferred,
  Timestamp,
  Categorical,
  /** Inferred categorical after numbers were seen: skipped now, read again in a second pass. */
  Deferred,
}

const INITIAL_CAPACITY = 1024;
/** Chunks read between two turns of the event loop (progress, messages from other threads). */
const YIELD_CHUNKS = 8;

const NO_ERROR = -1;

/**
 * The codes of the short ASCII cells of a categorical column, by their bytes: a category seen
 * before costs a hash and a comparison of bytes, no string and no lookup by string. At most
 * MAX_KNOWN per column, so a column of unique values only pays the hash.
 */
class KnownCells {
  private readonly codes = new Map<number, number>();
  private readonly texts = new Map<number, string>();
  /** Adds the (non-empty) cell b[i..j) to `builder`. */
  push(builder: CategoryBuilder, b: Buffer, i: number, j: number): void {
    const n = j - i;
    if (n > MAX_KNOWN_BYTES) return void builder.push(b.toString('utf8', i, j));
    let h = 0x811c9dc5 ^ n;
    for (let k = i; k < j; k++) {
      const c = b[k];
      if (c >= 128) return void builder.push(b.toString('utf8', i, j));
      h = Math.imul(h ^ c, 0x01000193);
    }
    const known = this.texts.get(h);
    if (known !== undefined && known.length === n) {
      let k = 0;
      while (k < n && known.charCodeAt(k) === b[i + k]) k++;
      if (k === n) return builder.pushCode(this.codes.get(h)!);
    }
    const text = b.toString('latin1', i, j); // ASCII: latin1 decodes it as UTF-8 would
    const code = builder.push(text);
    if (this.texts.size < MAX_KNOWN) {
      this.texts.set(h, text);
      this.codes.set(h, code);
    }
  }
}
const MAX_KNOWN_BYTES = 32;
const MAX_KNOWN = 4096;

/** Reads the wanted columns of a CSV file of `size` bytes (see readTable). */
export async function readCsvTable(file: string, size: number, options: ReadOptions): Promise<TableData> {
  return new CsvColumnReader(file, size, options).read();
}

class CsvColumnReader {
  private readonly wanted: string[];
  private readonly n: number;
  private readonly modes: Mode[];
  /** Numeric and timestamp columns: one slot per row (`cap` of them), else null. */
  private readonly nums: (Float64Array | null)[];
  private readonly missing: number[];
  private readonly cats: (CategoryBuilder | null)[];
  /** Categorical columns: the codes of their short cells by bytes (see KnownCells). */
  private readonly known: (KnownCells | null)[];
  private cap = INITIAL_CAPACITY;
  private rows = 0;
  /** Current line (1-based) while reading plain lines; the tokenizer keeps it while it works. */
  private line = 1;

  private header: string[] | null = null;
  private readonly headerFields: string[] = [];
  /** slot[i]: the wanted index of field i of a record, or -1 when that column is not wanted. */
  private slot = new Int32Array(0);
  private headerLength = 0;

  /** The first bad cell of the current record (smallest wanted index) and its message. */
  private errorK = NO_ERROR;
  private errorMessage = '';

  private readonly tok: CsvTokenizer;

  /**
   * The WebAssembly fast path for lines of numbers (csv-kernel.ts), made with the header when every
   * wanted column is numeric; dropped when a column stops being numeric, or when it keeps giving
   * lines back (see kernelLines).
   */
  private kernel: CsvKernel | null = null;
  /** Where the numeric columns lie as one block of the arena (see place), or -1. */
  private block = -1;
  /** Lines the kernel parsed, and lines it gave back to plainLine, for the decision to drop it. */
  private kernelRows = 0;
  private kernelMisses = 0;

  constructor(private readonly file: string, private readonly size: number, private readonly options: ReadOptions) {
    this.wanted = [...options.columns];
    this.n = this.wanted.length;
    const forced = options.kinds ?? {};
    this.modes = this.wanted.map((c) => {
      switch (forced[c]) {
        case 'numeric': return Mode.Numeric;
        case 'timestamp': return Mode.Timestamp;
        case 'categorical': return Mode.Categorical;
        default: return Mode.Inferred;
      }
    });
    this.nums = this.modes.map((m) => (m === Mode.Categorical ? null : this.float64(this.cap)));
    this.cats = this.modes.map((m) => (m === Mode.Categorical ? new CategoryBuilder(this.cap) : null));
    this.missing = this.wanted.map(() => 0);
    this.known = this.modes.map((m) => (m === Mode.Categorical ? new KnownCells() : null));
    this.tok = new CsvTokenizer(
      (index, text) => {
        if (this.header === null) this.headerFields.push(text);
        else if (index < this.headerLength) {
          const k = this.slot[index];
          if (k >= 0) this.cell(k, text);
        }
      },
      (fieldCount, line) => {
        if (this.header === null) this.setHeader();
        else this.endRecord(fieldCount, line);
      },
    );
  }

  private setHeader(): void {
    const { header, slot } = headerSlots(this.file, this.headerFields, this.wanted);
    this.header = header;
    this.headerLength = header.length;
    this.slot = slot;
    if (this.allNumeric()) {
      this.kernel = CsvKernel.create(slot, this.n, this.options.arena);
      // Its values go straight into the columns when they are one block of the arena.
      this.place(this.cap);
    }
  }

  /** Whether every wanted column takes numbers the fast way (forced numeric or inferred so far). */
  private allNumeric(): boolean {
    return this.modes.every((m) => m <= Mode.Inferred);
  }

  // ---------------------------------------------------------------- cells and records

  /** Notes a bad cell; the record's error is the one of the first wanted column, as in readTwoPass. */
  private bad(k: number, message: string): void {
    if (this.errorK === NO_ERROR || k < this.errorK) {
      this.errorK = k;
      this.errorMessage = message;
    }
  }

  /** A cell given as text (the general path: quoted records, unusual numbers, categories...). */
  private cell(k: number, text: string): void {
    const mode = this.modes[k];
    if (mode === Mode.Categorical) {
      const b = this.cats[k]!;
      if (text === '') b.pushMissing();
      else b.push(text);
      return;
    }
    if (mode === Mode.Deferred) return;
    const values = this.nums[k]!;
    if (text === '') {
      values[this.rows] = NaN;
      this.missing[k]++;
      return;
    }
    if (mode === Mode.Timestamp) {
      const t = cellToTimestamp(text);
      if (Number.isNaN(t)) this.bad(k, `${showCell(text)} is not a timestamp (write e.g. 2021-06-01 00:00:00, UTC unless a zone is given, or epoch milliseconds)`);
      values[this.rows] = t;
      return;
    }
    const x = parseNumberText(text);
    if (!Number.isNaN(x)) {
      values[this.rows] = x;
    } else if (mode === Mode.Numeric) {
      this.bad(k, `${showCell(text)} is not a number, but the column is numeric`);
      values[this.rows] = NaN;
    } else {
      this.demote(k, text);
    }
  }

  /** An inferred column met a cell that is not a number: it is categorical. */
  private demote(k: number, text: string): void {
    this.nums[k] = null;
    if (this.missing[k] === this.rows) {
      // Every earlier cell was empty: nothing is lost, go on as a categorical column.
      const b = new CategoryBuilder(this.cap);
      for (let r = 0; r < this.rows; r++) b.pushMissing();
      b.push(text);
      this.cats[k] = b;
      this.known[k] = new KnownCells();
      this.modes[k] = Mode.Categorical;
    } else {
      this.modes[k] = Mode.Deferred;
    }
  }

  private endRecord(fieldCount: number, line: number): void {
    if (fieldCount !== this.headerLength) {
      throw fieldCountError(this.file, fieldCount, this.headerLength, line);
    }
    if (this.errorK !== NO_ERROR) throw new FileInputError(this.file, this.errorMessage, line, this.wanted[this.errorK]);
    if (++this.rows === this.cap) this.grow(this.cap * 2);
  }

  /**
   * A buffer for the file's bytes: in options.arena (the kernel then parses them where they lie,
   * see CsvKernel.load), else an ordinary one.
   */
  private buffer(bytes: number): Buffer {
    const arena = this.options.arena;
    const at = arena ? arena.alloc(bytes) : -1;
    return at >= 0 ? Buffer.from(arena!.memory.buffer, at, bytes) : Buffer.allocUnsafe(bytes);
  }

  /** A column of `n` numbers: in options.arena, or a SharedArrayBuffer when options.shared asks for one. */
  private float64(n: number): Float64Array {
    const inArena = this.options.arena?.float64(n);
    if (inArena) return inArena;
    return this.options.shared ? new Float64Array(new SharedArrayBuffer(n * 8)) : new Float64Array(n);
  }

  /** Gives every typed column room for `cap` rows. */
  private grow(cap: number): void {
    if (cap <= this.cap) return;
    this.place(cap);
    for (let k = 0; k < this.n; k++) this.cats[k]?.reserve(cap);
    this.cap = cap;
  }

  /**
   * Moves the numeric columns to new arrays of `cap` numbers: one block of the arena while the
   * kernel works there (column k at block + 8·k·cap, every wanted column having its place, so
   * that the kernel writes its values in place: see kernelLines), else one array each.
   */
  private place(cap: number): void {
    const arena = this.options.arena;
    const block = arena && this.kernel?.worksIn(arena) ? arena.alloc(8 * this.n * cap) : -1;
    for (let k = 0; k < this.n; k++) {
      const old = this.nums[k];
      if (old) {
        const v = block >= 0 ? new Float64Array(arena!.memory.buffer, block + 8 * k * cap, cap) : this.float64(cap);
        v.set(old.subarray(0, Math.min(old.length, cap))); // all of it: an unfinished record may have cells in slot `rows` already
        this.nums[k] = v;
      }
    }
    this.block = block;
  }

  // ---------------------------------------------------------------- plain lines

  /**
   * One line without any double quote, bytes `start` to `end` of `b` (b[end] is its LF), split as
   * the tokenizer would split it: fields at commas, CRs dropped, a line of nothing but CRs skipped
   * as blank. Numbers are parsed from the bytes; other cells are decoded (UTF-8) one by one, which
   * gives the text the tokenizer would see: fields end at ASCII bytes, never inside a character.
   */
  private plainLine(b: Buffer, start: number, end: number): void {
    if (start === end) return;
    if (b[start] === CR) {
      let j = start;
      while (j < end && b[j] === CR) j++;
      if (j === end) return;
    }
    const slot = this.slot;
    const hl = this.headerLength;
    const modes = this.modes;
    const nums = this.nums;
    const row = this.rows;
    let i = start;
    let f = 0;
    for (;;) {
      const k = f < hl ? slot[f] : -1;
      if (k < 0) {
        while (i < end && b[i] !== COMMA) i++;
      } else {
        let done = false;
        if (modes[k] <= Mode.Inferred && i < end) {
          // A number parsed in place; anything unusual (spaces, CRs inside, not a number) falls
          // through to the general path below.
          const j = scanDecimalBytes(b, i, nums[k]!, row);
          if (j >= 0) {
            const c = b[j]; // the LF at the end of the line, at worst
            if (c === COMMA || j === end || (c === CR && (j + 1 === end || b[j + 1] === COMMA))) {
              i = c === CR ? j + 1 : j;
              done = true;
            }
          }
          // (Not done: the general path stores this cell's value over the one stored here.)
        }
        if (!done) {
          let j = i;
          let cr = false;
          for (; j < end; j++) {
            const c = b[j];
            if (c === COMMA) break;
            if (c === CR) cr = true;
          }
          const known = this.known[k];
          if (known && !cr && j > i) {
            known.push(this.cats[k]!, b, i, j);
          } else {
            const text = b.toString('utf8', i, j);
            this.cell(k, cr ? text.replace(/\r/g, '') : text);
          }
          i = j;
        }
      }
      f++;
      if (i >= end) break;
      i++; // the comma
    }
    this.endRecord(f, this.line);
  }

  // ---------------------------------------------------------------- the kernel

  /** Whether the kernel holds this chunk's lines (load copies them once per chunk). */
  private kernelLoaded = false;

  /**
   * Lets the kernel parse the complete lines of b from `p` (a line start) on, up to the first line
   * it gives back, and takes its rows. Returns where the reader goes on: the end of the complete
   * lines, or the start of the line given back, which the caller handles as without the kernel.
   */
  private kernelLines(b: Buffer, p: number, end: number): number {
    const kernel = this.kernel!;
    // A column no longer numeric (a cell inferred it categorical), or a file where most lines
    // are given back (say, many empty cells): the reader alone from here on.
    if (!this.allNumeric() || (this.kernelMisses > 1000 && this.kernelRows < 16 * this.kernelMisses)) {
      this.kernel = null;
      return p;
    }
    if (!this.kernelLoaded) {
      const last = b.lastIndexOf(LF, end - 1);
      if (last < p) return p;
      if (!kernel.load(b, p, last + 1)) {
        this.kernel = null; // (its arena is full)
        return p;
      }
      this.kernelLoaded = true;
    }
    while (p < kernel.loadedEnd) {
      // Into the columns themselves when they are a block of its arena, leaving slot `rows` free
      // as records do (endRecord); else into its own output, copied.
      if (this.block >= 0 && this.rows + 1 >= this.cap) this.grow(this.cap * 2);
      const direct = this.block >= 0;
      const most = direct ? this.cap - this.rows - 1 : kernel.stride;
      const stop = direct ? kernel.parseInto(p, this.block + 8 * this.rows, this.cap, most) : kernel.parse(p);
      if (stop < 0) {
        this.kernel = null; // (its arena is full)
        return p;
      }
      const rows = kernel.rows;
      if (rows > 0) {
        if (!direct && this.rows + rows >= this.cap) this.grow(Math.max(this.cap * 2, this.rows + rows + 1));
        for (let k = 0; k < this.n; k++) {
          if (!direct) this.nums[k]!.set(kernel.column(k), this.rows);
          this.missing[k] += kernel.takeMissing(k);
        }
        this.rows += rows;
        this.line += rows;
        this.kernelRows += rows;
      }
      p = stop;
      if (rows < most) break; // it gave a line back, or the lines are done
    }
    if (p < kernel.loadedEnd) this.kernelMisses++;
    return p;
  }

  // ---------------------------------------------------------------- the file

  /**
   * Reads the file in chunks of bytes (chunking.size). Complete lines are handled as they come:
   * plain ones by plainLine, the header and any line with a double quote (and the lines after it
   * while its record goes on) decoded and handed to the tokenizer. An unfinished line is carried
   * to the front of the buffer and completed by the next read; reads are at least as long as what
   * is carried, so a very long line costs linear time. The last line, when it has no line break,
   * goes to the tokenizer, which knows how a file may end.
   */
  async read(): Promise<TableData> {
    const { file, options, size } = this;
    const progress = options.onProgress;
    const tok = this.tok;
    /** Whether the tokenizer holds an unfinished record (it must see the next line first). */
    let inTokenizer = false;
    const toTokenizer = (text: string): void => {
      tok.line = this.line;
      inTokenizer = tok.pushRecord(text, 0) < 0;
      this.line = tok.line;
    };
    let fh: FileHandle;
    try {
      fh = await open(file, 'r');
    } catch (err) {
      throw new FileInputError(file, `cannot read the file: ${(err as Error).message}`);
    }
    let buf = this.buffer(2 * Math.max(1, chunking.size));
    let have = 0; // bytes carried at the front of buf: the start of an unfinished line
    let bytesRead = 0;
    let bom = true; // a byte order mark may still be at the front
    let sized = false;
    let chunks = 0;
    try {
      for (;;) {
        const want = Math.max(1, chunking.size, have);
        if (buf.length < have + want) {
          const b = this.buffer(2 * (have + want));
          buf.copy(b, 0, 0, have);
          buf = b;
        }
        let n: number;
        try {
          // Read in this thread: a read handed to the thread pool leaves this one waiting for it,
          // each chunk (some 5% of a big read). The event loop gets a turn every few chunks.
          n = readSync(fh.fd, buf, have, want, null);
        } catch (err) {
          throw new FileInputError(file, `cannot read the file: ${(err as Error).message}`);
        }
        if (++chunks % YIELD_CHUNKS === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        bytesRead += n;
        const end = have + n;
        let p = 0;
        if (bom) {
          if (end < 3 && n > 0) {
            have = end;
            continue;
          }
          bom = false;
          if (end >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) p = 3;
        }
        if (n === 0) {
          // The end of the file: a last line without a line break goes to the tokenizer.
          if (p < end) toTokenizer(buf.toString('utf8', p, end));
          if (p < end || inTokenizer) tok.end();
          break;
        }
        const text = buf.subarray(0, end);
        let quote = text.indexOf(QUOTE, p);
        this.kernelLoaded = false;
        for (;;) {
          if (this.kernel !== null && !inTokenizer) p = this.kernelLines(text, p, end);
          const lf = text.indexOf(LF, p);
          if (lf < 0) break;
          if (inTokenizer || this.header === null || (quote >= 0 && quote < lf)) {
            toTokenizer(text.toString('utf8', p, lf + 1));
            if (quote >= 0 && quote < lf) quote = text.indexOf(QUOTE, lf + 1);
          } else {
            this.plainLine(text, p, lf);
            this.line++;
          }
          p = lf + 1;
        }
        if (!sized && this.rows > 0) {
          // Size the columns for the whole file from the rows so far (2% to spare, as rows differ
          // in length; a short guess only means the columns grow once more).
          sized = true;
          const consumed = bytesRead - (end - p);
          if (consumed < size) this.grow(Math.ceil(((this.rows * size) / consumed) * 1.02) + 1024);
        }
        buf.copy(buf, 0, p, end);
        have = end - p;
        progress?.(bytesRead, size);
      }
    } catch (err) {
      if (err instanceof CsvSyntaxError) throw new FileInputError(file, err.message, err.line);
      throw err;
    } finally {
      await fh.close().catch(() => {});
    }
    if (this.header === null) throw new FileInputError(file, 'the file is empty (expected a header row)');
    if (this.rows === 0) throw new FileInputError(file, 'the file has no data rows');
    return this.finish();
  }

  private async finish(): Promise<TableData> {
    const { file, rows } = this;
    const deferred = this.wanted.filter((_, k) => this.modes[k] === Mode.Deferred);
    let again: TableData | null = null;
    if (deferred.length > 0) {
      // Columns that turned out categorical after numbers: read again, on their own.
      const kinds = Object.fromEntries(deferred.map((c) => [c, 'categorical' as const]));
      again = await readCsvTable(file, this.size, { columns: deferred, kinds });
      if (again.rows !== rows) throw new FileInputError(file, `the file changed while it was read (${rows} rows, then ${again.rows})`);
    }
    const columns = new Map<string, ColumnData>();
    this.wanted.forEach((name, k) => {
      const mode = this.modes[k];
      if (mode === Mode.Deferred) {
        columns.set(name, again!.columns.get(name)!);
      } else if (mode === Mode.Categorical) {
        columns.set(name, this.cats[k]!.finish(name));
      } else {
        const all = this.nums[k]!;
        // Trimmed: a view when little is left over (the usual case, sized from the first chunk:
        // copying would need the memory twice for a moment), else a copy. Always a view in an
        // arena, which never gives memory back.
        let values = all;
        if (all.length - rows > rows >> 4 && !(this.options.arena && WasmArena.holding(all))) {
          values = this.float64(rows);
          values.set(all.subarray(0, rows));
        } else if (all.length !== rows) {
          values = all.subarray(0, rows);
        }
        this.nums[k] = null; // let an untrimmed array go before the next column is copied
        const missing = this.missing[k];
        columns.set(name, mode === Mode.Timestamp ? { kind: 'timestamp', name, values, missing } : { kind: 'numeric', name, values, missing });
      }
    });
    return { file, rows, columns };
  }
}
