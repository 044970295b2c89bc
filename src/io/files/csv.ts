/**
 * CSV with a header row, as RFC 4180 describes it: fields separated by commas, records by CRLF or
 * LF; a field in double quotes may hold commas, line breaks and doubled quotes ("" for ").
 * Lenient where files in the wild differ: a quote inside an unquoted field is kept as text, and a
 * blank line is skipped. Empty fields (quoted or not) are missing values.
 *
 * The tokenizer is a small state machine fed chunk by chunk from a file stream, so a file of any
 * size is read in constant memory; it hands over only the fields of the wanted columns.
 */
import { createReadStream } from 'node:fs';
import { FileInputError } from '../../errors.js';
import { missingColumnError, type RowSource } from './two-pass.js';
import type { Cell } from './values.js';

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;

/** Where the tokenizer is between two characters. */
const enum State {
  /** At the start of a field. */
  FieldStart,
  /** Inside an unquoted field. */
  Unquoted,
  /** Inside a quoted field. */
  Quoted,
  /** Just after a quote inside a quoted field: either the closing quote or the first of "". */
  QuoteInQuoted,
}

/**
 * Splits CSV text into records. Calls `onField(index, text)` for every field of a record and
 * `onRecord(fieldCount, line)` at its end, with the (1-based) line the record started on.
 */
export class CsvTokenizer {
  private state = State.FieldStart;
  /** Text of the current field gathered from earlier chunks (or before a "" escape). */
  private pending = '';
  private fieldIndex = 0;
  /**
   * Current physical line (1-based), counting line breaks inside quoted fields too. Public so that
   * a reader that handles plain lines itself can hand records over to the tokenizer and back.
   */
  line = 1;
  private recordLine = 1;
  /** Whether the current record has begun (so a line break ends a record, not a blank line). */
  private recordHasContent = false;
  /** Set by endRecord; lets pushRecord stop right after a record. */
  private recordEnded = false;

  constructor(
    private readonly onField: (index: number, text: string) => void,
    private readonly onRecord: (fieldCount: number, line: number) => void,
  ) {}

  private endField(text: string): void {
    this.recordHasContent = true;
    this.onField(this.fieldIndex++, text);
    this.pending = '';
  }

  private endRecord(): void {
    this.onRecord(this.fieldIndex, this.recordLine);
    this.fieldIndex = 0;
    this.recordHasContent = false;
    this.state = State.FieldStart;
    this.recordEnded = true;
  }

  push(chunk: string): void {
    this.run(chunk, 0, false);
  }

  /**
   * Feeds `chunk` from `start` and stops just after the end of the first record that ends in it.
   * Returns the position after that record's line break, or -1 when the chunk ran out first (the
   * tokenizer then keeps the unfinished record, and later chunks continue it).
   */
  pushRecord(chunk: string, start: number): number {
    return this.run(chunk, start, true);
  }

  private run(chunk: string, start: number, stopAfterRecord: boolean): number {
    const len = chunk.length;
    let i = start;
    // Start of the run of characters of the current field that lie in this chunk.
    let runStart = start;
    this.recordEnded = false;
    while (i < len) {
      if (stopAfterRecord && this.recordEnded) return i;
      const c = chunk.charCodeAt(i);
      switch (this.state) {
        case State.FieldStart:
          if (this.fieldIndex === 0 && !this.recordHasContent) this.recordLine = this.line;
          if (c === QUOTE) {
            this.state = State.Quoted;
            this.recordHasContent = true;
            runStart = i + 1;
          } else if (c === COMMA) {
            this.endField('');
          } else if (c === LF) {
            // After a separator: a last, empty field. At the start of a line: a blank line, skipped.
            if (this.fieldIndex > 0) {
              this.endField('');
              this.endRecord();
            }
            this.line++;
          } else if (c !== CR) {
            // The first character of an unquoted field: the Unquoted state takes it from here.
            // (A CR outside quotes is dropped: CRLF ends a record like LF.)
            this.state = State.Unquoted;
            runStart = i;
            break;
          }
          i++;
          break;
        case State.Unquoted: {
          // Fast path: scan to the end of the field and take it as one slice.
          let j = i;
          let d = 0;
          while (j < len) {
            d = chunk.charCodeAt(j);
            if (d === COMMA || d === LF || d === CR) break;
            j++;
          }
          this.pending += chunk.slice(runStart, j);
          if (j === len) {
            i = len; // the field goes on in the next chunk
          } else if (d === CR) {
            runStart = i = j + 1; // dropped; a LF should follow
          } else {
            this.endField(this.pending);
            this.state = State.FieldStart;
            if (d === LF) {
              this.endRecord();
              this.line++;
            }
            i = j + 1;
          }
          break;
        }
        case State.Quoted: {
          let j = i;
          while (j < len) {
            const d = chunk.charCodeAt(j);
            if (d === QUOTE) break;
            if (d === LF) this.line++;
            j++;
          }
          this.pending += chunk.slice(runStart, j);
          if (j < len) this.state = State.QuoteInQuoted;
          i = j + 1;
          break;
        }
        case State.QuoteInQuoted:
          if (c === QUOTE) {
            // A doubled quote: one literal quote, still inside the field.
            this.pending += '"';
            this.state = State.Quoted;
            runStart = i + 1;
            i++;
          } else if (c === COMMA) {
            this.endField(this.pending);
            this.state = State.FieldStart;
            i++;
          } else if (c === LF) {
            this.endField(this.pending);
            this.endRecord();
            this.line++;
            i++;
          } else if (c === CR) {
            i++; // dropped; a LF should follow
          } else {
            // Text after the closing quote, as in "a"b: kept as text (lenient).
            this.state = State.Unquoted;
            runStart = i;
          }
          break;
      }
    }
    return stopAfterRecord && this.recordEnded ? i : -1;
  }

