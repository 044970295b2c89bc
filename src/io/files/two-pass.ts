/**
 * Reading a row-oriented file (CSV, JSON Lines) into typed columns in two passes.
 *
 * Pass 1 streams the file to count its rows and learn each column's kind (and to catch bad cells
 * early). Pass 2 streams it again and writes every cell straight into a typed array allocated at
 * the exact row count. Nothing but the typed columns stays in memory: no row objects, no copy of
 * the text. Reading twice costs time, not memory; the OS page cache makes the second pass cheap.
 */
import { FileInputError } from '../../errors.js';
import type { ColumnData, ColumnKind, ReadOptions, TableData } from './types.js';
import { CategoryBuilder, Float64Builder, cellToNumber, cellToTimestamp, cellToCategory, isMissing, type Cell } from './values.js';

/** One streaming pass over the data rows of a file. */
export interface RowSource {
  readonly file: string;
  /**
   * Whether text cells that read as numbers count as numbers when inferring kinds: true for CSV
   * (everything is text), false for JSON Lines (where "42" in quotes is deliberately a string).
   */
  readonly textual: boolean;
  /**
   * Streams the file once. For every data row calls `onRow(cells, line)` where `cells[k]` is the
   * value of `wanted[k]` (the array is reused between rows: read it, do not keep it). Resolves to
   * the names of every column seen in the file. May throw FileInputError early when a wanted column
   * is certainly absent (a CSV header tells at once).
   */
  scan(wanted: readonly string[], onRow: (cells: Cell[], line: number) => void, onBytes?: (bytesRead: number) => void): Promise<string[]>;
  /** File size in bytes, for progress. */
  readonly size: number;
  /**
   * What the position handed to onRow counts: text lines (CSV, JSON Lines) or records (binary
   * formats, where "line 12" would mean nothing). Errors are worded accordingly.
   */
  readonly position: 'line' | 'record';
}

/** The error for requested columns that the file does not have; lists the ones it has. */
export function missingColumnError(file: string, missing: readonly string[], available: readonly string[]): FileInputError {
  const what = missing.length === 1 ? `no column "${missing[0]}"` : `no columns ${missing.map((m) => `"${m}"`).join(', ')}`;
  return new FileInputError(file, `${what}; the file has: ${available.join(', ') || '(no columns)'}`, undefined, missing[0]);
}

/** Shows a cell in an error message, cut short if long. */
export function showCell(cell: Cell): string {
  const s = typeof cell === 'string' ? cell : String(cell);
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}

export async function readTwoPass(source: RowSource, options: ReadOptions): Promise<TableData> {
  const { file } = source;
  const wanted = [...options.columns];
  const forced = options.kinds ?? {};
  const n = wanted.length;
  const progress = options.onProgress;
  // Two passes: report each as half of the work.
  const onBytes1 = progress ? (b: number) => progress(b / 2, source.size) : undefined;
  const onBytes2 = progress ? (b: number) => progress(source.size / 2 + b / 2, source.size) : undefined;

  // ---- pass 1: count rows, infer kinds, check forced kinds.
  // A bad cell's error: at a line (text files) or a record (binary files).
  const cellError = (message: string, pos: number, column: string): FileInputError =>
    source.position === 'line' ? new FileInputError(file, message, pos, column) : new FileInputError(file, `record ${pos}: ${message}`, undefined, column);
  const kinds: (ColumnKind | undefined)[] = wanted.map((c) => forced[c]);
  const numericSoFar = wanted.map(() => true);
  let rows = 0;
  const seen = await source.scan(wanted, (cells, line) => {
    rows++;
    for (let k = 0; k < n; k++) {
      const cell = cells[k];
      if (isMissing(cell)) continue;
      const kind = kinds[k];
      if (kind === 'numeric') {
        if (Number.isNaN(cellToNumber(cell))) throw cellError(`${showCell(cell)} is not a number, but the column is numeric`, line, wanted[k]);
      } else if (kind === 'timestamp') {
        if (Number.isNaN(cellToTimestamp(cell))) {
          throw cellError(`${showCell(cell)} is not a timestamp (write e.g. 2021-06-01 00:00:00, UTC unless a zone is given, or epoch milliseconds)`, line, wanted[k]);
        }
      } else if (kind === undefined && numericSoFar[k]) {
        const numeric = typeof cell === 'number' || typeof cell === 'bigint' || (source.textual && typeof cell === 'string' && !Number.isNaN(cellToNumber(cell)));
        if (!numeric) numericSoFar[k] = false;
      }
    }
  }, onBytes1);
  const absent = wanted.filter((c) => !seen.includes(c));
  if (absent.length > 0) throw missingColumnError(file, absent, seen);
  if (rows === 0) throw new FileInputError(file, 'the file has no data rows');
  for (let k = 0; k < n; k++) kinds[k] ??= numericSoFar[k] ? 'numeric' : 'categorical';

  // ---- pass 2: fill typed columns of exactly `rows` rows.
  const builders = kinds.map((kind) => (kind === 'categorical' ? new CategoryBuilder(rows) : new Float64Builder(rows)));
  let rows2 = 0;
  await source.scan(wanted, (cells) => {
    rows2++;
    if (rows2 > rows) return;
    for (let k = 0; k < n; k++) {
      const cell = cells[k];
      const b = builders[k];
      if (isMissing(cell)) b.pushMissing();
      else if (b instanceof CategoryBuilder) b.push(cellToCategory(cell));
      else b.push(kinds[k] === 'numeric' ? cellToNumber(cell) : cellToTimestamp(cell));
    }
  }, onBytes2);
  if (rows2 !== rows) throw new FileInputError(file, `the file changed while it was read (${rows} rows, then ${rows2})`);

  const columns = new Map<string, ColumnData>();
  wanted.forEach((name, k) => {
    const b = builders[k];
    columns.set(name, b instanceof CategoryBuilder ? b.finish(name) : kinds[k] === 'numeric' ? b.finishNumeric(name) : b.finishTimestamp(name));
  });
  return { file, rows, columns };
}
