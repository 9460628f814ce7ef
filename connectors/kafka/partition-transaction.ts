import type { RecordScore, SurpriseAlert } from '../../src/pipeline/index.js';
import type { KafkaMessage, KafkaProducer, KafkaSender, KafkaTopicMessages, KafkaTopicPartition } from './client.js';
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
 * written in one Kafka transaction together with the snapshot itself and the partition's
 * consumer offset:
 *
 *   begin → send outputs → send the snapshot → add offset (what the snapshot covers) → commit.
 *
 * So the snapshot a `read_committed` load finds is always the state after exactly the records
 * whose outputs are committed: a crash (or a fence) before the commit aborts all three together,
 * and a restart resumes from the latest committed snapshot — it never relies on reading the
 * group's committed offset back, which the broker may still report as the previous one for a
 * moment after a commit.
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
   * Commits the held outputs, the snapshot and `offset` (the next offset to read after what the
   * snapshot covers) in one transaction (see the class description). A retriable failure before
   * the commit request aborts the transaction and tries the whole sequence again. A failure of the
   * commit request itself leaves its outcome unknown — it may have committed — so it is not
   * retried (that could write the outputs twice): it throws `ERR_KAFKA_COMMIT_UNKNOWN`, and the
   * partition's next start settles it (the new producer fences this one, and the restore reads
   * what was committed).
   *
   * @param offset - the partition's next offset to read.
   * @param saveSnapshot - writes the snapshot through the given transaction.
   * @throws {KafkaConnectorError} fenced (see {@link isFenced}) when another member took the partition over; `ERR_KAFKA_COMMIT_UNKNOWN` as above; other failures once not retriable or out of time.
   */
  async commit(offset: string, saveSnapshot: (transaction: KafkaSender) => Promise<void>): Promise<void> {
    const { producer, groupId, partition } = this.#options;
    const held = this.#held;
    this.#held = [];
    try {
      await retryRetriable(
        async () => {
          const tx = await producer.transaction();
          try {
            await tx.send(held);
            await saveSnapshot(tx);
            await tx.sendOffsets(groupId, [{ ...partition, offset }]);
          } catch (error) {
            if (tx.isActive()) await tx.abort().catch(() => undefined);
            throw error;
          }
          try {
            await tx.commit();
          } catch (error) {
            if (isFenced(error)) throw error;
            throw new KafkaConnectorError('ERR_KAFKA_COMMIT_UNKNOWN', `commit of ${partition.topic}/${partition.partition} at offset ${offset}`, 'the transaction commit failed and may or may not have taken effect', {
              cause: error,
              retriable: false,
            });
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
