import type { SourceRecord } from '../../src/records/index.js';
import { streamKeyOf } from '../../src/records/index.js';
import { KafkaIntake, type Lane } from './kafka-intake.js';
import type { KafkaPartitionProgress, KafkaSourceOptions, KafkaSourceStats } from './kafka-source-options.js';

/** The records of one partition for as long as this member owns it; read it once. */
export interface KafkaPartitionStream extends AsyncIterable<SourceRecord> {
  readonly topic: string;
  readonly partition: number;
  /** The partition's default state key, `streamKeyOf` of its records: `${topic}-${partition}`. */
  readonly key: string;
  /**
   * Aborts when the partition is revoked (or the source closes): stop working on it at once and
   * save nothing more for it — another member owns it now. Reading the stream then rejects with the reason.
   */
  readonly signal: AbortSignal;
  /** Where reading started (what `startAt` chose), if known. */
  readonly startOffset: string | undefined;
  /**
   * Commits `offset` (the next offset to read) if the partition is still this stream's.
   *
   * @returns false when it was revoked (nothing committed).
   * @throws {KafkaConnectorError} when Kafka refuses for another reason, or stays unreachable past `retryTimeoutMs`.
   */
  commit(offset: string): Promise<boolean>;
}

/** The partitions given to this member, each as its own stream, as they are assigned. */
export interface KafkaPartitionSource extends AsyncIterable<KafkaPartitionStream> {
  /** Where each owned partition stands. */
  progress(): KafkaPartitionProgress[];
  /** Counters so far. */
  readonly stats: KafkaSourceStats;
  /** Ends every partition stream (after its buffered records) and the stream of partitions; commits still work until {@link close}. */
  stop(): void;
  /** Leaves the group and disconnects; every partition stream aborts. */
  close(): Promise<void>;
}

function partitionStream(intake: KafkaIntake, lane: Lane): KafkaPartitionStream {
  const records = intake.laneRecords(lane);
  return {
    topic: lane.tp.topic,
    partition: lane.tp.partition,
    key: streamKeyOf({ kind: 'kafka', ...lane.tp, offset: '0' }),
    signal: lane.controller.signal,
    startOffset: lane.startOffset,
    commit: (offset) => intake.commitLane(lane, offset),
    [Symbol.asyncIterator]: () => records[Symbol.asyncIterator](),
  };
}

/**
 * A consumer-group source that hands out each assigned partition as its own bounded record
 * stream — for state kept per partition (one memory per partition): on assignment, `startAt`
 * says where to read from (e.g. after what the partition's restored snapshot covers); on
 * revocation, the stream's `signal` aborts, so its state can be dropped unsaved. Partitions kept
 * across a rebalance go on where they were. Buffering, backpressure and bad records work as in
 * {@link kafkaRecords}; nothing is committed unless a stream's `commit` is called.
 *
 * @example
 * ```ts
 * const source = kafkaPartitions({ client, groupId: 'titans', topics: ['logs'], startAt: restoreAndSeek });
 * for await (const partition of source) {
 *   void (async () => {
 *     for await (const record of partition) await handle(partition.key, record);
 *   })();
 * }
 * ```
 * @param options - cluster, group, topics, buffer, bad-record policy, start positions, idle exit, signal.
 * @returns the source; it connects on the first `next()`.
 * @throws {ConfigError} at once for bad options.
 */
export function kafkaPartitions(options: KafkaSourceOptions): KafkaPartitionSource {
  const intake = new KafkaIntake(options, 'partitioned');
  const lanes = intake.lanes();
  return {
    [Symbol.asyncIterator]: () => {
      const iterator = lanes[Symbol.asyncIterator]();
      return {
        next: async () => {
          const result = await iterator.next();
          return result.done === true ? result : { done: false, value: partitionStream(intake, result.value) };
        },
        return: async () => {
          await iterator.return?.();
          return { done: true, value: undefined };
        },
      };
    },
    progress: () => intake.progress(),
    get stats() {
      return intake.stats;
    },
    stop: () => intake.stop(),
    close: () => intake.close(),
  };
}
