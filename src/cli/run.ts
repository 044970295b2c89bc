/**
 * `driftline run`, `driftline validate` and `driftline topics create`.
 */
import type { Command } from 'commander';
import { Registry } from 'prom-client';
import { loadConfig, type Config } from '../config.js';
import { describeSpec, formatDurationMs } from '../window/spec.js';
import { createKafka, createTopics } from '../io/kafka.js';
import { Runner } from '../io/runner.js';
import { systemClock } from '../processor.js';
import { loadWriterSchemas } from '../codec/writers.js';

import { makeLogger } from '../instrumentation.js';
import { WorkerPool } from '../io/workers.js';

export { makeLogger, REDACT_PATHS } from '../instrumentation.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('consume inference and training events, detect drift per window, publish results, alerts and metrics')
    .requiredOption('-c, --config <file>', 'YAML config file')
    .action(async (opts: { config: string }) => {
      const config = loadConfig(opts.config);
      const logger = makeLogger(config);
      // One thread (a Runner here), or a supervisor of worker threads that each run one.
      const writerSchemas = loadWriterSchemas(config); // read here too, so a bad file stops start-up with its key
      const runner = config.processor.workers > 1
        ? new WorkerPool({ configPath: opts.config, workers: config.processor.workers, host: config.metrics.host, port: config.metrics.port, logger })
        : new Runner({ config, logger, registry: new Registry(), clock: systemClock, writerSchemas });
      let stopping: Promise<void> | null = null;
      const stop = (signal: string) => {
        if (stopping) return;
        logger.info({ signal }, `${signal} received: flushing results, committing offsets and stopping`);
        const force = setTimeout(() => {
          logger.error('shutdown took longer than 15 s; exiting anyway (uncommitted work will be replayed)');
          process.exit(1);
        }, 15_000);
        force.unref();
        stopping = runner.stop().then(() => {
          logger.info('stopped cleanly');
          // Results are flushed and offsets committed. A kafkajs client whose group leave was cut
          // short (a rebalance under way) may still hold the event loop with its retries: give the
          // loop a second to drain, then exit with the code set by then (0) instead of waiting
          // for the 15 s bound above to exit with 1.
          setTimeout(() => process.exit(), 1_000).unref();
        });
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      await runner.start().catch(async (err) => {
        if (stopping) return;
        throw err;
      });
      logger.info({ models: config.models.map((m) => m.id) }, `driftline running: ${config.models.length} model(s), consuming ${config.topics.inference}`);
      await new Promise<void>((resolve) => {
        const wait = setInterval(() => {
          if (stopping) {
            clearInterval(wait);
            void stopping.then(resolve);
          }
        }, 100);
      });
    });

  program
    .command('validate')
    .description('check a config file and print what it configures')
    .requiredOption('-c, --config <file>', 'YAML config file')
    .action((opts: { config: string }) => {
      const config = loadConfig(opts.config);
      const lines = [`${opts.config} is valid.`, `Kafka: ${config.kafka.brokers.join(', ')} (group ${config.kafka.groupId})`, `Topics: inference ${config.topics.inference}, training ${config.topics.training}, results ${config.topics.results}, alerts ${config.topics.alerts}, dead letters ${config.topics.deadLetter}`, `Metrics: http://${config.metrics.host}:${config.metrics.port}/metrics`, `Processor: ${config.processor.mode} mode, ${config.processor.workers === 1 ? 'one thread' : `${config.processor.workers} worker threads`}`];
      for (const m of config.models) {
        lines.push(`Model ${m.id}: ${describeSpec(m.window)}, idle ${formatDurationMs(m.window.idleMs)}, reference: ${m.reference.source === 'training' ? 'training data' : m.reference.source === 'baseline' ? `first ${m.reference.windows} serving window(s)` : 'previous window'}, ${m.features.length} feature(s): ${m.features.map((f) => `${f.name} (${f.kind}${f.role === 'prediction' ? ', prediction' : ''})`).join(', ')}`);
        lines.push(`  rules: ${m.rules ? m.rules.map((r) => `${r.feature} ${r.metric} ${r.threshold}`).join('; ') : 'defaults (numeric: psi >= 0.25; categorical: linf >= 0.1; all: missing_rate >= 0.2; categorical: unseen_categories >= 0.05; dataset drift share >= ' + m.datasetDrift.share + ')'}`);
        if (m.performance) lines.push(`  performance: ${m.performance.task}, label horizon ${formatDurationMs(m.performance.horizonMs)}${m.performance.rules.length ? `, rules: ${m.performance.rules.map((r) => `${r.metric} ${r.threshold}`).join('; ')}` : ''}`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  const topics = program.command('topics').description('manage the configured Kafka topics');
  topics
    .command('create')
    .description('create the configured topics that do not exist yet')
    .requiredOption('-c, --config <file>', 'YAML config file')
    .option('--partitions <n>', 'partitions of the inference, results and alerts topics', (v) => Number(v), 6)
    .action(async (opts: { config: string; partitions: number }) => {
      const config = loadConfig(opts.config);
      const created = await createTopics(createKafka(config), config, { partitions: opts.partitions });
      process.stdout.write(created.length ? `created: ${created.join(', ')}\n` : 'all configured topics exist already\n');
    });
}
