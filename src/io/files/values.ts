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
 * "0x1f", "Infinity" and "" (as 0). The scanner below implements exactly this grammar; the regex
 * stays as the reference (and as the path for text with non-ASCII characters, see parseNumberText).
 */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The number in `text` the slow, obvious way: trim, match the grammar, convert. */
function parseNumberTextSlow(text: string): number {
  const t = text.trim();
  if (!DECIMAL.test(t)) return NaN;
  const x = Number(t);
  return Number.isFinite(x) ? x : NaN;
}

/** 10^0 .. 10^22: every one of them is exactly representable as a double. */
const POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/** Where the last call of scanDecimal stopped (one past the last character of the number). */
export let scanEnd = 0;

/**
 * Scans a decimal number (the DECIMAL grammar, no surrounding spaces) that starts at `start` in
 * `s`, reading no further than `end`. Stops at the first character that cannot continue it and
 * records that position in `scanEnd`; the caller decides whether what follows is acceptable.
 * Returns the finite value, or NaN when no number starts at `start` (or it is not finite, or an
 * exponent marker has no digits). The value is bit-identical to `Number(s.slice(start, scanEnd))`:
 * when at most 15 significant digits and a power of ten within 10^±22 are involved, both the digits
 * and the power are exact doubles and one multiplication or division rounds correctly (Clinger's
 * fast path); anything else is handed to Number().
 */
export function scanDecimal(s: string, start: number, end: number): number {
  let i = start;
  let c = i < end ? s.charCodeAt(i) : 0;
  let neg = false;
  if (c === 45 /* - */ || c === 43 /* + */) {
    neg = c === 45;
    c = ++i < end ? s.charCodeAt(i) : 0;
  }
  let m = 0; // the digits as an integer (exact while nd <= 15)
  let nd = 0; // significant digits (from the first non-zero one)
  let fd = 0; // digits after the point
  let any = false;
  while (c >= 48 && c <= 57) {
    m = m * 10 + (c - 48);
    if (m !== 0) nd++;
    any = true;
    c = ++i < end ? s.charCodeAt(i) : 0;
  }
  if (c === 46 /* . */) {
    c = ++i < end ? s.charCodeAt(i) : 0;
    while (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      if (m !== 0) nd++;
      fd++;
      any = true;
      c = ++i < end ? s.charCodeAt(i) : 0;
    }
  }
  if (!any) {
    scanEnd = i;
    return NaN;
  }
  let e10 = -fd;
  if (c === 101 /* e */ || c === 69 /* E */) {
    c = ++i < end ? s.charCodeAt(i) : 0;
    let eneg = false;
    if (c === 45 || c === 43) {
      eneg = c === 45;
      c = ++i < end ? s.charCodeAt(i) : 0;
    }
    if (!(c >= 48 && c <= 57)) {
      scanEnd = i;
      return NaN;
    }
    let ex = 0;
    while (c >= 48 && c <= 57) {
      if (ex < 100_000_000) ex = ex * 10 + (c - 48);
      c = ++i < end ? s.charCodeAt(i) : 0;
    }
    e10 += eneg ? -ex : ex;
  }
  scanEnd = i;
  if (nd <= 15 && e10 >= -22 && e10 <= 22) {
    const v = e10 < 0 ? m / POW10[-e10] : m * POW10[e10];
    return neg ? -v : v;
  }
  const x = Number(s.slice(start, i));
  return Number.isFinite(x) ? x : NaN;
}

/**
 * scanDecimal on bytes (ASCII text in a Buffer), for the CSV reader, which parses numbers straight
 * from the file's bytes: the same grammar, the same steps, the same value. It differs in what it
 * returns: it stores the value in out[at] and returns where the number ends (scanDecimal's
 * scanEnd), or returns -1 (storing nothing) where scanDecimal returns NaN. So no number is ever
 * boxed on its way to its column. And it has no end to check: it stops at the first byte that
 * cannot continue the number, so the text must be followed by such a byte (the reader's lines end
 * with a line feed).
 */
