import type { Admin, Kafka } from 'kafkajs';
import { kafkajs } from './kafkajs-library.js';
import type { KafkaAdmin, KafkaCommittedOffset, KafkaPartitionOffsets, KafkaTopicSpec } from './client.js';
import { KafkaConnectorError } from './errors.js';
import { definedOnly } from './kafkajs-convert.js';
import { kafkaJsCall, kafkaJsCallRetrying } from './kafkajs-error.js';

/** {@link KafkaAdmin} over a kafkajs admin client. */
export class KafkaJsAdmin implements KafkaAdmin {
  readonly #admin: Admin;

  /** @param kafka - the kafkajs client */
  constructor(kafka: Kafka) {
    this.#admin = kafka.admin();
  }

  connect(): Promise<void> {
    return kafkaJsCall('admin.connect', () => this.#admin.connect());
  }

  async createTopics(topics: readonly KafkaTopicSpec[]): Promise<string[]> {
    const operation = `admin.createTopics(${topics.map((t) => t.topic).join(',')})`;
    const existing = new Set(await kafkaJsCall(operation, () => this.#admin.listTopics()));
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length === 0) return [];
    const created = await kafkaJsCall(operation, () =>
      this.#admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.topic,
          ...definedOnly({ numPartitions: t.numPartitions, replicationFactor: t.replicationFactor }),
          configEntries: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
        })),
      }),
    );
    // false: another client created them in the meantime.
    return created ? missing.map((t) => t.topic) : [];
  }

  deleteTopics(topics: readonly string[]): Promise<void> {
    return kafkaJsCall(`admin.deleteTopics(${topics.join(',')})`, () => this.#admin.deleteTopics({ topics: [...topics] }));
  }

  listTopics(): Promise<string[]> {
    return kafkaJsCall('admin.listTopics', () => this.#admin.listTopics());
  }

  async fetchTopicOffsets(topic: string): Promise<KafkaPartitionOffsets[]> {
    const offsets = await kafkaJsCall(`admin.fetchTopicOffsets(${topic})`, () => this.#admin.fetchTopicOffsets(topic));
    return offsets.map(({ partition, low, high }) => ({ partition, low, high })).sort((a, b) => a.partition - b.partition);
  }

  async fetchOffsets(groupId: string, topics: readonly string[]): Promise<KafkaCommittedOffset[]> {
    // kafkajs does not retry this one; a fresh cluster answers NOT_COORDINATOR while it creates __consumer_offsets.
    const byTopic = await kafkaJsCallRetrying(`admin.fetchOffsets(group=${groupId}, topics=${topics.join(',')})`, () =>
      this.#admin.fetchOffsets({ groupId, topics: [...topics] }),
    );
    return byTopic.flatMap(({ topic, partitions }) =>
      partitions
        .map(({ partition, offset }) => ({ topic, partition, offset: offset === '-1' ? null : offset }))
        .sort((a, b) => a.partition - b.partition),
    );
  }

  async describeTopicConfigs(topic: string): Promise<Record<string, string>> {
    const operation = `admin.describeTopicConfigs(${topic})`;
    const response = await kafkaJsCall(operation, () =>
      this.#admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic }],
      }),
    );
    const resource = response.resources[0];
    if (resource === undefined || resource.errorCode !== 0) {
      throw new KafkaConnectorError('ERR_KAFKA', operation, resource?.errorMessage ?? 'no answer for the topic');
    }
    return Object.fromEntries(resource.configEntries.map((entry) => [entry.configName, entry.configValue]));
  }

  disconnect(): Promise<void> {
    return kafkaJsCall('admin.disconnect', () => this.#admin.disconnect());
  }
}
