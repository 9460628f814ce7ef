import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { KafkaAssignment, KafkaConsumer, KafkaConsumerOptions, KafkaCrash, KafkaRecord } from '../../../connectors/kafka/index.js';
import { KafkaConnectorError } from '../../../connectors/kafka/index.js';
import { uniqueName, useKafka, waitUntil } from '../../support/kafka-env.js';

const text = new TextDecoder();
const decode = (bytes: Uint8Array | null): string | null => (bytes === null ? null : text.decode(bytes));

describe('KafkaJsConsumer on the real broker', () => {
  const kafka = useKafka();

  /** A connected consumer subscribed to `topic`, with short fetch waits; disconnected after the test. */
  async function subscribed(topic: string, options: Partial<KafkaConsumerOptions> = {}): Promise<KafkaConsumer> {
    const consumer = kafka.closeAfterTest(kafka.client().consumer({ groupId: uniqueName('group'), maxWaitTimeMs: 100, ...options }));
    await consumer.connect();
    await consumer.subscribe([topic]);
    return consumer;
  }

  async function produce(topic: string, values: readonly string[], partition?: number): Promise<void> {
    const producer = await kafka.producer();
    await producer.send([{ topic, messages: values.map((value) => (partition === undefined ? { value } : { value, partition })) }]);
  }

  it('delivers every record once, as plain data, and manual commits store last offset + 1', async () => {
    const admin = await kafka.admin();
    const topic = uniqueName('consume');
    await admin.createTopics([{ topic, numPartitions: 3 }]);
    const count = 300;
    const before = Date.now();
    const producer = await kafka.producer();
    const sent = await producer.send([
      {
        topic,
        messages: Array.from({ length: count }, (_, i) => ({ key: `key-${i % 10}`, value: `value-${i}`, headers: { seq: String(i) } })),
      },
    ]);
    expect(new Set(sent.map((r) => r.partition)).size).toBe(3);

    const groupId = uniqueName('group');
    const consumer = await subscribed(topic, { groupId });
    const assignments: KafkaAssignment[] = [];
    consumer.onAssignment((a) => void assignments.push(a));
    const received: KafkaRecord[] = [];
    await consumer.run({
      eachBatch: async (batch) => {
        received.push(...batch.records);
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: batch.nextOffset }]);
      },
    });
    await waitUntil(`${count} records`, () => received.length >= count);
    await sleep(300); // anything delivered twice would show up now
    expect(received).toHaveLength(count);

    expect(received.map((r) => decode(r.value)).sort()).toEqual(Array.from({ length: count }, (_, i) => `value-${i}`).sort());
    const first = received[0]!;
    expect(first.key).toBeInstanceOf(Uint8Array);
    expect(typeof first.offset).toBe('string');
    expect(first.timestamp).toBeGreaterThanOrEqual(before - 1000);
    expect(first.timestamp).toBeLessThanOrEqual(Date.now());
    for (const record of received) {
      expect(`value-${decode(record.headers['seq'] as Uint8Array)}`).toBe(decode(record.value));
    }

    // One key, one partition (the key hash decides); offsets per partition are 0, 1, 2, ... in order.
    const partitionOfKey = new Map<string, number>();
    const lastOffset = new Map<number, bigint>();
    for (const record of received) {
      const key = decode(record.key)!;
      expect(partitionOfKey.get(key) ?? record.partition).toBe(record.partition);
      partitionOfKey.set(key, record.partition);
      const expected = (lastOffset.get(record.partition) ?? -1n) + 1n;
      expect(BigInt(record.offset)).toBe(expected);
      lastOffset.set(record.partition, expected);
    }

    const committed = await admin.fetchOffsets(groupId, [topic]);
    const ends = await admin.fetchTopicOffsets(topic);
    expect(committed).toEqual(
      ends.map(({ partition }) => ({ topic, partition, offset: String((lastOffset.get(partition) ?? -1n) + 1n) })),
    );
    expect(committed.map((c) => c.offset)).toEqual(ends.map((e) => e.high));

    expect(assignments.at(-1)?.partitions).toEqual([0, 1, 2].map((partition) => ({ topic, partition })));
    expect(assignments.at(-1)?.assigned).toHaveLength(3);
    expect(assignments.at(-1)?.revoked).toEqual([]);
  });

  it('pause stops delivery from a partition, resume restarts it where it stopped', async () => {
    const admin = await kafka.admin();
    const topic = uniqueName('pause');
    await admin.createTopics([{ topic, numPartitions: 1 }]);
    await produce(topic, ['a0', 'a1', 'a2', 'a3', 'a4']);
    const consumer = await subscribed(topic);
    const received: KafkaRecord[] = [];
    await consumer.run({ eachBatch: async (batch) => void received.push(...batch.records) });
    await waitUntil('the first records', () => received.length === 5);

    consumer.pause([{ topic, partitions: [0] }]);
    expect(consumer.paused()).toEqual([{ topic, partitions: [0] }]);
    await produce(topic, ['b0', 'b1', 'b2', 'b3', 'b4']);
    await sleep(1500); // ~15 fetch rounds at maxWaitTimeMs 100
    expect(received).toHaveLength(5);

    consumer.resume([{ topic, partitions: [0] }]);
    expect(consumer.paused()).toEqual([]);
    await waitUntil('the records produced while paused', () => received.length >= 10);
    await sleep(300);
    expect(received.map((r) => decode(r.value))).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1', 'b2', 'b3', 'b4']);
    expect(received.map((r) => r.offset)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('holds batches back until assignment listeners settle, so a listener can seek first', async () => {
    const admin = await kafka.admin();
    const topic = uniqueName('seek');
    await admin.createTopics([{ topic, numPartitions: 1 }]);
    await produce(topic, Array.from({ length: 10 }, (_, i) => `m${i}`));
    const consumer = await subscribed(topic);
    consumer.onAssignment(async ({ assigned }) => {
      await sleep(300); // e.g. a snapshot being restored
      for (const { partition } of assigned) consumer.seek({ topic, partition, offset: '6' });
    });
    const received: KafkaRecord[] = [];
    await consumer.run({ eachBatch: async (batch) => void received.push(...batch.records) });
    await waitUntil('the records after the seek', () => received.length >= 4);
    await sleep(300);
    expect(received.map((r) => r.offset)).toEqual(['6', '7', '8', '9']);
  });

  it('a failing batch handler stops the consumer and reports its own error, once', async () => {
    const admin = await kafka.admin();
    const topic = uniqueName('crash');
    await admin.createTopics([{ topic, numPartitions: 1 }]);
    await produce(topic, ['x0', 'x1']);
    const consumer = await subscribed(topic);
    const crashes: KafkaCrash[] = [];
    consumer.onCrash((crash) => crashes.push(crash));
    const failure = new Error('cannot process x0');
    let calls = 0;
    await consumer.run({
      eachBatch: async () => {
        calls += 1;
        throw failure;
      },
    });
    await waitUntil('the crash report', () => crashes.length > 0);
    await produce(topic, ['x2']);
    await sleep(1000);
    expect(crashes).toEqual([{ error: failure, restarting: false }]);
    expect(calls).toBe(1);
    const commit = await consumer.commitOffsets([{ topic, partition: 0, offset: '1' }]).catch((e: unknown) => e);
    expect(commit).toBeInstanceOf(KafkaConnectorError);
    expect((commit as KafkaConnectorError).code).toBe('ERR_KAFKA_STOPPED');
  });

  it('refuses to commit before run and for partitions it does not own', async () => {
    const admin = await kafka.admin();
    const topic = uniqueName('guard');
    await admin.createTopics([{ topic, numPartitions: 1 }]);
    const consumer = await subscribed(topic);
    const early = await consumer.commitOffsets([{ topic, partition: 0, offset: '0' }]).catch((e: unknown) => e);
    expect((early as KafkaConnectorError).code).toBe('ERR_KAFKA_STOPPED');

    const joined: KafkaAssignment[] = [];
    consumer.onAssignment((a) => void joined.push(a));
    await consumer.run({ eachBatch: async () => undefined });
    await waitUntil('the group join', () => joined.length > 0);
    const foreign = await consumer.commitOffsets([{ topic, partition: 7, offset: '0' }]).catch((e: unknown) => e);
    expect(foreign).toBeInstanceOf(KafkaConnectorError);
    expect((foreign as KafkaConnectorError).code).toBe('ERR_KAFKA_NOT_ASSIGNED');
    expect((foreign as KafkaConnectorError).message).toContain(`${topic}/7`);
  });
});
