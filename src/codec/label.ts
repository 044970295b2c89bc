/**
 * Decoding LabelEvent bodies: raw Avro with driftline's schema, or Confluent-framed (magic byte 0,
 * 4-byte big-endian schema id) with a writer schema from the config's codec.writerSchemas or the
 * schema registry, resolved to driftline's LabelEvent by avsc. Labels are few next to inference
 * events, so avsc decodes them into objects (no reusable view as for events).
 */
import type avro from 'avsc';
import { RejectedMessageError } from '../errors.js';
import { FramedBodies } from './event.js';

export interface DecodedLabel {
  model_id: string;
  event_id: string;
  /** A wrapped union: null, { double: x } or { string: s }. */
  label: Record<string, unknown> | null;
  event_time: number;
}

export class LabelDecoder {
  private readonly framed: FramedBodies;

  constructor(
    private readonly reader: avro.Type,
    writers: ReadonlyMap<number, avro.Schema>,
  ) {
    this.framed = new FramedBodies(reader, 'LabelEvent', writers);
  }

  decode(buf: Buffer): DecodedLabel {
    // A raw LabelEvent never starts with 0: that would be an empty model_id.
    if (buf.length > 0 && buf[0] === 0) return this.framed.decodeObject(buf, this.framed.writerOf(buf)) as unknown as DecodedLabel;
    try {
      return this.reader.fromBuffer(buf) as DecodedLabel;
    } catch (err) {
      throw new RejectedMessageError('undecodable', `not a valid LabelEvent: ${(err as Error).message}`, { cause: err });
    }
  }
}
