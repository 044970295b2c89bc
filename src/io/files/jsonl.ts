/**
 * JSON Lines: one JSON object per line (https://jsonlines.org). Keys are columns; a key absent
 * from a line, or null, is a missing value. Numbers are numbers and strings are strings: unlike in
 * CSV, "42" in quotes stays a category unless the column is forced numeric. Nested objects and
 * arrays are kept as their JSON text (a category). Blank lines are skipped.
 */
import { FileInputError } from '../../errors.js';
import { readChunks } from './csv.js';
import type { RowSource } from './two-pass.js';
import type { Cell } from './values.js';

export class JsonLinesSource implements RowSource {
  readonly position = 'line';
  readonly textual = false;
  constructor(readonly file: string, readonly size: number) {}

  async scan(wanted: readonly string[], onRow: (cells: Cell[], line: number) => void, onBytes?: (bytesRead: number) => void): Promise<string[]> {
    const file = this.file;
    const keys = new Set<string>();
    const cells: Cell[] = wanted.map(() => null);
    let line = 0;
    const handle = (text: string): void => {
      line++;
      if (text.trim() === '') return;
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch (err) {
        throw new FileInputError(file, `not valid JSON: ${(err as Error).message}`, line);
      }
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
        throw new FileInputError(file, `expected a JSON object on every line, got ${Array.isArray(obj) ? 'an array' : JSON.stringify(obj)}`, line);
      }
      const rec = obj as Record<string, unknown>;
      for (const k in rec) keys.add(k);
      for (let i = 0; i < wanted.length; i++) {
        const v = rec[wanted[i]];
        cells[i] = v !== null && typeof v === 'object' ? JSON.stringify(v) : (v as Cell);
      }
      onRow(cells, line);
    };
    let rest = '';
    for await (const chunk of readChunks(file, onBytes)) {
      let text = rest + chunk;
      let nl = text.indexOf('\n');
      let from = 0;
      while (nl >= 0) {
        handle(text.slice(from, nl));
        from = nl + 1;
        nl = text.indexOf('\n', from);
      }
      rest = text.slice(from);
      text = '';
    }
    if (rest !== '') handle(rest);
    if (line === 0) throw new FileInputError(file, 'the file is empty');
    return [...keys];
  }
}
