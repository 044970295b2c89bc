/**
 * `driftline produce`: sends the rows of a file to Kafka as InferenceEvents or TrainingEvents,
 * for demos, backfills and tests. Each row becomes one event of the model named by --model, with
 * only that model's configured features, encoded with driftline's own Avro schema (optionally in
 * Confluent framing with --schema-id, or with the id a configured schema registry gives driftline's
 * schema when it is registered under the subject `<topic>-value`), keyed by model id (so one
 * model's events stay in order on one partition), sent in batches by an idempotent producer that
 * waits for all in-sync replicas.
 */
import { basename } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { Message } from 'kafkajs';
import { pino } from 'pino';
import { encodeEvent, type EventKind, type PlainEvent } from '../codec/event.js';
import { loadTypes, readSchema } from '../codec/schemas.js';
import { loadConfig, type ModelConfig } from '../config.js';
import { ConfigError, FileInputError, KafkaIoError } from '../errors.js';
import { createKafka, idempotentProducer } from '../io/kafka.js';
import { SchemaRegistryClient } from '../io/registry.js';
import { readTable, type ColumnData, type ColumnKind, type TableData } from '../io/files/index.js';
import { ProgressBar } from './progress.js';

/** Messages per producer.send(): big enough to amortize round trips, small enough to stay well under message.max.bytes. */
export const BATCH_SIZE = 500;

interface ProduceFlags {
  config: string;
  model: string;
  version: string;
  kind: EventKind;
  file: string;
  timestampColumn?: string;
  predictionColumn?: string;
  labelColumn?: string;
  idColumn?: string;
  datasetVersion?: string;
  schemaId?: number;
  rate?: number;
}

function positiveNumber(v: string): number {
  const x = Number(v);
  if (!Number.isFinite(x) || x <= 0) throw new InvalidArgumentError('expected a positive number');
  return x;
}

function schemaIdArg(v: string): number {
  const x = Number(v);
  if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new InvalidArgumentError('expected a whole number from 0 to 4294967295');
  return x;
}

/** The value of row i of a column as a JS value for an event: null when missing. */
function cellValue(col: ColumnData, i: number): number | string | null {
  if (col.kind === 'categorical') {
    const code = col.codes[i];
    return code < 0 ? null : col.dictionary[code];
  }
  const x = col.values[i];
  return Number.isNaN(x) ? null : x;
}

/**
 * Turns the rows of a table into plain events of one model. Exposed for tests; `now` gives the
 * event time of rows when there is no timestamp column.
 */
