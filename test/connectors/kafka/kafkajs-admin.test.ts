import { describe, expect, it } from 'vitest';
import { KafkaConnectorError } from '../../../connectors/kafka/index.js';
import { uniqueName, useKafka, waitUntil } from '../../support/kafka-env.js';

describe('KafkaJsAdmin on the real broker', () => {
  const kafka = useKafka();

  it('creates a topic with 3 empty partitions once, and deletes it', async () => {
    const admin = await kafka.admin();
    const topic = uniqueName('admin-create');
    expect(await admin.createTopics([{ topic, numPartitions: 3 }])).toEqual([topic]);
    expect(await admin.createTopics([{ topic, numPartitions: 3 }])).toEqual([]);
    expect(await admin.listTopics()).toContain(topic);
    expect(await admin.fetchTopicOffsets(topic)).toEqual([
      { partition: 0, low: '0', high: '0' },
      { partition: 1, low: '0', high: '0' },
      { partition: 2, low: '0', high: '0' },
    ]);

    await admin.deleteTopics([topic]);
    await waitUntil(`${topic} to disappear`, async () => !(await admin.listTopics()).includes(topic));
  });

  it('creates a compacted topic with its configs, next to a topic with the default policy', async () => {
    const admin = await kafka.admin();
    const compacted = uniqueName('admin-compact');
    const plain = uniqueName('admin-plain');
    const created = await admin.createTopics([
      { topic: compacted, numPartitions: 1, configs: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '1000' } },
      { topic: plain, numPartitions: 1 },
    ]);
    expect(created.sort()).toEqual([compacted, plain].sort());

    const compactedConfigs = await admin.describeTopicConfigs(compacted);
    expect(compactedConfigs['cleanup.policy']).toBe('compact');
    expect(compactedConfigs['min.compaction.lag.ms']).toBe('1000');
    expect((await admin.describeTopicConfigs(plain))['cleanup.policy']).toBe('delete');
    await admin.deleteTopics([compacted, plain]);
  });

  it('reports no committed offsets for a group that never committed', async () => {
    const admin = await kafka.admin();
    const topic = uniqueName('admin-offsets');
    await admin.createTopics([{ topic, numPartitions: 2 }]);
    expect(await admin.fetchOffsets(uniqueName('nobody'), [topic])).toEqual([
      { topic, partition: 0, offset: null },
      { topic, partition: 1, offset: null },
    ]);
    await admin.deleteTopics([topic]);
  });

  it('rejects an invalid topic config with a typed, non-retriable error naming the topic', async () => {
    const admin = await kafka.admin();
    const topic = uniqueName('admin-invalid');
    const failure = await admin.createTopics([{ topic, configs: { 'cleanup.policy': 'sometimes' } }]).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(KafkaConnectorError);
    const error = failure as KafkaConnectorError;
    expect(error.code).toBe('ERR_KAFKA_PROTOCOL');
    expect(error.protocolType).toBe('INVALID_CONFIG');
    expect(error.retriable).toBe(false);
    expect(error.message).toContain(topic);
    expect(await admin.listTopics()).not.toContain(topic);
  });
});
