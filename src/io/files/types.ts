/**
 * The in-memory shape of a table read from a file, shared by every reader in this folder.
 *
 * A table holds only the columns the caller asked for, each as a typed column:
 * - numeric:     one Float64Array slot per row, NaN where the cell is missing;
 * - categorical: one Int32Array code per row (-1 where missing) plus the dictionary of distinct
 *                values, in order of first appearance;
 * - timestamp:   milliseconds since the Unix epoch (UTC) in a Float64Array, NaN where missing.
 * So a 100,000-row numeric column costs 800 kB however it was written in the file.
 */

import type { WasmArena } from '../../stats/arena.js';

/** The kinds a caller can ask for (or force) per column. */
export type ColumnKind = 'numeric' | 'categorical' | 'timestamp';

export interface NumericColumnData {
  readonly kind: 'numeric';
  readonly name: string;
  /** One value per row; NaN marks a missing cell. */
  readonly values: Float64Array;
  readonly missing: number;
}

export interface CategoricalColumnData {
  readonly kind: 'categorical';
  readonly name: string;
  /** One code per row, an index into `dictionary`; -1 marks a missing cell. */
  readonly codes: Int32Array;
  readonly dictionary: readonly string[];
  readonly missing: number;
}

export interface TimestampColumnData {
  readonly kind: 'timestamp';
  readonly name: string;
  /** Milliseconds since the epoch (UTC); NaN marks a missing cell. */
  readonly values: Float64Array;
  readonly missing: number;
}

export type ColumnData = NumericColumnData | CategoricalColumnData | TimestampColumnData;

export interface TableData {
  /** The file it was read from (for messages). */
  readonly file: string;
  readonly rows: number;
  /** The requested columns, in the order they were requested. */
  readonly columns: ReadonlyMap<string, ColumnData>;
}

export interface ReadOptions {
  /** Columns to read, in order. Each must exist in the file. */
  readonly columns: readonly string[];
  /**
   * Forced kinds by column name. A column not named here gets its kind inferred from its values
   * (numeric when every non-missing value is a number, else categorical). Timestamps are never
   * inferred: ask for them here.
   */
  readonly kinds?: Readonly<Record<string, ColumnKind>>;
  /** Called now and then while reading with the bytes read so far and the file size. */
  readonly onProgress?: (bytesRead: number, totalBytes: number) => void;
  /**
   * Numeric and timestamp columns in SharedArrayBuffers, so that worker threads can read them
   * without a copy (postMessage shares them). A hint: only the CSV reader honours it.
   */
  readonly shared?: boolean;
  /**
   * Numeric and timestamp columns in this arena (shared too), where the statistics' kernels read
   * them without a copy; ordinary arrays once it is full. A hint: only the CSV reader honours it.
   */
  readonly arena?: WasmArena;
}

/** The file formats this folder can read, chosen from the file name's extension. */
export type FileFormat = 'csv' | 'jsonl' | 'arrow' | 'avro';
