import type { Consumer, ConsumerCrashEvent, ConsumerGroupJoinEvent, EachBatchPayload, Kafka } from 'kafkajs';
import type {
  KafkaAssignment,
  KafkaAssignmentListener,
  KafkaBatchContext,
  KafkaConsumer,
  KafkaConsumerOptions,
  KafkaCrash,
  KafkaRunOptions,
  KafkaSubscribeOptions,
  KafkaTopicPartition,
  KafkaTopicPartitionOffset,
  KafkaTopicPartitions,
} from './client.js';
import { KafkaConnectorError } from './errors.js';
import { compareTopicPartitions, definedOnly, fromKafkaJsBatch, topicPartitionKey } from './kafkajs-convert.js';
import { fromKafkaJsError, kafkaJsCall, originalKafkaJsError } from './kafkajs-error.js';

/**
 * Thrown into kafkajs when a batch handler or an assignment listener failed: not retriable, so
 * kafkajs stops the consumer instead of running the handler again.
 */
class ConsumerStopped extends Error {
  readonly retriable = false;
}

/**
 * {@link KafkaConsumer} over a kafkajs consumer. Never commits by itself (kafkajs `autoCommit` off);
 * returning from the batch handler only moves the fetch position.
 */
export class KafkaJsConsumer implements KafkaConsumer {
  readonly #consumer: Consumer;
  readonly #groupId: string;
  readonly #assignmentListeners = new Set<KafkaAssignmentListener>();
  readonly #crashListeners = new Set<(crash: KafkaCrash) => void>();
  /** Partitions owned since the last group join. */
  #owned: readonly KafkaTopicPartition[] = [];
  /** Settles when the listeners of the last group join have; batches wait for it. */
  #assignmentSettled: Promise<void> = Promise.resolve();
  /** Heartbeat of the runner that delivered the latest batch. */
  #heartbeat: (() => Promise<void>) | undefined;
  /** The handler or listener error that stopped the consumer, once reported. */
  #failure: { error: unknown } | undefined;
  /** True from `run` until a disconnect or a crash without restart. */
  #running = false;

  /**
   * @param kafka - the kafkajs client
   * @param options - group and fetch settings
   */
  constructor(kafka: Kafka, options: KafkaConsumerOptions) {
    this.#groupId = options.groupId;
    this.#consumer = kafka.consumer({
      groupId: options.groupId,
      ...definedOnly({
        sessionTimeout: options.sessionTimeoutMs,
        heartbeatInterval: options.heartbeatIntervalMs,
        rebalanceTimeout: options.rebalanceTimeoutMs,
        maxWaitTimeInMs: options.maxWaitTimeMs,
        maxBytesPerPartition: options.maxBytesPerPartition,
        readUncommitted: options.readUncommitted,
      }),
      // A handler failure stops the consumer for good; Kafka failures restart it as kafkajs decides.
      retry: { restartOnFailure: () => Promise.resolve(this.#failure === undefined) },
    });
    this.#consumer.on(this.#consumer.events.GROUP_JOIN, (event: ConsumerGroupJoinEvent) => this.#onGroupJoin(event));
    this.#consumer.on(this.#consumer.events.CRASH, (event: ConsumerCrashEvent) => this.#onCrash(event));
  }

