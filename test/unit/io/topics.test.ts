/**
 * createTopics' wait for the leaders of new topics when kafkajs' own wait fails on a broker that
 * has just started ("does not host this topic-partition"): the metadata is asked again through
 * retriable errors, until every partition has a leader or the time is up. The admin here is a
 * scripted stand-in for its one method; the real path runs against the broker in the integration
 * tests (faults.test.ts creates topics right after starting one).
 */
import { describe, expect, it } from 'vitest';
import { KafkaIoError } from '../../../src/errors.js';
import { errorType, waitForLeaders } from '../../../src/io/kafka.js';

type Metadata = { topics: { name: string; partitions: { partitionErrorCode: number; partitionId: number; leader: number; replicas: number[]; isr: number[] }[] }[] };
const partition = (leader: number, code = 0) => ({ partitionErrorCode: code, partitionId: 0, leader, replicas: [1], isr: [1] });
const retriable = Object.assign(new Error('This server does not host this topic-partition'), { retriable: true, type: 'UNKNOWN_TOPIC_OR_PARTITION' });

function scripted(answers: (Metadata | Error)[]) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    fetchTopicMetadata: async () => {
      const a = answers[Math.min(calls++, answers.length - 1)];
      if (a instanceof Error) throw a;
      return a;
    },
  };
}

describe('waitForLeaders', () => {
  it('goes on through retriable errors and partitions without a leader, and returns once all have one', async () => {
    const admin = scripted([
      retriable,
      { topics: [{ name: 'a', partitions: [partition(-1)] }, { name: 'b', partitions: [partition(1)] }] },
      { topics: [{ name: 'a', partitions: [partition(1, 5)] }, { name: 'b', partitions: [partition(1)] }] },
      { topics: [{ name: 'a', partitions: [partition(1)] }, { name: 'b', partitions: [partition(1)] }] },
    ]);
    await waitForLeaders(admin as never, ['a', 'b'], 10_000);
    expect(admin.calls).toBe(4);
  });
  it('gives up after the timeout with a retriable KafkaIoError naming the topics', async () => {
    const admin = scripted([{ topics: [{ name: 'a', partitions: [partition(-1)] }] }]);
    const err = await waitForLeaders(admin as never, ['a'], 300).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaIoError);
    expect((err as KafkaIoError).retriable).toBe(true);
    expect((err as Error).message).toMatch(/the new topics a have no leader after 300 ms \(no leader yet for a\)/);
  });
  it('throws an error Kafka does not call retriable at once', async () => {
    const fatal = Object.assign(new Error('not authorized'), { retriable: false });
    const admin = scripted([fatal]);
    await expect(waitForLeaders(admin as never, ['a'], 10_000)).rejects.toBe(fatal);
    expect(admin.calls).toBe(1);
  });
});

describe('errorType', () => {
  it('finds the Kafka error type on the error or its causes', () => {
    expect(errorType(retriable)).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(errorType(Object.assign(new Error('retries exceeded'), { originalError: retriable }))).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(errorType(new Error('wrapped', { cause: retriable }))).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(errorType(new Error('plain'))).toBeUndefined();
    expect(errorType(undefined)).toBeUndefined();
  });
});
