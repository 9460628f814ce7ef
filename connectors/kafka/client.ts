/**
 * The small Kafka client interface that the Kafka source, sink and snapshot store are written
 * against. It carries no types of any Kafka library: {@link createKafkaJsClient} implements it
 * with kafkajs, and another client can plug in by implementing {@link KafkaClient}.
 *
 * Conventions: offsets are decimal strings (they are 64-bit); keys, values and header values are
 * bytes (`Uint8Array`); a committed offset is the offset of the *next* record to read, i.e. the
 * last processed offset + 1.
 *
 * @module
 */

/** One partition of one topic. */
export interface KafkaTopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** A position in a partition: `offset` is a decimal string. */
export interface KafkaTopicPartitionOffset extends KafkaTopicPartition {
  readonly offset: string;
}

/** Partitions of one topic, for pause/resume. */
export interface KafkaTopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

/** Headers of a consumed record; a key repeated in the record gives an array. */
export type KafkaRecordHeaders = Readonly<Record<string, Uint8Array | readonly Uint8Array[]>>;

/** Headers of a produced message. */
export type KafkaMessageHeaders = Readonly<Record<string, Uint8Array | string>>;

/** A consumed record, as plain data. */
export interface KafkaRecord {
  readonly topic: string;
  readonly partition: number;
  /** Offset of this record (decimal string). */
  readonly offset: string;
  readonly key: Uint8Array | null;
  /** `null` for a tombstone. */
  readonly value: Uint8Array | null;
  /** Record timestamp, milliseconds since the epoch. */
  readonly timestamp: number;
  readonly headers: KafkaRecordHeaders;
}

/** Records of one partition delivered together. */
export interface KafkaBatch {
  readonly topic: string;
  readonly partition: number;
  /** The records in offset order (never empty). Transaction markers and aborted records are left out. */
  readonly records: readonly KafkaRecord[];
  /** Offset after the last record of the fetched batch, control records included: commit this once the whole batch is processed. */
  readonly nextOffset: string;
  /** The partition's high watermark when the batch was fetched; lag = highWatermark − nextOffset. */
  readonly highWatermark: string;
}

/** What a batch handler may do while it works on a batch. */
export interface KafkaBatchContext {
  /** Tell the group coordinator this member is alive; call it during long work. Rejects when the group is rebalancing. */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping: finish quickly. */
  isRunning(): boolean;
  /** True when a seek on this partition is pending: the rest of this batch is outdated. */
  isStale(): boolean;
}

/**
 * Handles one batch. Resolving means "delivered": the next batch of the partition follows (unless a
 * seek moved it). Nothing is committed by returning; commit explicitly with {@link KafkaConsumer.commitOffsets}.
 * Throwing stops the consumer and reports the error, unchanged, to the {@link KafkaConsumer.onCrash} listeners.
 */
export type KafkaBatchHandler = (batch: KafkaBatch, context: KafkaBatchContext) => Promise<void>;

/** Options of {@link KafkaConsumer.run}. */
export interface KafkaRunOptions {
  /** Called for every batch; the next batch of the same partition waits until it resolves (backpressure). */
  eachBatch: KafkaBatchHandler;
  /** How many partitions may be in `eachBatch` at once (default 1). */
  partitionsConsumedConcurrently?: number;
}

/** The partitions this member owns after a group (re)join. */
export interface KafkaAssignment {
  readonly groupId: string;
  readonly memberId: string;
  /** Every partition now owned, sorted by topic and partition. */
  readonly partitions: readonly KafkaTopicPartition[];
  /** Owned now but not before this join. */
  readonly assigned: readonly KafkaTopicPartition[];
  /** Owned before this join but not any more (already handed over: too late to commit for them). */
  readonly revoked: readonly KafkaTopicPartition[];
}

/**
 * Called after every group join. Batches of the new generation are held back until every
 * listener's promise has settled, so a listener can restore state and {@link KafkaConsumer.seek} first.
 */
export type KafkaAssignmentListener = (assignment: KafkaAssignment) => void | Promise<void>;

/** A consumer stopped because of an error. */
export interface KafkaCrash {
  /** The batch handler's own error, or a `KafkaConnectorError` for a Kafka failure. */
  readonly error: unknown;
  /** True when the client rejoins and resumes by itself (retriable Kafka failures); false when the consumer is stopped for good. */
  readonly restarting: boolean;
}

