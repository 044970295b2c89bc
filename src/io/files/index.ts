/**
 * Reading tabular files into typed columns: CSV (with a header row), JSON Lines, Arrow IPC and
 * Avro object container files, chosen by the file name's extension. Only the requested columns are
 * kept in memory, as typed arrays (see types.ts). Every problem with a file is a FileInputError
 * naming the file and, where it applies, the line (or record) and column.
 *
 *   const table = await readTable('data.csv', { columns: ['age', 'city'], kinds: { age: 'numeric' } });
 */
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { FileInputError } from '../../errors.js';
import { CsvSource } from './csv.js';
import { readCsvTable } from './csv-read.js';
import { JsonLinesSource } from './jsonl.js';
import { readTwoPass, type RowSource } from './two-pass.js';
import type { FileFormat, ReadOptions, TableData } from './types.js';

export type * from './types.js';
export { parseTimestampText, parseNumberText } from './values.js';

const EXTENSIONS: Record<string, FileFormat> = {
  '.csv': 'csv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.arrow': 'arrow',
  '.arrows': 'arrow',
  '.feather': 'arrow',
  '.ipc': 'arrow',
  '.avro': 'avro',
};

/** The format of a file from its extension; throws FileInputError for unknown extensions. */
export function formatOf(file: string): FileFormat {
  const format = EXTENSIONS[extname(file).toLowerCase()];
  if (!format) throw new FileInputError(file, `unknown file type "${extname(file)}"; driftline reads ${Object.keys(EXTENSIONS).join(', ')}`);
  return format;
}

async function sourceFor(file: string): Promise<RowSource & { header?: () => Promise<string[]> }> {
  const format = formatOf(file);
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new FileInputError(file, 'cannot read the file: not a regular file');
    size = s.size;
  } catch (err) {
    if (err instanceof FileInputError) throw err;
    throw new FileInputError(file, `cannot read the file: ${(err as Error).message}`);
  }
  if (size === 0) throw new FileInputError(file, 'the file is empty');
  switch (format) {
    case 'csv': return new CsvSource(file, size);
    case 'jsonl': return new JsonLinesSource(file, size);
    // Loaded when needed: apache-arrow alone takes longer to load than the rest of compare.
    case 'arrow': return new (await import('./arrow.js')).ArrowSource(file, size);
    case 'avro': return new (await import('./avro.js')).AvroSource(file, size);
  }
}

/**
 * The column names of a file. Cheap for CSV (the header), Arrow and Avro (the schema); JSON Lines
 * has no header, so its whole file is scanned for keys.
 */
export async function listColumns(file: string): Promise<string[]> {
  const source = await sourceFor(file);
  if (source.header) return source.header();
  return source.scan([], () => {});
}

/** Reads the requested columns of a file as typed columns. */
export async function readTable(file: string, options: ReadOptions): Promise<TableData> {
  const columns = [...new Set(options.columns)];
  const source = await sourceFor(file);
  // CSV has a one-pass reader of its own (same results and errors, much less work per cell).
  if (source instanceof CsvSource) return readCsvTable(file, source.size, { ...options, columns });
  return readTwoPass(source, { ...options, columns });
}