  #describe(operation: string): string {
    return `consumer.${operation}(group=${this.#groupId})`;
  }

  connect(): Promise<void> {
    return kafkaJsCall(this.#describe('connect'), () => this.#consumer.connect());
  }

  subscribe(topics: readonly string[], options: KafkaSubscribeOptions = {}): Promise<void> {
    return kafkaJsCall(this.#describe(`subscribe topics=${topics.join(',')}`), () =>
      this.#consumer.subscribe({ topics: [...topics], fromBeginning: options.fromBeginning ?? true }),
    );
  }

  run(options: KafkaRunOptions): Promise<void> {
    const { eachBatch } = options;
    this.#running = true;
    return kafkaJsCall(this.#describe('run'), () =>
      this.#consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: true,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
        eachBatch: async (payload: EachBatchPayload) => {
          this.#heartbeat = payload.heartbeat;
          await this.#assignmentSettled;
          if (this.#failure !== undefined) throw new ConsumerStopped('the consumer was stopped by an earlier error');
          // A seek made by an assignment listener supersedes what was fetched before it.
          if (payload.isStale()) return;
          const { topic, partition } = payload.batch;
          const first = payload.batch.firstOffset();
          if (first !== null && this.#isPaused(topic, partition)) {
            // Fetched before the pause: hand it out after resume, from the same offset.
            this.#consumer.seek({ topic, partition, offset: first });
            return;
          }
          const context: KafkaBatchContext = {
            heartbeat: () => kafkaJsCall(this.#describe('heartbeat'), payload.heartbeat),
            isRunning: payload.isRunning,
            isStale: payload.isStale,
          };
          try {
            await eachBatch(fromKafkaJsBatch(payload.batch), context);
          } catch (error) {
            // A retriable Kafka error (e.g. a rebalance seen by heartbeat) goes back to kafkajs, which rejoins or retries.
            const kafkaError = originalKafkaJsError(error);
            if (kafkaError !== undefined) throw kafkaError;
            this.#fail(error);
            throw new ConsumerStopped('the batch handler failed');
          }
        },
      }),
    );
  }

  pause(partitions: readonly KafkaTopicPartitions[]): void {
    try {
      this.#consumer.pause(partitions.map(({ topic, partitions: ps }) => ({ topic, partitions: [...ps] })));
    } catch (error) {
      throw fromKafkaJsError(this.#describe('pause'), error);
    }
  }

  resume(partitions: readonly KafkaTopicPartitions[]): void {
    try {
      this.#consumer.resume(partitions.map(({ topic, partitions: ps }) => ({ topic, partitions: [...ps] })));
    } catch (error) {
      throw fromKafkaJsError(this.#describe('resume'), error);
    }
  }

  paused(): KafkaTopicPartitions[] {
    return this.#consumer.paused().map(({ topic, partitions }) => ({ topic, partitions: [...partitions] }));
  }

  seek(position: KafkaTopicPartitionOffset): void {
    try {
      this.#consumer.seek({ topic: position.topic, partition: position.partition, offset: position.offset });
    } catch (error) {
      throw fromKafkaJsError(this.#describe(`seek ${topicPartitionKey(position)}@${position.offset}`), error);
    }
  }

  async heartbeat(): Promise<void> {
    const heartbeat = this.#heartbeat;
    // Before the first batch (and after a restart) kafkajs heartbeats from its own fetch loop.
    if (heartbeat !== undefined) await kafkaJsCall(this.#describe('heartbeat'), heartbeat);
  }

  commitOffsets(offsets: readonly KafkaTopicPartitionOffset[]): Promise<void> {
    const operation = this.#describe(`commitOffsets ${offsets.map((o) => `${topicPartitionKey(o)}@${o.offset}`).join(',')}`);
    // kafkajs silently skips commits of a stopped consumer: say so instead.
    if (!this.#running) {
      return Promise.reject(new KafkaConnectorError('ERR_KAFKA_STOPPED', operation, 'the consumer is not running (call run first; disconnected or crashed consumers cannot commit)'));
    }
    const owned = new Set(this.#owned.map(topicPartitionKey));
    const foreign = offsets.filter((o) => !owned.has(topicPartitionKey(o)));
    if (foreign.length > 0) {
      // Committing for a partition another member owns now would overwrite its progress.
      return Promise.reject(
        new KafkaConnectorError('ERR_KAFKA_NOT_ASSIGNED', operation, `not assigned to this member: ${foreign.map(topicPartitionKey).join(', ')}`),
      );
    }
    return kafkaJsCall(operation, () =>
      this.#consumer.commitOffsets(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset }))),
    );
  }

  onAssignment(listener: KafkaAssignmentListener): () => void {
    this.#assignmentListeners.add(listener);
    return () => this.#assignmentListeners.delete(listener);
  }

  onCrash(listener: (crash: KafkaCrash) => void): () => void {
    this.#crashListeners.add(listener);
    return () => this.#crashListeners.delete(listener);
  }

  disconnect(): Promise<void> {
    this.#running = false;
    this.#heartbeat = undefined;
    this.#owned = [];
    return kafkaJsCall(this.#describe('disconnect'), () => this.#consumer.disconnect());
  }

  #isPaused(topic: string, partition: number): boolean {
    return this.#consumer.paused().some((p) => p.topic === topic && p.partitions.includes(partition));
  }

  #onGroupJoin(event: ConsumerGroupJoinEvent): void {
    const { groupId, memberId, memberAssignment } = event.payload;
    const partitions = Object.entries(memberAssignment)
      .flatMap(([topic, ps]) => ps.map((partition) => ({ topic, partition })))
      .sort(compareTopicPartitions);
    const now = new Set(partitions.map(topicPartitionKey));
    const before = new Set(this.#owned.map(topicPartitionKey));
    const assignment: KafkaAssignment = {
      groupId,
      memberId,
      partitions,
      assigned: partitions.filter((tp) => !before.has(topicPartitionKey(tp))),
      revoked: this.#owned.filter((tp) => !now.has(topicPartitionKey(tp))),
    };
    this.#owned = partitions;
    const pending = [...this.#assignmentListeners].map(async (listener) => listener(assignment));
    this.#assignmentSettled = Promise.allSettled(pending).then((results) => {
      const failed = results.find((result) => result.status === 'rejected');
      if (failed !== undefined) {
        this.#fail(failed.reason);
        // Nothing may be in flight to carry the failure into kafkajs: stop the consumer directly.
        this.#consumer.stop().catch(() => undefined);
      }
    });
  }

  #onCrash(event: ConsumerCrashEvent): void {
    this.#heartbeat = undefined;
    if (!event.payload.restart) this.#running = false;
    // A handler or listener failure was reported when it happened.
    if (this.#failure !== undefined) return;
    this.#report({ error: fromKafkaJsError(this.#describe('run'), event.payload.error), restarting: event.payload.restart });
  }

  /** Records the first handler or listener failure and reports it as a final crash. */
  #fail(error: unknown): void {
    if (this.#failure !== undefined) return;
    this.#failure = { error };
    this.#running = false;
    this.#report({ error, restarting: false });
  }

  #report(crash: KafkaCrash): void {
    for (const listener of this.#crashListeners) listener(crash);
  }
}