export function scanDecimalBytes(b: Uint8Array, start: number, out: Float64Array, at: number): number {
  // The common case (digits, a point, digits, no exponent, at most 15 significant digits and 22
  // fraction digits) here, in a function small enough for V8 to inline in the reader's loop; the
  // rest in scanDecimalBytesRest.
  let i = start;
  let c = b[i];
  let neg = false;
  if (c === 45 /* - */ || c === 43 /* + */) {
    neg = c === 45;
    c = b[++i];
  }
  // No count of digits kept (scanDecimal's nd): m < 1e15 exactly when at most 15 digits from the
  // first non-zero one were read (m is then exact; with more, it is 1e15 or more, as rounding is
  // monotone); nor of fraction digits: they are told by where the fraction starts and ends.
  let m = 0;
  const i0 = i;
  while (c >= 48 && c <= 57) {
    m = m * 10 + (c - 48);
    c = b[++i];
  }
  let fd = 0;
  if (c === 46 /* . */) {
    c = b[++i];
    const f0 = i;
    while (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      c = b[++i];
    }
    fd = i - f0;
    if (fd === 0 && f0 - 1 === i0) return -1; // no digit at all
  } else if (i === i0) return -1;
  if (c === 101 /* e */ || c === 69 /* E */ || !(m < 1e15) || fd > 22) return scanDecimalBytesRest(b, start, i, m, fd, neg, out, at);
  const v = m / POW10[fd];
  out[at] = neg ? -v : v;
  return i;
}

/** scanDecimalBytes from an exponent on, or for numbers too long to be read exactly as above. */
function scanDecimalBytesRest(b: Uint8Array, start: number, i: number, m: number, fd: number, neg: boolean, out: Float64Array, at: number): number {
  let c = b[i];
  let e10 = -fd;
  if (c === 101 /* e */ || c === 69 /* E */) {
    c = b[++i];
    let eneg = false;
    if (c === 45 || c === 43) {
      eneg = c === 45;
      c = b[++i];
    }
    if (!(c >= 48 && c <= 57)) return -1;
    let ex = 0;
    while (c >= 48 && c <= 57) {
      if (ex < 100_000_000) ex = ex * 10 + (c - 48);
      c = b[++i];
    }
    e10 += eneg ? -ex : ex;
  }
  if (m < 1e15 && e10 >= -22 && e10 <= 22) {
    const v = e10 < 0 ? m / POW10[-e10] : m * POW10[e10];
    out[at] = neg ? -v : v;
    return i;
  }
  let text = '';
  for (let k = start; k < i; k++) text += String.fromCharCode(b[k]);
  const x = Number(text);
  if (!Number.isFinite(x)) return -1;
  out[at] = x;
  return i;
}

/** Whether a character code is white space that String.prototype.trim removes, among ASCII. */
function isAsciiSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** The number written in `text`, or NaN when it is not a finite decimal number. */
export function parseNumberText(text: string): number {
  const len = text.length;
  let i = 0;
  let c = 0;
  while (i < len && isAsciiSpace((c = text.charCodeAt(i)))) i++;
  if (i === len) return NaN;
  // Any non-ASCII character (which might be Unicode white space, as trim() sees it): the slow path.
  if (c >= 128) return parseNumberTextSlow(text);
  const x = scanDecimal(text, i, len);
  let j = scanEnd;
  if (j === len) return x;
  while (j < len && isAsciiSpace((c = text.charCodeAt(j)))) j++;
  if (j === len) return x;
  return c >= 128 ? parseNumberTextSlow(text) : NaN;
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
  /** Makes room for `capacity` codes in all (a reader's estimate of the row count). */
  reserve(capacity: number): void {
    if (capacity <= this.codes.length) return;
    const v = new Int32Array(capacity);
    v.set(this.codes.subarray(0, this.length));
    this.codes = v;
  }
  /** Adds a row with the category of that code (a code push() returned). */
  pushCode(c: number): void {
    if (this.length === this.codes.length) {
      const v = new Int32Array(this.codes.length * 2);
      v.set(this.codes);
      this.codes = v;
    }
    this.codes[this.length++] = c;
  }
  /** Adds a row with this category; returns its code. */
  push(value: string): number {
    let c = this.index.get(value);
    if (c === undefined) {
      c = this.dictionary.length;
      this.index.set(value, c);
      this.dictionary.push(value);
    }
    this.pushCode(c);
    return c;
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
