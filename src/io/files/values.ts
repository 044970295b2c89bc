/**
 * Turning one cell into a number, a category or a timestamp, and the growable typed columns the
 * readers fill. Every reader goes through these functions, so a value means the same thing in a CSV
 * file, a JSON Lines file, an Arrow file or an Avro file.
 */
import type { CategoricalColumnData, NumericColumnData, TimestampColumnData } from './types.js';

/** A raw cell as a reader hands it over. null (or undefined) is a missing cell. */
export type Cell = string | number | bigint | boolean | Date | null | undefined;

/**
 * A decimal number as people write it in text files: optional sign, digits with an optional
 * fraction, optional exponent. Deliberately narrower than `Number(text)`, which would also accept
 * "0x1f", "Infinity" and "" (as 0).
 */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The number written in `text`, or NaN when it is not a finite decimal number. */
export function parseNumberText(text: string): number {
  const t = text.trim();
  if (!DECIMAL.test(t)) return NaN;
  const x = Number(t);
  return Number.isFinite(x) ? x : NaN;
}

/** Whether a cell counts as missing: null, undefined or the empty string. */
export function isMissing(cell: Cell): cell is null | undefined | '' {
  return cell === null || cell === undefined || cell === '';
}

/**
 * The finite number in a (non-missing) cell, or NaN when it holds none. Strings are parsed as
 * decimal text; booleans and dates are not numbers.
 */
export function cellToNumber(cell: Cell): number {
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : NaN;
  if (typeof cell === 'bigint') return Number(cell);
  if (typeof cell === 'string') return parseNumberText(cell);
  return NaN;
}

/** The category of a (non-missing) cell, as a string. */
export function cellToCategory(cell: Cell): string {
  if (typeof cell === 'string') return cell;
  if (cell instanceof Date) return cell.toISOString();
  return String(cell);
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * Parses an ISO 8601-like date or date-time: `2021-06-01`, `2021-06-01 00:00:00`,
 * `2021-06-01T00:00:00.250Z`, `2021-06-01T02:00:00+02:00`. Text without a zone is UTC, never
 * the local time of the machine, so results do not depend on where they are computed.
 * Returns milliseconds since the epoch, or NaN when the text is not such a date.
 */
export function parseTimestampText(text: string): number {
  const m = DATE_TIME.exec(text.trim());
  if (!m) return NaN;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  // Date.UTC rolls over (month 13, day 32); reject such dates instead of moving them.
  const check = new Date(t);
  if (check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return NaN;
  if (!zone || zone.toUpperCase() === 'Z') return t;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMin = Number(digits.slice(0, 2)) * 60 + (digits.length > 2 ? Number(digits.slice(2)) : 0);
  return t - sign * offsetMin * 60_000;
}

/**
 * A timestamp cell as epoch milliseconds, or NaN. Numbers (and numeric text) are taken as epoch
 * milliseconds; Date objects as themselves; other text is parsed by parseTimestampText.
 */
export function cellToTimestamp(cell: Cell): number {
  if (cell instanceof Date) return cell.getTime();
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : NaN;
  if (typeof cell === 'bigint') return Number(cell);
  if (typeof cell === 'string') {
    const n = parseNumberText(cell);
    return Number.isNaN(n) ? parseTimestampText(cell) : n;
  }
  return NaN;
}

// ------------------------------------------------------------------ growable typed columns

/**
 * A Float64 column that grows by doubling. Readers that know the row count in advance (the CSV
 * and JSON Lines readers, on their second pass) give it as the capacity and it never grows.
 */
export class Float64Builder {
  private values: Float64Array;
  length = 0;
  missing = 0;
  constructor(capacity = 1024) {
    this.values = new Float64Array(Math.max(1, capacity));
  }
  push(x: number): void {
    if (this.length === this.values.length) {
      const v = new Float64Array(this.values.length * 2);
      v.set(this.values);
      this.values = v;
    }
    this.values[this.length++] = x;
    if (Number.isNaN(x)) this.missing++;
  }
  pushMissing(): void {
    this.push(NaN);
  }
  /** The filled part, without copying when the capacity was exact. */
  private trimmed(): Float64Array {
    return this.length === this.values.length ? this.values : this.values.slice(0, this.length);
  }
  finishNumeric(name: string): NumericColumnData {
    return { kind: 'numeric', name, values: this.trimmed(), missing: this.missing };
  }
  finishTimestamp(name: string): TimestampColumnData {
    return { kind: 'timestamp', name, values: this.trimmed(), missing: this.missing };
  }
}

/** Dictionary-encodes categories: Int32 codes per row plus the distinct values. */
export class CategoryBuilder {
  private codes: Int32Array;
  private readonly index = new Map<string, number>();
  private readonly dictionary: string[] = [];
  length = 0;
  missing = 0;
  constructor(capacity = 1024) {
    this.codes = new Int32Array(Math.max(1, capacity));
  }
  private pushCode(c: number): void {
    if (this.length === this.codes.length) {
      const v = new Int32Array(this.codes.length * 2);
      v.set(this.codes);
      this.codes = v;
    }
    this.codes[this.length++] = c;
  }
  push(value: string): void {
    let c = this.index.get(value);
    if (c === undefined) {
      c = this.dictionary.length;
      this.index.set(value, c);
      this.dictionary.push(value);
    }
    this.pushCode(c);
  }
  pushMissing(): void {
    this.missing++;
    this.pushCode(-1);
  }
  finish(name: string): CategoricalColumnData {
    const codes = this.length === this.codes.length ? this.codes : this.codes.slice(0, this.length);
    return { kind: 'categorical', name, codes, dictionary: this.dictionary, missing: this.missing };
  }
}
