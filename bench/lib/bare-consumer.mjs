/**
 * The streaming baseline, run as its own process (bench/lib/kafka.ts bareConsume starts it): a
 * kafkajs consumer (eachBatch, counting messages only) reading a topic from the beginning with a
 * fresh group, in a clean process just as `driftline run` gets one. Plain JavaScript so that it
 * starts with nothing loaded but kafkajs.
 *
 *   node bench/lib/bare-consumer.mjs <broker host:port> <topic> <expected messages> <timeout ms> [--record-fix]
 *
 * With --record-fix it first applies driftline's kafkajs record decoder fix
 * (src/io/kafkajs-records.ts, through bin/load.js): the same consumer with the Kafka reading
 * driftline has, to tell driftline's own cost apart from what it saves on kafkajs.
 *
 * Prints `progress <count>` lines to stdout every 200,000 messages, then one JSON line:
 * {"eps", "ms", "startupMs", "cpuUsPerEvent"}: the rate from the first batch to the last message,
 * and the CPU time of this whole process (all threads) over that span, per message.
 */
import { Kafka, logLevel } from 'kafkajs';

const [broker, topic, expectedText, timeoutText, mode] = process.argv.slice(2);
if (mode === '--record-fix') {
  const { importSrc } = await import('../../bin/load.js');
  const { patchKafkajsRecordDecoder } = await importSrc('io/kafkajs-patch');
  const fix = patchKafkajsRecordDecoder();
  if (!fix.applied) {
    process.stderr.write(`the record decoder fix is not applied: ${fix.reason}\n`);
    process.exit(1);
  }
} else if (mode !== undefined) {
  process.stderr.write(`unknown option ${mode}; the only one is --record-fix\n`);
  process.exit(2);
}
const expected = Number(expectedText);
const timeoutMs = Number(timeoutText ?? 600_000);
if (!broker || !topic || !Number.isInteger(expected) || expected <= 0) {
  process.stderr.write('usage: node bench/lib/bare-consumer.mjs <broker host:port> <topic> <expected messages> [timeout ms] [--record-fix]\n');
  process.exit(2);
}

const k = new Kafka({ clientId: 'driftline-bench-bare', brokers: [broker], logLevel: logLevel.NOTHING, retry: { retries: 10 } });
const c = k.consumer({ groupId: `bench-bare-${Date.now()}-${Math.random().toString(36).slice(2)}`, allowAutoTopicCreation: false });
const tStart = performance.now();
await c.connect();
await c.subscribe({ topic, fromBeginning: true });
let count = 0;
let first = 0;
let firstCount = 0;
let lastReport = 0;
let firstCpu = process.cpuUsage();
let endCpu = firstCpu;
const end = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`bare consumer timed out after ${timeoutMs} ms with ${count} of ${expected} messages`)), timeoutMs);
  void c.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      if (first === 0) {
        first = performance.now();
        firstCount = batch.messages.length;
        firstCpu = process.cpuUsage();
      }
      count += batch.messages.length;
      if (count - lastReport >= 200_000) {
        lastReport = count;
        process.stdout.write(`progress ${count}\n`);
      }
      if (count >= expected) {
        endCpu = process.cpuUsage(firstCpu);
        clearTimeout(timer);
        resolve(performance.now());
      }
    },
  });
}).catch((err) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
});
await c.disconnect();
const ms = end - first;
process.stdout.write(`${JSON.stringify({ eps: (count - firstCount) / (ms / 1000), ms, startupMs: first - tStart, cpuUsPerEvent: (endCpu.user + endCpu.system) / (count - firstCount) })}\n`);
process.exit(0);
