import type { RecordScore, SurpriseAlert } from '../../src/pipeline/index.js';
import type { KafkaMessage, KafkaProducer, KafkaTopicMessages, KafkaTopicPartition } from './client.js';
import { KafkaConnectorError } from './errors.js';
import type { MemoryOutputs } from './memory-outputs.js';
import { alertMessage, recordScoreMessage } from './output-messages.js';
import { retryRetriable } from './retry-retriable.js';

/** Options of {@link PartitionTransaction}. */
export interface PartitionTransactionOptions {
  /** A connected producer with a transactional id of its own partition (connecting it fenced any older one). */
  readonly producer: KafkaProducer;
  /** The consumer group whose offset of `partition` commits with the outputs. */
  readonly groupId: string;
  /** The input partition. */
  readonly partition: KafkaTopicPartition;
  /** Topic of the score messages (none when undefined). */
  readonly scoreTopic: string | undefined;
  /** Topic of the alert messages (none when undefined). */
  readonly alertTopic: string | undefined;
  /** How long a commit retries through a broker outage (default 300000 ms). */
  readonly retryTimeoutMs?: number;
}

/** Errors that mean a newer producer with the same transactional id took over: this one is a zombie. */
const FENCED = new Set(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED']);

/**
 * Whether `error` says the producer was fenced by a newer one with the same transactional id
 * (the partition now belongs to another member).
 */
export function isFenced(error: unknown): boolean {
  return error instanceof KafkaConnectorError && FENCED.has(error.protocolType ?? '');
}

/**
 * Exactly-once outputs of one input partition: outputs are held back and, at each snapshot,
 * written in one Kafka transaction together with the partition's consumer offset, after the
 * snapshot itself is saved:
 *
 *   begin → send outputs → add offset (what the snapshot covers) → save snapshot → commit.
 *
 * A crash before the commit aborts the outputs and the offset; the snapshot saved just before
 * then covers more than the committed offset and is passed over on restore for the previous one,
 * which matches the committed offset exactly (see `KafkaSnapshotStore` slots). So a read_committed
 * reader sees every output once, and the memory resumes exactly where the committed outputs end.
 */
export class PartitionTransaction implements MemoryOutputs {
  readonly #options: PartitionTransactionOptions;
  #held: KafkaTopicMessages[] = [];

  constructor(options: PartitionTransactionOptions) {
    this.#options = options;
  }

  /** Output messages held for the next commit. */
  get held(): number {
    return this.#held.reduce((n, t) => n + t.messages.length, 0);
  }

  async score(score: RecordScore): Promise<void> {
    if (this.#options.scoreTopic !== undefined) this.#hold(this.#options.scoreTopic, recordScoreMessage(score));
  }

  async alert(alert: SurpriseAlert): Promise<void> {
    if (this.#options.alertTopic !== undefined) this.#hold(this.#options.alertTopic, alertMessage(alert));
  }

  /** Nothing to do: outputs go out with the snapshot's transaction. */
  async flush(): Promise<void> {}

  /**
   * Commits the held outputs and `offset` (the next offset to read after what the snapshot
   * covers) in one transaction, saving the snapshot between (see the class description). A
   * retriable failure aborts the transaction and tries the whole sequence again.
   *
   * @param offset - the partition's next offset to read.
   * @param saveSnapshot - saves the snapshot (durably) inside the sequence.
   * @throws {KafkaConnectorError} fenced (see {@link isFenced}) when another member took the partition over; other failures once not retriable or out of time.
   */
  async commit(offset: string, saveSnapshot: () => Promise<void>): Promise<void> {
    const { producer, groupId, partition } = this.#options;
    const held = this.#held;
    this.#held = [];
    try {
      await retryRetriable(
        async () => {
          const tx = await producer.transaction();
          try {
            await tx.send(held);
            await tx.sendOffsets(groupId, [{ ...partition, offset }]);
            await saveSnapshot();
            await tx.commit();
          } catch (error) {
            if (tx.isActive()) await tx.abort().catch(() => undefined);
            throw error;
          }
        },
        this.#options.retryTimeoutMs === undefined ? {} : { timeoutMs: this.#options.retryTimeoutMs },
      );
    } catch (error) {
      // Not committed: the outputs stay held (ahead of any written meanwhile).
      this.#held = [...held, ...this.#held];
      throw error;
    }
  }

  #hold(topic: string, message: KafkaMessage): void {
    const last = this.#held[this.#held.length - 1];
    if (last?.topic === topic) (last.messages as KafkaMessage[]).push(message);
    else this.#held.push({ topic, messages: [message] });
  }
}