export function* rowsToEvents(
  table: TableData,
  model: ModelConfig,
  opts: { version: string; kind: EventKind; timestampColumn?: string; predictionColumn?: string; labelColumn?: string; idColumn?: string; datasetVersion?: string; now?: () => number },
): Generator<PlainEvent> {
  const now = opts.now ?? Date.now;
  const features = model.features.map((f) => ({ name: f.name, col: table.columns.get(f.name)! }));
  const time = opts.timestampColumn ? table.columns.get(opts.timestampColumn)! : null;
  const target = opts.kind === 'inference' ? opts.predictionColumn : opts.labelColumn;
  const targetCol = target ? table.columns.get(target)! : null;
  const idCol = opts.idColumn ? table.columns.get(opts.idColumn)! : null;
  for (let i = 0; i < table.rows; i++) {
    const values: PlainEvent['features'] = {};
    for (const f of features) values[f.name] = cellValue(f.col, i);
    let eventTime = now();
    if (time) {
      const t = cellValue(time, i);
      if (t === null) throw new FileInputError(table.file, `data row ${i + 1} has no timestamp`, undefined, opts.timestampColumn);
      eventTime = Math.round(t as number);
    }
    const id = idCol ? cellValue(idCol, i) : null;
    const event: PlainEvent = {
      model_id: model.id,
      model_version: opts.version,
      event_id: id === null ? `${model.id}-${opts.version}-${i}` : String(id),
      event_time: eventTime,
      features: values,
    };
    const t = targetCol ? cellValue(targetCol, i) : null;
    if (opts.kind === 'inference') event.prediction = t;
    else {
      event.label = t;
      event.dataset_version = opts.datasetVersion ?? null;
    }
    yield event;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function registerProduce(program: Command): void {
  // `produce --version V` names the model version, but the root command has its own --version
  // (print driftline's version) that commander would otherwise match anywhere on the line.
  // Positional options: root options count only before the subcommand (`driftline --version`).
  program.enablePositionalOptions();
  program
    .command('produce')
    .description('Produce the rows of a file (CSV, JSON Lines, Arrow IPC or Avro) to Kafka as inference or training events of a configured model')
    .requiredOption('-c, --config <file>', 'driftline config (YAML): brokers, topics and the model\'s features')
    .requiredOption('--model <id>', 'model id, as configured')
    .requiredOption('--version <version>', 'model version written in every event')
    .requiredOption('--kind <kind>', 'inference or training')
    .requiredOption('--file <file>', 'the rows to send')
    .option('--timestamp-column <column>', 'column with event times (UTC unless a zone is given); default: now, per row')
    .option('--prediction-column <column>', 'column with the prediction (inference events)')
    .option('--label-column <column>', 'column with the label (training events)')
    .option('--id-column <column>', 'column with event ids; default: <model>-<version>-<row index>')
    .option('--dataset-version <version>', 'dataset_version of training events')
    .option('--schema-id <n>', 'frame bodies in Confluent wire format with this schema id (default with schemaRegistry in the config: the id the registry gives the schema under <topic>-value)', schemaIdArg)
    .option('--rate <events-per-s>', 'send at most this many events per second', positiveNumber)
    .action(async (flags: ProduceFlags, cmd: Command) => {
      if (flags.kind !== 'inference' && flags.kind !== 'training') cmd.error(`error: --kind must be inference or training, got "${flags.kind}"`, { exitCode: 2 });
      if (flags.kind === 'training' && flags.predictionColumn) cmd.error('error: --prediction-column is for inference events; training events carry a --label-column', { exitCode: 2 });
      if (flags.kind === 'inference' && flags.labelColumn) cmd.error('error: --label-column is for training events; inference events carry a --prediction-column', { exitCode: 2 });
      const config = loadConfig(flags.config);
      const model = config.models.find((m) => m.id === flags.model);
      if (!model) throw new ConfigError('models', `no model "${flags.model}" in ${flags.config}; configured models: ${config.models.map((m) => m.id).join(', ')}`);

      // Read only the columns the events need, with the kinds the model declares.
      const kinds: Record<string, ColumnKind> = {};
      for (const f of model.features) kinds[f.name] = f.kind;
      if (flags.timestampColumn) kinds[flags.timestampColumn] = 'timestamp';
      if (flags.idColumn) kinds[flags.idColumn] = 'categorical';
      const columns = [...model.features.map((f) => f.name), flags.timestampColumn, flags.predictionColumn, flags.labelColumn, flags.idColumn].filter((c): c is string => !!c);
      const table = await readTable(flags.file, { columns, kinds });

      const types = loadTypes();
      const type = flags.kind === 'inference' ? types.inference : types.training;
      const topic = flags.kind === 'inference' ? config.topics.inference : config.topics.training;
      // With a schema registry: register driftline's schema under the topic's value subject (or
      // find it there) and frame every body with its id, unless --schema-id names one.
      let schemaId = flags.schemaId;
      if (schemaId === undefined && config.schemaRegistry) {
        const registry = new SchemaRegistryClient(config.schemaRegistry);
        schemaId = await registry.register(`${topic}-value`, readSchema(flags.kind === 'inference' ? 'InferenceEvent' : 'TrainingEvent'));
        process.stderr.write(`schema registered under ${topic}-value at ${registry.url}: id ${schemaId}\n`);
      }
      // kafkajs logs errors only, as JSON on stderr.
      const kafka = createKafka(config, pino({ level: 'error', base: undefined }, pino.destination(2)));
      // The shared producer: idempotent (a retried batch is not written twice), one request in
      // flight (batches stay in order); every send waits for all in-sync replicas (acks -1).
      const producer = idempotentProducer(kafka);
      const bar = new ProgressBar({ label: `producing ${basename(flags.file)}`, total: table.rows });
      const started = Date.now();
      let sent = 0;
      try {
        await producer.connect();
      } catch (err) {
        throw new KafkaIoError(`cannot connect to Kafka at ${config.kafka.brokers.join(', ')}: ${(err as Error).message}`, { cause: err, retriable: true });
      }
      try {
        // With --rate, batches are no bigger than a second's worth, so the pace stays even.
        const batchSize = flags.rate ? Math.max(1, Math.min(BATCH_SIZE, Math.floor(flags.rate))) : BATCH_SIZE;
        let batch: Message[] = [];
        const flush = async () => {
          if (batch.length === 0) return;
          try {
            await producer.send({ topic, acks: -1, messages: batch });
          } catch (err) {
            throw new KafkaIoError(`sending to ${topic} failed after ${sent} events: ${(err as Error).message}`, { cause: err });
          }
          sent += batch.length;
          batch = [];
          bar.update(sent);
          if (flags.rate) {
            const due = started + (sent / flags.rate) * 1000;
            const wait = due - Date.now();
            if (wait > 0) await sleep(wait);
          }
        };
        for (const event of rowsToEvents(table, model, { ...flags })) {
          batch.push({ key: model.id, value: encodeEvent(type, flags.kind, event, schemaId) });
          if (batch.length >= batchSize) await flush();
        }
        await flush();
      } finally {
        bar.finish();
        await producer.disconnect().catch(() => {});
      }
      const seconds = (Date.now() - started) / 1000;
      const version = /^v/i.test(flags.version) ? flags.version : `v${flags.version}`;
      process.stdout.write(`produced ${sent} ${flags.kind} events for ${model.id} ${version} to ${topic} in ${seconds.toFixed(1)} s\n`);
    });
}
