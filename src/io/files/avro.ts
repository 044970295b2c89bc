/**
 * Avro object container files (Avro spec, "Object Container Files"), streamed record by record
 * with avsc's file decoder. Record fields are columns; null union branches are missing values.
 * A long field with logical type timestamp-millis is already epoch milliseconds; timestamp-micros
 * values are converted to milliseconds.
 */
import avro from 'avsc';
import { FileInputError } from '../../errors.js';
import { missingColumnError, type RowSource } from './two-pass.js';
import type { Cell } from './values.js';

/**
 * Names of the record fields whose logical type is timestamp-micros, read from the writer schema
 * in the file header (avsc drops logical types it has no implementation for from its types).
 */
function microsFields(header: { meta?: Record<string, Buffer> } | undefined): Set<string> {
  const out = new Set<string>();
  const text = header?.meta?.['avro.schema']?.toString('utf8');
  if (!text) return out;
  const schema = JSON.parse(text) as { fields?: { name: string; type: unknown }[] };
  const isMicros = (t: unknown): boolean =>
    Array.isArray(t) ? t.some(isMicros) : typeof t === 'object' && t !== null && (t as { logicalType?: string }).logicalType === 'timestamp-micros';
  for (const f of schema.fields ?? []) if (isMicros(f.type)) out.add(f.name);
  return out;
}

/** A wrapped union value ({"double": 1.5}) unwrapped; anything else unchanged. */
function unwrap(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'object' && !(v instanceof Date)) {
    if (Buffer.isBuffer(v)) return v.toString('hex');
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length === 1 && !Array.isArray(v) && v.constructor === Object) return unwrap(entries[0][1]);
    return JSON.stringify(v);
  }
  return v as Cell;
}

export class AvroSource implements RowSource {
  readonly position = 'record';
  readonly textual = false;
  constructor(readonly file: string, readonly size: number) {}

  async header(): Promise<string[]> {
    return this.scan([], () => {});
  }

  scan(wanted: readonly string[], onRow: (cells: Cell[], record: number) => void, onBytes?: (bytesRead: number) => void): Promise<string[]> {
    const file = this.file;
    return new Promise((resolve, reject) => {
      let names: string[] | null = null;
      let micros = new Set<string>();
      const cells: Cell[] = wanted.map(() => null);
      let record = 0;
      let failed = false;
      const decoder = avro.createFileDecoder(file);
      const fail = (err: unknown): void => {
        if (failed) return;
        failed = true;
        decoder.destroy();
        if (err instanceof FileInputError) return reject(err);
        const e = err as NodeJS.ErrnoException;
        reject(new FileInputError(file, e.syscall ? `cannot read the file: ${e.message}` : `not a readable Avro object container file: ${e.message}`));
      };
      decoder.on('metadata', (type: avro.Type, _codec: string, header: { meta?: Record<string, Buffer> }) => {
        const fields = (type as unknown as { fields?: { name: string }[] }).fields;
        if (!fields) return fail(new FileInputError(file, `the records are of type ${type.typeName}, not a record type with named fields`));
        names = fields.map((f) => f.name);
        micros = microsFields(header);
        const absent = wanted.filter((c) => !names!.includes(c));
        if (absent.length > 0) fail(missingColumnError(file, absent, names));
      });
      decoder.on('data', (rec: Record<string, unknown>) => {
        if (failed) return;
        record++;
        try {
          for (let k = 0; k < wanted.length; k++) {
            let v = unwrap(rec[wanted[k]]);
            if (micros.has(wanted[k]) && typeof v === 'number') v = Math.floor(v / 1000);
            cells[k] = v;
          }
          onRow(cells, record);
          if (onBytes && record % 10_000 === 0) onBytes(Math.min(this.size, (decoder as unknown as { bytesRead?: number }).bytesRead ?? 0));
        } catch (err) {
          fail(err);
        }
      });
      decoder.on('error', fail);
      decoder.on('end', () => {
        if (failed) return;
        if (names === null) return fail(new FileInputError(file, 'the file is empty'));
        resolve(names);
      });
    });
  }
}
