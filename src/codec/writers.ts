/** Writer schemas of Confluent-framed bodies, by id, from the config's codec.writerSchemas. */
import { readFileSync } from 'node:fs';
import type avro from 'avsc';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';

export function loadWriterSchemas(config: Config): Map<number, avro.Schema> {
  const out = new Map<number, avro.Schema>();
  config.codec.writerSchemas.forEach((w, i) => {
    try {
      out.set(w.id, JSON.parse(readFileSync(w.file, 'utf8')) as avro.Schema);
    } catch (err) {
      throw new ConfigError(`codec.writerSchemas[${i}].file`, `cannot read Avro schema ${w.file}: ${(err as Error).message}`, { cause: err });
    }
  });
  return out;
}
