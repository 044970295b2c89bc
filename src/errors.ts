/**
 * Every error driftline raises on purpose. Each carries a stable `code` (for logs, dead-letter
 * headers and exit paths), an optional `cause`, and whether retrying the same operation may succeed.
 */
export class DriftlineError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  constructor(code: string, message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** A config file that cannot be used; `path` names the offending key, e.g. `models[0].window.size`. */
export class ConfigError extends DriftlineError {
  constructor(readonly path: string, reason: string, options: { cause?: unknown } = {}) {
    super('CONFIG_INVALID', path ? `config: ${path}: ${reason}` : `config: ${reason}`, options);
  }
}

/** Rejection reasons of a consumed message; each becomes a dead-letter record with this reason. */
export type RejectReason =
  | 'undecodable'
  | 'unknown_schema_id'
  | 'unknown_model'
  | 'wrong_type'
  | 'missing_field'
  | 'oversized'
  | 'late_event'
  | 'invalid_value';

/** A consumed message that driftline refuses; carries the reason that goes to the dead-letter topic. */
export class RejectedMessageError extends DriftlineError {
  constructor(readonly reason: RejectReason, message: string, options: { cause?: unknown } = {}) {
    super(`REJECTED_${reason.toUpperCase()}`, message, options);
  }
}

/** An input file that cannot be read; names the file, and where known the line and column. */
export class FileInputError extends DriftlineError {
  constructor(readonly file: string, message: string, readonly line?: number, readonly column?: string) {
    const where = [file, line !== undefined ? `line ${line}` : '', column !== undefined ? `column "${column}"` : '']
      .filter(Boolean)
      .join(', ');
    super('FILE_INVALID', `${where}: ${message}`);
  }
}

/** A Kafka operation that failed; retriable when the broker may come back. */
export class KafkaIoError extends DriftlineError {
  constructor(message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super('KAFKA_IO', message, options);
  }
}
