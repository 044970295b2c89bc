/**
 * Arrow IPC files (the "file" format, .arrow/.feather v2, and the "stream" format, .arrows),
 * read record batch by record batch with apache-arrow's RecordBatchReader. Arrow columns are
 * already typed: floats and integers read as numbers (64-bit integers converted to doubles),
 * strings, dictionaries and booleans as categories, timestamps as epoch milliseconds.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { RecordBatchReader, type RecordBatch, type Vector } from 'apache-arrow';
import { FileInputError } from '../../errors.js';
import { missingColumnError, type RowSource } from './two-pass.js';
import type { Cell } from './values.js';

export class ArrowSource implements RowSource {
  readonly position = 'record';
  readonly textual = false;
  constructor(readonly file: string, readonly size: number) {}

  /** The file's column names (from its schema). */
  async header(): Promise<string[]> {
    return this.scan([], () => {});
  }

  /** Checks the first bytes: "ARROW1" starts the file format, 0xFFFFFFFF a stream message. */
  private async checkMagic(): Promise<void> {
    const head = Buffer.alloc(6);
    try {
      const fd = await open(this.file, 'r');
      try {
        await fd.read(head, 0, 6, 0);
      } finally {
        await fd.close();
      }
    } catch (err) {
      throw new FileInputError(this.file, `cannot read the file: ${(err as Error).message}`);
    }
    if (head.toString('latin1') !== 'ARROW1' && head.readUInt32LE(0) !== 0xffffffff) {
      throw new FileInputError(this.file, 'not an Arrow IPC file (it starts neither with ARROW1 nor with an Arrow stream message)');
    }
  }

  async scan(wanted: readonly string[], onRow: (cells: Cell[], record: number) => void, onBytes?: (bytesRead: number) => void): Promise<string[]> {
    const file = this.file;
    await this.checkMagic();
    const stream = createReadStream(file);
    let names: string[] | null = null;
    const cells: Cell[] = wanted.map(() => null);
    let record = 0;
    try {
      const reader = await RecordBatchReader.from(stream);
      for await (const batch of reader as AsyncIterable<RecordBatch>) {
        if (names === null) {
          names = batch.schema.fields.map((f) => f.name);
          const absent = wanted.filter((c) => !names!.includes(c));
          if (absent.length > 0) throw missingColumnError(file, absent, names);
        }
        const children = wanted.map((c) => batch.getChild(c) as Vector);
        for (let i = 0; i < batch.numRows; i++) {
          record++;
          for (let k = 0; k < children.length; k++) cells[k] = children[k].get(i) as Cell;
          onRow(cells, record);
        }
        onBytes?.(stream.bytesRead);
      }
      // A file with a schema but no batches still has column names.
      names ??= reader.schema ? reader.schema.fields.map((f) => f.name) : null;
    } catch (err) {
      if (err instanceof FileInputError) throw err;
      const e = err as NodeJS.ErrnoException;
      throw new FileInputError(file, e.syscall ? `cannot read the file: ${e.message}` : `not a readable Arrow IPC file: ${e.message}`);
    } finally {
      stream.destroy();
    }
    if (names === null) throw new FileInputError(file, 'not an Arrow IPC file (no schema found; is the file empty?)');
    return names;
  }
}