/** Options of {@link KafkaClient.consumer}. */
export interface KafkaConsumerOptions {
  /** Consumer group id. */
  groupId: string;
  /** The coordinator drops a member silent for this long (default 30000). */
  sessionTimeoutMs?: number;
  /** How often the client heartbeats between batches (default 3000, below a third of the session timeout). */
  heartbeatIntervalMs?: number;
  /** How long the coordinator waits for members to rejoin during a rebalance (default 60000). */
  rebalanceTimeoutMs?: number;
  /** Longest time a fetch waits for data (default 5000). */
  maxWaitTimeMs?: number;
  /** Fetch size limit per partition (default 1 MiB). */
  maxBytesPerPartition?: number;
  /** Read records of open and aborted transactions too (default false: read_committed). */
  readUncommitted?: boolean;
}

/** Options of {@link KafkaConsumer.subscribe}. */
export interface KafkaSubscribeOptions {
  /** Where a partition without a committed offset starts: the earliest record (default true) or the end. */
  fromBeginning?: boolean;
}

/**
 * A consumer-group member. Offsets are committed only by {@link commitOffsets}: never automatically.
 *
 * @example
 * ```ts
 * const consumer = client.consumer({ groupId: 'titans' });
 * await consumer.connect();
 * await consumer.subscribe(['logs']);
 * await consumer.run({
 *   eachBatch: async (batch) => {
 *     await process(batch.records);
 *     await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: batch.nextOffset }]);
 *   },
 * });
 * ```
 */
export interface KafkaConsumer {
  /** Connects to the cluster. */
  connect(): Promise<void>;
  /** Adds topics to the subscription; call before {@link run}. */
  subscribe(topics: readonly string[], options?: KafkaSubscribeOptions): Promise<void>;
  /** Joins the group and starts fetching; resolves once started (delivery goes on in the background). */
  run(options: KafkaRunOptions): Promise<void>;
  /** Stops delivery from these partitions: no batch of theirs reaches the handler until {@link resume} (one being handled is finished). Only after {@link run}. */
  pause(partitions: readonly KafkaTopicPartitions[]): void;
  /** Delivers again from paused partitions, from where delivery stopped. */
  resume(partitions: readonly KafkaTopicPartitions[]): void;
  /** The partitions currently paused. */
  paused(): KafkaTopicPartitions[];
  /** Makes the next fetch of an owned partition start at `offset`; only after {@link run}. */
  seek(position: KafkaTopicPartitionOffset): void;
  /** Heartbeats now if due; for long work inside or around a batch. Rejects when the group is rebalancing. */
  heartbeat(): Promise<void>;
  /** Commits offsets (each = next offset to read) for partitions this member owns; only after {@link run}. */
  commitOffsets(offsets: readonly KafkaTopicPartitionOffset[]): Promise<void>;
  /** Listens to group joins; returns a function that removes the listener. */
  onAssignment(listener: KafkaAssignmentListener): () => void;
  /** Listens to crashes; returns a function that removes the listener. */
  onCrash(listener: (crash: KafkaCrash) => void): () => void;
  /** Leaves the group and closes the connections. Commits nothing. */
  disconnect(): Promise<void>;
}

/** A message to produce. */
export interface KafkaMessage {
  key?: Uint8Array | string | null;
  /** `null` produces a tombstone. */
  value: Uint8Array | string | null;
  /** Explicit partition; else the key's hash (murmur2, as the Java client) or round robin. */
  partition?: number;
  headers?: KafkaMessageHeaders;
  /** Milliseconds since the epoch (default: now). */
  timestamp?: number;
}

/** Messages for one topic. */
export interface KafkaTopicMessages {
  readonly topic: string;
  readonly messages: readonly KafkaMessage[];
}

/** Where a produced batch landed: one entry per topic-partition written. */
export interface KafkaSendResult {
  readonly topic: string;
  readonly partition: number;
  /** Offset of the first message written to this partition by the call. */
  readonly baseOffset: string;
}

/** Something that sends batches of messages. */
export interface KafkaSender {
  /** Sends messages for one or more topics in one request per broker; resolves when acknowledged by all in-sync replicas. */
  send(batch: readonly KafkaTopicMessages[]): Promise<KafkaSendResult[]>;
}

