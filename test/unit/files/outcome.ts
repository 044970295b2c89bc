// The whole outcome of reading a file, for tests that compare two readers.
import type { TableData } from '../../../src/io/files/index.js';

/** The whole outcome of a read, comparable with toEqual (NaN and -0 kept apart). */
export async function outcome(p: Promise<TableData>): Promise<unknown> {
  try {
    const t = await p;
    const columns = [...t.columns.values()].map((c) => ({
      ...c,
      ...(c.kind === 'categorical' ? { codes: [...c.codes] } : { values: [...c.values].map((x) => (Object.is(x, -0) ? '-0' : Number.isNaN(x) ? 'NaN' : x)) }),
    }));
    return { rows: t.rows, columns };
  } catch (err) {
    const e = err as Error & { line?: number; column?: string };
    return { error: e.message, line: e.line, column: e.column, type: e.constructor.name };
  }
}
