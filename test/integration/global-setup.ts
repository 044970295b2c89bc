/**
 * Vitest globalSetup for the `integration` project: makes sure a real Kafka broker exists
 * before any integration test runs, and hands its address to the tests.
 *
 * Where the broker comes from, first match wins:
 *   (a) KAFKA_BROKERS is set (e.g. "host1:9092,host2:9092")  -> use it as is;
 *   (b) a Docker engine answers                              -> testcontainers' Kafka module;
 *   (c) otherwise                                            -> the local Apache Kafka broker
 *       from Maven jars: `bash deploy/kafka/kafka.sh start` (Java 17 + Maven, no Docker).
 *
 * Tests read the address with `inject('kafkaBrokers')` (see ./kafka.ts `brokers()`), and
 * process.env.KAFKA_BROKERS is set too for code that reads the environment.
 *
 * If no broker can be had, setup THROWS: the integration suite fails, it never skips.
 * Teardown stops only what this setup started (a local broker that was already running
 * before the tests is left running).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

// Type of the value shared with the tests through provide()/inject().
declare module 'vitest' {
  export interface ProvidedContext {
    /** Comma-separated bootstrap servers, e.g. "127.0.0.1:9092". */
    kafkaBrokers: string;
  }
}

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KAFKA_SH = path.join(REPO_ROOT, 'deploy/kafka/kafka.sh');
/** Image for the testcontainers path; KRaft-capable Confluent build of Kafka 3.9. */
const KAFKA_IMAGE = process.env.KAFKA_IMAGE ?? 'confluentinc/cp-kafka:7.9.0';
/** How long we give Docker detection before falling back to the local broker. */
const DOCKER_PROBE_TIMEOUT_MS = 10_000;

const log = (line: string) => console.log(`[driftline tests] ${line}`);

type Teardown = () => Promise<void>;

export default async function setup(project: TestProject): Promise<Teardown> {
  const { brokers, how, teardown } = await obtainBroker();
  log(`Kafka broker: ${how} at ${brokers}`);
  project.provide('kafkaBrokers', brokers);
  process.env.KAFKA_BROKERS = brokers;
  return teardown;
}

async function obtainBroker(): Promise<{ brokers: string; how: string; teardown: Teardown }> {
  const nothing: Teardown = async () => {};

  // (a) An explicit broker wins.
  const fromEnv = process.env.KAFKA_BROKERS?.trim();
  if (fromEnv) {
    return { brokers: fromEnv, how: 'from KAFKA_BROKERS', teardown: nothing };
  }

  // (b) testcontainers, but only when a container engine really answers.
  const dockerProblem = await dockerUnavailableReason();
  if (dockerProblem === null) {
    const { KafkaContainer } = await import('@testcontainers/kafka');
    const container = await new KafkaContainer(KAFKA_IMAGE).withKraft().start();
    const brokers = `${container.getHost()}:${container.getMappedPort(9093)}`;
    return {
      brokers,
      how: `testcontainers (${KAFKA_IMAGE})`,
      teardown: async () => {
        await container.stop();
      },
    };
  }

  // (c) The local broker from Maven jars.
  const port = process.env.KAFKA_PORT ?? '9092';
  const version = process.env.KAFKA_VERSION ?? '3.9.1';
  const brokers = `127.0.0.1:${port}`;
  const wasRunning = (await runKafkaSh(['status'], { quiet: true })) === 0;
  const code = await runKafkaSh(['start']);
  if (code !== 0) {
    // A broker that did not become ready in time may still be running: do not leave it behind.
    if (!wasRunning) await runKafkaSh(['stop'], { quiet: true });
    throw new Error(
      `No Kafka broker for the integration tests: KAFKA_BROKERS is not set, ` +
        `Docker is not usable (${dockerProblem}), and 'bash deploy/kafka/kafka.sh start' ` +
        `failed with exit code ${code} (its output is above). ` +
        `Fix the local broker (needs Java 17+ and Maven or already-fetched jars), ` +
        `or point KAFKA_BROKERS at a running broker.`,
    );
  }
  return {
    brokers,
    how: wasRunning
      ? `local Apache Kafka ${version} (already running, left running)`
      : `local Apache Kafka ${version} from Maven jars`,
    teardown: wasRunning
      ? nothing
      : async () => {
          await runKafkaSh(['stop'], { quiet: true });
        },
  };
}

/**
 * null when a Docker (or compatible) engine answers, else a short reason why not.
 * Cheap pre-check first: without DOCKER_HOST and without any known socket there is nothing
 * to ask, so we do not even load testcontainers (whose discovery can be slow).
 */
async function dockerUnavailableReason(): Promise<string | null> {
  const { existsSync } = await import('node:fs');
  const home = process.env.HOME ?? '';
  const candidates = [
    '/var/run/docker.sock',
    path.join(home, '.docker/run/docker.sock'),
    path.join(home, '.docker/desktop/docker.sock'),
    `/run/user/${process.getuid?.() ?? 0}/docker.sock`,
    `/run/user/${process.getuid?.() ?? 0}/podman/podman.sock`,
  ];
  if (!process.env.DOCKER_HOST && !candidates.some((p) => existsSync(p))) {
    return 'no DOCKER_HOST and no docker socket';
  }
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${DOCKER_PROBE_TIMEOUT_MS / 1000} s`)),
        DOCKER_PROBE_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([getContainerRuntimeClient(), timeout]);
    } finally {
      clearTimeout(timer);
    }
    return null;
  } catch (err) {
    return `container runtime not reachable: ${(err as Error).message}`;
  }
}

/**
 * Runs deploy/kafka/kafka.sh with the given arguments and resolves to its exit code.
 * Its progress lines go straight to our stderr so a person at a terminal sees what happens
 * (fetching jars, formatting, waiting), unless quiet.
 */
function runKafkaSh(args: string[], opts: { quiet?: boolean } = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('bash', [KAFKA_SH, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', opts.quiet ? 'ignore' : 'inherit', opts.quiet ? 'ignore' : 'inherit'],
    });
    child.on('error', (err) => {
      console.error(`[driftline tests] could not run bash ${KAFKA_SH}: ${err.message}`);
      resolve(127);
    });
    child.on('close', (code) => resolve(code ?? 1));
  });
}
