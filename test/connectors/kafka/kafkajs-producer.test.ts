import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { KafkaProducer } from '../../../connectors/kafka/index.js';
import { createKafkaJsClient, isFenced } from '../../../connectors/kafka/index.js';
import { ConfigError } from '../../../src/errors/index.js';
import { uniqueName, useKafka, waitUntil } from '../../support/kafka-env.js';

const text = new TextDecoder();

describe('KafkaJsProducer on the real broker', () => {
  const kafka = useKafka();

  async function connected(producer: KafkaProducer): Promise<KafkaProducer> {
    await kafka.closeAfterTest(producer).connect();
    return producer;
  }

  /** Reads values from partition 0 of `topic` until `last` arrives. */
  async function readUntil(topic: string, last: string, readUncommitted: boolean): Promise<string[]> {
    const consumer = kafka.closeAfterTest(kafka.client().consumer({ groupId: uniqueName('reader'), maxWaitTimeMs: 100, readUncommitted }));
    await consumer.connect();
    await consumer.subscribe([topic]);
    const values: string[] = [];
    await consumer.run({ eachBatch: async (batch) => void values.push(...batch.records.map((r) => text.decode(r.value!))) });
    await waitUntil(`${last} in ${topic}`, () => values.includes(last));
    await sleep(200);
    return values;
  }

  it('sends batches to several topics and partitions and reports where they landed', async () => {
    const admin = await kafka.admin();
    const client = kafka.client();
    const [a, b] = [uniqueName('send-a'), uniqueName('send-b')];
    await admin.createTopics([
      { topic: a, numPartitions: 2 },
      { topic: b, numPartitions: 1 },
    ]);
    const producer = await connected(client.producer());
    const first = await producer.send([
      { topic: a, messages: [{ value: 'a0', partition: 0 }, { value: 'a1', partition: 1 }, { value: 'a2', partition: 1 }] },
      { topic: b, messages: [{ value: new TextEncoder().encode('b0'), key: null }] },
      { topic: b, messages: [] },
    ]);
    expect(first.sort((x, y) => (x.topic + x.partition).localeCompare(y.topic + y.partition))).toEqual([
      { topic: a, partition: 0, baseOffset: '0' },
      { topic: a, partition: 1, baseOffset: '0' },
      { topic: b, partition: 0, baseOffset: '0' },
    ]);
    const second = await producer.send([{ topic: a, messages: [{ value: 'a3', partition: 1 }] }]);
    expect(second).toEqual([{ topic: a, partition: 1, baseOffset: '2' }]);
    expect(await producer.send([])).toEqual([]);
    expect((await admin.fetchTopicOffsets(a)).map((p) => p.high)).toEqual(['1', '3']);
  });

  it('a committed transaction is visible to a read_committed consumer, an aborted one is not', async () => {
    const admin = await kafka.admin();
    const client = kafka.client();
    const topic = uniqueName('tx');
    await admin.createTopics([{ topic, numPartitions: 1 }]);
    const producer = await connected(client.producer({ transactionalId: uniqueName('tx-id') }));

    const send = async (values: string[], outcome: 'commit' | 'abort'): Promise<void> => {
      const tx = await producer.transaction();
      expect(tx.isActive()).toBe(true);
      await tx.send([{ topic, messages: values.map((value) => ({ value })) }]);
      await (outcome === 'commit' ? tx.commit() : tx.abort());
      expect(tx.isActive()).toBe(false);
    };
    await send(['c0', 'c1'], 'commit');
    await send(['x0', 'x1'], 'abort');
    await send(['c2'], 'commit');

    expect(await readUntil(topic, 'c2', false)).toEqual(['c0', 'c1', 'c2']);
    expect(await readUntil(topic, 'c2', true)).toEqual(['c0', 'c1', 'x0', 'x1', 'c2']);
  });

  it('commits consumer offsets with a transaction, and not with an aborted one', async () => {
    const admin = await kafka.admin();
    const client = kafka.client();
    const input = uniqueName('tx-input');
    const output = uniqueName('tx-output');
    const groupId = uniqueName('tx-group');
    await admin.createTopics([
      { topic: input, numPartitions: 1 },
      { topic: output, numPartitions: 1 },
    ]);
    const producer = await connected(client.producer({ transactionalId: uniqueName('tx-id') }));

    const offsetOf = async (group: string): Promise<string | null | undefined> =>
      (await admin.fetchOffsets(group, [input]))[0]?.offset;

    const committed = await producer.transaction();
    await committed.send([{ topic: output, messages: [{ value: 'out-0' }] }]);
    await committed.sendOffsets(groupId, [{ topic: input, partition: 0, offset: '5' }]);
    await committed.commit();
    // The coordinator applies transactional offsets once the commit markers are written, shortly after commit().
    await waitUntil('the committed offset', async () => (await offsetOf(groupId)) === '5');

    const aborted = await producer.transaction();
    await aborted.send([{ topic: output, messages: [{ value: 'out-1' }] }]);
    await aborted.sendOffsets(groupId, [{ topic: input, partition: 0, offset: '9' }]);
    await aborted.abort();

    // A later transaction of the same producer starts only after the abort is complete.
    const otherGroup = uniqueName('tx-group');
    const later = await producer.transaction();
    await later.sendOffsets(otherGroup, [{ topic: input, partition: 0, offset: '1' }]);
    await later.commit();
    await waitUntil('the later transaction', async () => (await offsetOf(otherGroup)) === '1');
    expect(await offsetOf(groupId)).toBe('5');
  });

  it('connecting a producer with the same transactional id fences the older one and aborts its open transaction at once', async () => {
    const admin = await kafka.admin();
    const topic = uniqueName('fence');
    await admin.createTopics([{ topic, numPartitions: 1 }]);
    const id = uniqueName('fenced-id');
    const older = await connected(kafka.client().producer({ transactionalId: id }));
    const open = await older.transaction();
    await open.send([{ topic, messages: [{ value: 'from the older producer', partition: 0 }] }]);
    // No transaction of its own yet: connecting alone must fence and settle the older one's.
    await connected(kafka.client().producer({ transactionalId: id }));
    await expect(open.commit()).rejects.toSatisfy(isFenced);
    const plain = await connected(kafka.client().producer());
    await plain.send([{ topic, messages: [{ value: 'after', partition: 0 }] }]);
    // The aborted transaction does not hold read_committed readers back (no wait for its timeout).
    expect(await readUntil(topic, 'after', false)).toEqual(['after']);
  });

  it('opens no transaction without a transactional id', async () => {
    const producer = createKafkaJsClient({ brokers: ['127.0.0.1:1'] }).producer();
    await expect(producer.transaction()).rejects.toBeInstanceOf(ConfigError);
  });
});
