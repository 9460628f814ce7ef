import type { KafkaClient, KafkaConsumerOptions, KafkaSender, KafkaTopicPartition } from './client.js';
import type { BadRecordPolicy } from './bad-records.js';

/** Options of {@link kafkaRecords} and {@link kafkaPartitions}. */
export interface KafkaSourceOptions {
  /** The cluster. */
  readonly client: KafkaClient;
  /** Consumer group: the partitions of `topics` are shared among its members. */
  readonly groupId: string;
  /** Topics to read. */
  readonly topics: readonly string[];
  /** Session, heartbeat and fetch settings of the group member. */
  readonly consumer?: Omit<KafkaConsumerOptions, 'groupId'>;
  /** Where a partition without a committed offset (and without a `startAt`) begins: earliest (default true) or latest. */
  readonly fromBeginning?: boolean;
  /**
   * Records buffered between Kafka and the reader (default 1000; per partition with
   * {@link kafkaPartitions}). When full, delivery waits (kafkajs fetches no more meanwhile) and the
   * partition is paused until the reader has taken half of them.
   */
  readonly capacity?: number;
  /** What happens to tombstones, empty, oversize and (with `requireUtf8`) non-UTF-8 records (default `fail`). */
  readonly badRecords?: BadRecordPolicy;
  /** Where the `dead-letter` policy sends bad records. */
  readonly deadLetterTopic?: string;
  /** Producer for dead letters (default: an idempotent producer of `client`, opened on the first bad record). */
  readonly deadLetterProducer?: KafkaSender;
  /** Values longer than this are bad (`oversize`); default 1 MiB. */
  readonly maxRecordBytes?: number;
  /** Values must be valid UTF-8 (default true). */
  readonly requireUtf8?: boolean;
  /** How often to heartbeat while delivery waits for room (default 1000 ms; kafkajs sends one per its heartbeat interval). */
  readonly heartbeatEveryMs?: number;
  /** End the stream (as {@link KafkaRecordSource.stop} does) after this many ms without records, counted from the first assignment. */
  readonly idleExitMs?: number;
  /** How long dead-letter sends and commits retry through a broker outage (default 300000 ms). */
  readonly retryTimeoutMs?: number;
  /**
   * Where to start reading a partition this member was just given, e.g. after what a restored
   * snapshot covers. `undefined` keeps the committed offset (or `fromBeginning`). Delivery of the
   * new assignment waits until every call has settled; a rejection stops the source.
   */
  readonly startAt?: (partition: KafkaTopicPartition) => Promise<string | undefined> | string | undefined;
  /** Told about problems that do not stop the source (a commit refused because the partition moved, ...). Default: a line on stderr. */
  readonly onWarning?: (message: string, error?: unknown) => void;
  /** Aborting closes the source at once (as {@link KafkaRecordSource.close} does). */
  readonly signal?: AbortSignal;
}

/** Where one partition stands. Offsets are decimal strings. */
export interface KafkaPartitionProgress extends KafkaTopicPartition {
  /** High watermark seen with the latest fetched batch. */
  readonly highWatermark: string | undefined;
  /** Offset after the last record handed to the reader. */
  readonly delivered: string | undefined;
  /** Last offset committed through this source. */
  readonly committed: string | undefined;
  /** `highWatermark − delivered`: records in Kafka not yet handed out (undefined until both are known). */
  readonly lag: number | undefined;
  /** True while fetching is paused because the buffer is full. */
  readonly paused: boolean;
}

/** Counters of a Kafka source. */
export interface KafkaSourceStats {
  /** Records handed to the reader. */
  readonly records: number;
  /** Their value bytes. */
  readonly bytes: number;
  /** Bad records sent to the dead-letter topic. */
  readonly deadLettered: number;
  /** Offsets committed (one per partition and call). */
  readonly commits: number;
  /** Group joins seen. */
  readonly assignments: number;
  /** Partitions taken away by rebalances. */
  readonly revocations: number;
}
