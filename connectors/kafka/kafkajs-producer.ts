import type { Kafka, Producer, RecordMetadata, Sender, Transaction } from 'kafkajs';
import { kafkajs } from './kafkajs-library.js';
import { ConfigError } from '../../src/errors/index.js';
import type {
  KafkaProducer,
  KafkaProducerOptions,
  KafkaSendResult,
  KafkaTopicMessages,
  KafkaTopicPartitionOffset,
  KafkaTransaction,
} from './client.js';
import { definedOnly, toKafkaJsMessage } from './kafkajs-convert.js';
import { kafkaJsCall, kafkaJsCallRetrying } from './kafkajs-error.js';

/** kafkajs' compression codes (`CompressionTypes`); only GZIP is built in. */
const COMPRESSION = { none: 0, gzip: 1 } as const;

function describeSend(prefix: string, batch: readonly KafkaTopicMessages[]): string {
  return `${prefix}.send(topics=${[...new Set(batch.map((b) => b.topic))].join(',')})`;
}

async function sendWith(
  sender: Sender,
  operation: string,
  batch: readonly KafkaTopicMessages[],
  compression: 0 | 1,
): Promise<KafkaSendResult[]> {
  const topicMessages = batch
    .filter((b) => b.messages.length > 0)
    .map((b) => ({ topic: b.topic, messages: b.messages.map(toKafkaJsMessage) }));
  if (topicMessages.length === 0) return [];
  const written = await kafkaJsCall(operation, () => sender.sendBatch({ acks: -1, compression, topicMessages }));
  return written.map((r: RecordMetadata) => ({
    topic: r.topicName,
    partition: r.partition,
    baseOffset: r.baseOffset ?? r.offset ?? '-1',
  }));
}

/** {@link KafkaTransaction} over a kafkajs transaction. */
class KafkaJsTransaction implements KafkaTransaction {
  readonly #transaction: Transaction;
  readonly #describe: string;
  readonly #compression: 0 | 1;

  constructor(transaction: Transaction, describe: string, compression: 0 | 1) {
    this.#transaction = transaction;
    this.#describe = describe;
    this.#compression = compression;
  }

  send(batch: readonly KafkaTopicMessages[]): Promise<KafkaSendResult[]> {
    return sendWith(this.#transaction, describeSend(this.#describe, batch), batch, this.#compression);
  }

  sendOffsets(groupId: string, offsets: readonly KafkaTopicPartitionOffset[]): Promise<void> {
    const topics = new Map<string, { partition: number; offset: string }[]>();
    for (const { topic, partition, offset } of offsets) {
      const partitions = topics.get(topic) ?? [];
      partitions.push({ partition, offset });
      topics.set(topic, partitions);
    }
    // kafkajs does not retry AddOffsetsToTxn, which answers CONCURRENT_TRANSACTIONS while the
    // previous transaction's markers are still being written; both requests are safe to repeat.
    return kafkaJsCallRetrying(`${this.#describe}.sendOffsets(group=${groupId})`, () =>
      this.#transaction.sendOffsets({
        consumerGroupId: groupId,
        topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
      }),
    );
  }

  commit(): Promise<void> {
    return kafkaJsCall(`${this.#describe}.commit`, () => this.#transaction.commit());
  }

  abort(): Promise<void> {
    return kafkaJsCall(`${this.#describe}.abort`, () => this.#transaction.abort());
  }

  isActive(): boolean {
    return this.#transaction.isActive();
  }
}

/** {@link KafkaProducer} over a kafkajs producer: idempotent unless told otherwise, acks from all in-sync replicas. */
export class KafkaJsProducer implements KafkaProducer {
  readonly #producer: Producer;
  readonly #transactionalId: string | undefined;
  readonly #compression: 0 | 1;

  /**
   * @param kafka - the kafkajs client
   * @param options - idempotence, transactions, compression
   */
  constructor(kafka: Kafka, options: KafkaProducerOptions) {
    this.#transactionalId = options.transactionalId;
    this.#compression = COMPRESSION[options.compression ?? 'none'];
    const idempotent = options.transactionalId !== undefined || (options.idempotent ?? true);
    this.#producer = kafka.producer({
      idempotent,
      // The Java-compatible (murmur2) partitioner, kafkajs' default, named to silence its warning about it.
      createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
      // kafkajs keeps ordering and exactly-once only with one request in flight.
      ...(idempotent && { maxInFlightRequests: 1 }),
      ...definedOnly({
        transactionalId: options.transactionalId,
        transactionTimeout: options.transactionTimeoutMs,
      }),
    });
  }

  get #describe(): string {
    return this.#transactionalId === undefined ? 'producer' : `producer(transactionalId=${this.#transactionalId})`;
  }

  /**
   * Connects. A transactional producer also claims its transactional id here (kafkajs would only
   * do so at the first transaction): that fences any older producer with the same id and
   * settles its open transaction, so once `connect` resolves, what it committed is final.
   */
  async connect(): Promise<void> {
    await kafkaJsCall(`${this.#describe}.connect`, () => this.#producer.connect());
    if (this.#transactionalId === undefined) return;
    // An empty transaction: beginning it runs InitProducerId with the transactional id; aborting it sends nothing.
    await kafkaJsCall(`${this.#describe}.connect(fence)`, async () => {
      const claim = await this.#producer.transaction();
      await claim.abort();
    });
  }

  send(batch: readonly KafkaTopicMessages[]): Promise<KafkaSendResult[]> {
    return sendWith(this.#producer, describeSend(this.#describe, batch), batch, this.#compression);
  }

  async transaction(): Promise<KafkaTransaction> {
    if (this.#transactionalId === undefined) {
      throw new ConfigError('transactionalId', 'a producer needs a transactionalId to open transactions');
    }
    const transaction = await kafkaJsCall(`${this.#describe}.transaction`, () => this.#producer.transaction());
    return new KafkaJsTransaction(transaction, `${this.#describe}.transaction`, this.#compression);
  }

  disconnect(): Promise<void> {
    return kafkaJsCall(`${this.#describe}.disconnect`, () => this.#producer.disconnect());
  }
}
