import type { SourceRecord } from '../../src/records/index.js';
import type { KafkaTopicPartitionOffset } from './client.js';
import { KafkaIntake } from './kafka-intake.js';
import type { KafkaPartitionProgress, KafkaSourceOptions, KafkaSourceStats } from './kafka-source-options.js';

/**
 * Records of a consumer group's share of some topics, as one bounded async iterable; read it once.
 * Nothing is committed unless {@link KafkaRecordSource.commit} is called.
 */
export interface KafkaRecordSource extends AsyncIterable<SourceRecord> {
  /**
   * Commits offsets (each the next offset to read: last processed + 1) of partitions this member
   * still owns; call it only once the records' effects are safe (covered by a saved snapshot,
   * outputs produced). Offsets of partitions that moved away are left out.
   *
   * @returns the offsets committed.
   * @throws {KafkaConnectorError} when Kafka refuses for another reason, or stays unreachable past `retryTimeoutMs`.
   */
  commit(offsets: readonly KafkaTopicPartitionOffset[]): Promise<KafkaTopicPartitionOffset[]>;
  /** Where each owned partition stands (high watermark, delivered, committed, lag). */
  progress(): KafkaPartitionProgress[];
  /** Counters so far. */
  readonly stats: KafkaSourceStats;
  /** Ends the stream gracefully after the buffered records; the member stays in the group (commits work) until {@link close}. */
  stop(): void;
  /** Leaves the group and disconnects. Call it when done (a `break` out of the loop calls it too). */
  close(): Promise<void>;
}

/**
 * A consumer-group source: the records of the partitions this member is given, as
 * {@link SourceRecord}s (`value` bytes, `key` as text, `position` `{ kind: 'kafka', topic,
 * partition, offset }`), in order per partition, through a bounded buffer. When the buffer is
 * full, delivery waits (kafkajs fetches no more meanwhile), heartbeats, and pauses the partition
 * until half the buffer is free. Bad records (tombstones, empty, oversize, non-UTF-8) follow
 * `badRecords`: `dead-letter` (to `deadLetterTopic`, reason in the headers) or `fail` (the stream
 * fails with an `InputError` naming topic, partition and offset).
 *
 * Offsets are committed only by {@link KafkaRecordSource.commit}. For state kept per partition
 * across rebalances (one memory per partition), use {@link kafkaPartitions}: a revoked partition's
 * records still in this shared buffer are dropped, but downstream stages cannot tell when a
 * partition moved.
 *
 * @example
 * ```ts
 * const source = kafkaRecords({ client, groupId: 'titans', topics: ['logs'], idleExitMs: 5000 });
 * try {
 *   for await (const record of source) {
 *     await handle(record);
 *     const { topic, partition, offset } = record.position as KafkaPosition;
 *     await source.commit([{ topic, partition, offset: String(BigInt(offset) + 1n) }]);
 *   }
 * } finally {
 *   await source.close();
 * }
 * ```
 * @param options - cluster, group, topics, buffer, bad-record policy, start positions, idle exit, signal.
 * @returns the source; it connects on the first `next()`.
 * @throws {ConfigError} at once for bad options.
 */
export function kafkaRecords(options: KafkaSourceOptions): KafkaRecordSource {
  const intake = new KafkaIntake(options, 'merged');
  const records = intake.records();
  return {
    [Symbol.asyncIterator]: () => records[Symbol.asyncIterator](),
    commit: (offsets) => intake.commit(offsets),
    progress: () => intake.progress(),
    get stats() {
      return intake.stats;
    },
    stop: () => intake.stop(),
    close: () => intake.close(),
  };
}