/** An open transaction: sends, and consumer offsets, become visible together on {@link commit}. */
export interface KafkaTransaction extends KafkaSender {
  /** Adds consumer-group offsets (each = next offset to read) to the transaction. */
  sendOffsets(groupId: string, offsets: readonly KafkaTopicPartitionOffset[]): Promise<void>;
  /** Commits everything sent in this transaction. */
  commit(): Promise<void>;
  /** Discards everything sent in this transaction. */
  abort(): Promise<void>;
  /** True until committed or aborted. */
  isActive(): boolean;
}

/** Options of {@link KafkaClient.producer}. */
export interface KafkaProducerOptions {
  /** Exactly-once per partition within a producer session (default true). */
  idempotent?: boolean;
  /** Enables {@link KafkaProducer.transaction}; a new producer with the same id fences the old one. */
  transactionalId?: string;
  /** The broker aborts a transaction left open this long (default 60000). */
  transactionTimeoutMs?: number;
  /** Compression of produced batches (default none). */
  compression?: 'none' | 'gzip';
}

/**
 * Produces messages; idempotent by default.
 *
 * @example
 * ```ts
 * const producer = client.producer({ transactionalId: 'titans-sink-0' });
 * await producer.connect();
 * const tx = await producer.transaction();
 * await tx.send([{ topic: 'alerts', messages: [{ value: '{"surprise":3.2}' }] }]);
 * await tx.sendOffsets('titans', [{ topic: 'logs', partition: 0, offset: '42' }]);
 * await tx.commit();
 * ```
 */
export interface KafkaProducer extends KafkaSender {
  connect(): Promise<void>;
  /** Begins a transaction; needs `transactionalId`. One at a time. */
  transaction(): Promise<KafkaTransaction>;
  disconnect(): Promise<void>;
}

/** A topic to create. */
export interface KafkaTopicSpec {
  topic: string;
  /** Default: the broker's `num.partitions`. */
  numPartitions?: number;
  /** Default: the broker's `default.replication.factor`. */
  replicationFactor?: number;
  /** Topic configs, e.g. `{ 'cleanup.policy': 'compact' }`. */
  configs?: Readonly<Record<string, string>>;
}

/** Offsets of one partition of a topic. */
export interface KafkaPartitionOffsets {
  readonly partition: number;
  /** Earliest offset still stored. */
  readonly low: string;
  /** Offset the next record will get (the high watermark). */
  readonly high: string;
}

/** A group's committed offset for one partition; `null` when nothing was committed. */
export interface KafkaCommittedOffset extends KafkaTopicPartition {
  readonly offset: string | null;
}

/**
 * Cluster administration.
 *
 * @example
 * ```ts
 * const admin = client.admin();
 * await admin.connect();
 * await admin.createTopics([{ topic: 'snapshots', numPartitions: 1, configs: { 'cleanup.policy': 'compact' } }]);
 * await admin.disconnect();
 * ```
 */
export interface KafkaAdmin {
  connect(): Promise<void>;
  /** Creates topics and waits for their leaders; resolves to the names created (existing ones are left as they are). */
  createTopics(topics: readonly KafkaTopicSpec[]): Promise<string[]>;
  /** Deletes topics. */
  deleteTopics(topics: readonly string[]): Promise<void>;
  /** Names of all topics. */
  listTopics(): Promise<string[]>;
  /** Low and high offsets of every partition of a topic, by partition. */
  fetchTopicOffsets(topic: string): Promise<KafkaPartitionOffsets[]>;
  /** A group's committed offsets for every partition of the given topics. */
  fetchOffsets(groupId: string, topics: readonly string[]): Promise<KafkaCommittedOffset[]>;
  /** A topic's effective configs (explicit and broker defaults), by name. */
  describeTopicConfigs(topic: string): Promise<Record<string, string>>;
  disconnect(): Promise<void>;
}

/**
 * Factory of consumers, producers and admin clients for one cluster. Everything Kafka-specific the
 * rest of titans-stream needs goes through this interface.
 *
 * @example
 * ```ts
 * const client: KafkaClient = createKafkaJsClient({ brokers: ['127.0.0.1:9092'] });
 * const producer = client.producer();
 * ```
 */
export interface KafkaClient {
  /** A new consumer-group member. */
  consumer(options: KafkaConsumerOptions): KafkaConsumer;
  /** A new producer (idempotent by default). */
  producer(options?: KafkaProducerOptions): KafkaProducer;
  /** A new admin client. */
  admin(): KafkaAdmin;
}
