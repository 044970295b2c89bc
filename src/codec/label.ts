/**
 * Decoding LabelEvent bodies: raw Avro with driftline's schema, or Confluent-framed (magic byte 0,
 * 4-byte big-endian schema id) with a writer schema from the config's codec.writerSchemas or the
 * schema registry, resolved to driftline's LabelEvent by avsc. Labels are few next to inference
 * events, so avsc decodes them into objects (no reusable view as for events).
 */
import avro from 'avsc';
import { RejectedMessageError } from '../errors.js';
import { checkFramedBody } from './event.js';

export interface DecodedLabel {
  model_id: string;
  event_id: string;
  /** A wrapped union: null, { double: x } or { string: s }. */
  label: Record<string, unknown> | null;
  event_time: number;
}

export class LabelDecoder {
  private readonly resolvers = new Map<number, { writer: avro.Type; resolver: avro.Resolver | null } | RejectedMessageError>();
  private readonly readerFingerprint: string;

  constructor(
    private readonly reader: avro.Type,
    private readonly writers: ReadonlyMap<number, avro.Schema>,
  ) {
    this.readerFingerprint = reader.fingerprint('sha256').toString('hex');
  }

  decode(buf: Buffer): DecodedLabel {
    // A raw LabelEvent never starts with 0: that would be an empty model_id.
    if (buf.length > 0 && buf[0] === 0) {
      if (buf.length < 5) throw new RejectedMessageError('undecodable', 'Confluent-framed body shorter than its 5-byte header');
      const id = buf.readUInt32BE(1);
      const entry = this.resolverFor(id);
      checkFramedBody(entry.writer, buf);
      try {
        return (entry.resolver ? this.reader.fromBuffer(buf.subarray(5), entry.resolver) : this.reader.fromBuffer(buf.subarray(5))) as DecodedLabel;
      } catch (err) {
        throw new RejectedMessageError('undecodable', `LabelEvent does not match writer schema id ${id}: ${(err as Error).message}`, { cause: err });
      }
    }
    try {
      return this.reader.fromBuffer(buf) as DecodedLabel;
    } catch (err) {
      throw new RejectedMessageError('undecodable', `not a valid LabelEvent: ${(err as Error).message}`, { cause: err });
    }
  }

  private resolverFor(id: number): { writer: avro.Type; resolver: avro.Resolver | null } {
    const known = this.resolvers.get(id);
    if (known instanceof RejectedMessageError) throw known;
    if (known) return known;
    const schema = this.writers.get(id);
    if (!schema) throw new RejectedMessageError('unknown_schema_id', `unknown writer schema id ${id}: not in the config's codec.writerSchemas nor the schema registry`);
    const writer = avro.Type.forSchema(schema, { wrapUnions: true });
    let entry: { writer: avro.Type; resolver: avro.Resolver | null };
    try {
      entry = { writer, resolver: writer.fingerprint('sha256').toString('hex') === this.readerFingerprint ? null : this.reader.createResolver(writer) };
    } catch (err) {
      const missing = /no matching field for default-less/.test((err as Error).message);
      const error = new RejectedMessageError(missing ? 'missing_field' : 'unknown_schema_id', `writer schema id ${id} cannot be read as LabelEvent: ${(err as Error).message}`, { cause: err });
      this.resolvers.set(id, error);
      throw error;
    }
    this.resolvers.set(id, entry);
    return entry;
  }
}