  /** Call at the end of the input; flushes a last record without a trailing line break. */
  end(): void {
    switch (this.state) {
      case State.FieldStart:
        if (this.fieldIndex > 0) {
          this.endField('');
          this.endRecord();
        }
        break;
      case State.Unquoted:
      case State.QuoteInQuoted:
        this.endField(this.pending);
        this.endRecord();
        break;
      case State.Quoted:
        throw new CsvSyntaxError(`a quoted field is never closed (it starts on line ${this.recordLine} or later)`, this.recordLine);
    }
  }
}

export class CsvSyntaxError extends Error {
  constructor(message: string, readonly line: number) {
    super(message);
  }
}

/** The size of the chunks files are read in (bytes); tests make it small to cut records apart. */
export const chunking = { size: 1 << 20 };

/** Streams the text of a file in chunks, turning I/O failures into FileInputError. */
export async function* readChunks(file: string, onBytes?: (bytesRead: number) => void): AsyncGenerator<string> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: chunking.size });
  let first = true;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      let text = chunk;
      if (first) {
        first = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // byte order mark
      }
      yield text;
      onBytes?.(stream.bytesRead);
    }
  } catch (err) {
    if (err instanceof FileInputError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.syscall) throw new FileInputError(file, `cannot read the file: ${e.message}`);
    throw err;
  } finally {
    stream.destroy();
  }
}

/**
 * The header row's column names (its fields trimmed) and slot[i]: the index in `wanted` of the
 * column of field i, or -1 when that column is not wanted. Throws when a wanted column is absent.
 */
export function headerSlots(file: string, fields: readonly string[], wanted: readonly string[]): { header: string[]; slot: Int32Array<ArrayBuffer> } {
  const header = fields.map((h) => h.trim());
  const absent = wanted.filter((c) => !header.includes(c));
  if (absent.length > 0) throw missingColumnError(file, absent, header);
  const slot = new Int32Array(header.length).fill(-1);
  wanted.forEach((c, k) => {
    slot[header.indexOf(c)] = k;
  });
  return { header, slot };
}

/** The error for a record whose number of fields is not the header's. */
export function fieldCountError(file: string, fieldCount: number, headerLength: number, line: number): FileInputError {
  return new FileInputError(file, `the row has ${fieldCount} field${fieldCount === 1 ? '' : 's'} but the header has ${headerLength}`, line);
}

/** A RowSource over a CSV file with a header row. */
export class CsvSource implements RowSource {
  readonly position = 'line';
  readonly textual = true;
  constructor(readonly file: string, readonly size: number) {}

  /** The header row's column names (reads only the start of the file). */
  async header(): Promise<string[]> {
    let names: string[] | null = null;
    const fields: string[] = [];
    const tok = new CsvTokenizer((_, text) => fields.push(text), () => {
      names ??= [...fields];
    });
    try {
      for await (const chunk of readChunks(this.file)) {
        // Up to the end of the first record only: the rest of the chunk is of no interest.
        let p = 0;
        while (!names && p >= 0 && p < chunk.length) p = tok.pushRecord(chunk, p);
        if (names) break;
      }
      if (!names) tok.end();
    } catch (err) {
      if (err instanceof CsvSyntaxError) throw new FileInputError(this.file, err.message, err.line);
      throw err;
    }
    if (!names) throw new FileInputError(this.file, 'the file is empty (expected a header row)');
    return names;
  }

  async scan(wanted: readonly string[], onRow: (cells: Cell[], line: number) => void, onBytes?: (bytesRead: number) => void): Promise<string[]> {
    const file = this.file;
    let header: string[] | null = null;
    // slot[i]: where field i of a record goes in `cells`, or -1 when that column is not wanted.
    let slot = new Int32Array(0);
    const cells: Cell[] = wanted.map(() => null);
    const headerFields: string[] = [];
    const tok = new CsvTokenizer(
      (index, text) => {
        if (header === null) headerFields.push(text);
        else if (index < slot.length && slot[index] >= 0) cells[slot[index]] = text;
      },
      (fieldCount, line) => {
        if (header === null) {
          ({ header, slot } = headerSlots(file, headerFields, wanted));
          return;
        }
        if (fieldCount !== header.length) {
          throw fieldCountError(file, fieldCount, header.length, line);
        }
        onRow(cells, line);
        cells.fill(null);
      },
    );
    try {
      for await (const chunk of readChunks(file, onBytes)) tok.push(chunk);
      tok.end();
    } catch (err) {
      if (err instanceof CsvSyntaxError) throw new FileInputError(file, err.message, err.line);
      throw err;
    }
    if (header === null) throw new FileInputError(file, 'the file is empty (expected a header row)');
    return header;
  }
}
