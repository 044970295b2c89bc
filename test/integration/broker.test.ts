/**
 * Smoke test of the test broker itself: if this fails, every other integration test would
 * fail for reasons that have nothing to do with driftline.
 */
import { describe, expect, it } from 'vitest';
import { brokers, consumeAll, createTopics, kafkaClient, produceMessages, uniqueTopic } from './kafka.js';

describe('Kafka test broker', () => {
  it('creates a topic, and gives back the 3 messages produced to it', async () => {
    const b = brokers();
    const topic = uniqueTopic('broker-smoke');
    await createTopics(b, [topic], 3);

    // The topic really exists, with the partitions we asked for.
    const admin = kafkaClient(b).admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(meta.topics[0]?.partitions).toHaveLength(3);
    } finally {
      await admin.disconnect();
    }

    const sent = [
      { key: 'a', value: 'first' },
      { key: 'b', value: 'second' },
      { key: 'c', value: 'third' },
    ];
    await produceMessages(b, topic, sent);

    const got = await consumeAll(b, topic, { expected: sent.length, timeoutMs: 60_000 });
    const byKey = (x: { key: string | null }, y: { key: string | null }) => String(x.key).localeCompare(String(y.key));
    expect(got.map(({ key, value }) => ({ key, value })).sort(byKey)).toEqual(sent);
  });
});
