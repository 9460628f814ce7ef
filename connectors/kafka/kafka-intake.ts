import { ConfigError } from '../../src/errors/index.js';
import type { SourceRecord } from '../../src/records/index.js';
import { abortable, pushBridge, type PushBridge } from '../../src/stream/index.js';
import { badRecordError, checkBadRecordOptions, classifyRecord, deadLetterMessage, kafkaPositionOf, type BadRecordChecks } from './bad-records.js';
import type {
  KafkaAssignment,
  KafkaBatch,
  KafkaBatchContext,
  KafkaConsumer,
  KafkaCrash,
  KafkaProducer,
  KafkaRecord,
  KafkaSender,
  KafkaTopicPartition,
  KafkaTopicPartitionOffset,
} from './client.js';
import { delay } from './delay.js';
import { KafkaConnectorError } from './errors.js';
import type { KafkaPartitionProgress, KafkaSourceOptions, KafkaSourceStats } from './kafka-source-options.js';
import { retryRetriable } from './retry-retriable.js';

/** How the intake hands records out: one shared buffer, or one buffer per partition. */
export type IntakeMode = 'merged' | 'partitioned';

/** A record on its way to the reader. `withdrawn` and `taken` settle who owns it when delivery is abandoned. */
interface Item {
  readonly record: SourceRecord;
  readonly lane: Lane;
  readonly offset: string;
  readonly bytes: number;
  withdrawn: boolean;
  taken: boolean;
}

/** One owned partition, from its assignment until it is revoked or the source closes. */
export interface Lane {
  readonly tp: KafkaTopicPartition;
  readonly id: string;
  readonly controller: AbortController;
  readonly bridge: PushBridge<Item>;
  alive: boolean;
  paused: boolean;
  /** Next offset to take from Kafka (after the last record buffered or dead-lettered). */
  nextOffset: string | undefined;
  /** Next offset after the last record handed to the reader. */
  delivered: string | undefined;
  committed: string | undefined;
  highWatermark: string | undefined;
  readonly startOffset: string | undefined;
}

/** Commits refused because this member does not own the partition (any more): expected around rebalances. */
const OWNERSHIP_ERRORS = new Set(['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'REBALANCE_IN_PROGRESS', 'FENCED_INSTANCE_ID']);

/** Heartbeat answers that mean the group is changing: kafkajs rejoins by itself once the batch is left. */
const GROUP_CHANGES = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'NOT_COORDINATOR', 'NOT_COORDINATOR_FOR_GROUP']);

function isGroupChange(error: unknown): boolean {
  return error instanceof KafkaConnectorError && GROUP_CHANGES.has(error.protocolType ?? '');
}

function isOwnershipError(error: unknown): boolean {
  if (!(error instanceof KafkaConnectorError)) return false;
  return error.code === 'ERR_KAFKA_NOT_ASSIGNED' || error.code === 'ERR_KAFKA_STOPPED' || OWNERSHIP_ERRORS.has(error.protocolType ?? '');
}

function laneId(tp: KafkaTopicPartition): string {
  return `${tp.topic}/${tp.partition}`;
}

function nextOf(offset: string): string {
  return (BigInt(offset) + 1n).toString();
}

function later(a: string | undefined, b: string): string {
  return a === undefined || BigInt(b) > BigInt(a) ? b : a;
}

const decoder = new TextDecoder();

function toSourceRecord(record: KafkaRecord): SourceRecord {
  const position = kafkaPositionOf(record);
  const value = record.value ?? new Uint8Array(0);
  return record.key === null ? { value, position } : { value, key: decoder.decode(record.key), position };
}

/** A promise with its resolver, already resolved when `open` is false. */
interface Gate {
  readonly promise: Promise<void>;
  readonly open: () => void;
}

function pendingGate(): Gate {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

function settledGate(): Gate {
  return { promise: Promise.resolve(), open: () => undefined };
}

function warnOnStderr(message: string, error?: unknown): void {
  const detail = error === undefined ? '' : `: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`titans-stream kafka: ${message}${detail}\n`);
}

/**
 * The consumer-group machinery behind {@link kafkaRecords} and {@link kafkaPartitions}: runs the
 * group member, buffers delivered records with backpressure (waiting, heartbeating, pausing),
 * applies the bad-record policy, follows assignments (seeking kept partitions to where delivery
 * stopped, new ones to `startAt`), and commits only when told.
 */
export class KafkaIntake {
  readonly #options: KafkaSourceOptions;
  readonly #mode: IntakeMode;
  readonly #capacity: number;
  readonly #checks: BadRecordChecks;
  readonly #heartbeatEveryMs: number;
  readonly #retryTimeoutMs: number;
  readonly #warn: (message: string, error?: unknown) => void;
  readonly #consumer: KafkaConsumer;
  readonly #closing = new AbortController();
  readonly #lanes = new Map<string, Lane>();
  /** The shared buffer (merged mode). */
  readonly #merged: PushBridge<Item> | undefined;
  /** Newly assigned lanes (partitioned mode). */
  readonly #newLanes: PushBridge<Lane> | undefined;
  #state: 'idle' | 'running' | 'stopping' | 'closed' = 'idle';
  #started: Promise<void> | undefined;
  #closed: Promise<void> | undefined;
  #memberId: string | undefined;
  #ownProducer: KafkaProducer | undefined;
  #deadLetter: Promise<KafkaSender> | undefined;
  #lastActivity = 0;
  /** Settles when the member is in the group; replaced by a pending one while kafkajs restarts a crashed consumer. */
  readonly #settled = settledGate();
  #inGroup = this.#settled;
  #idleTimer: NodeJS.Timeout | undefined;
  #stats = { records: 0, bytes: 0, deadLettered: 0, commits: 0, assignments: 0, revocations: 0 };

  /**
   * @param options - source options (validated here).
   * @param mode - one shared buffer or one per partition.
   * @throws {ConfigError} for bad options.
   */
  constructor(options: KafkaSourceOptions, mode: IntakeMode) {
    const { capacity = 1000, badRecords = 'fail', heartbeatEveryMs = 1000, retryTimeoutMs = 300_000 } = options;
    if (options.topics.length === 0) throw new ConfigError('topics', 'name at least one topic to read');
    if (options.groupId === '') throw new ConfigError('groupId', 'must not be empty');
    if (!(Number.isSafeInteger(capacity) && capacity > 0)) throw new ConfigError('capacity', `must be a positive integer, got ${capacity}`);
    if (!(heartbeatEveryMs > 0)) throw new ConfigError('heartbeatEveryMs', `must be positive, got ${heartbeatEveryMs}`);
    if (options.idleExitMs !== undefined && !(options.idleExitMs > 0)) throw new ConfigError('idleExitMs', `must be positive, got ${options.idleExitMs}`);
    this.#checks = {
      ...(options.maxRecordBytes === undefined ? {} : { maxRecordBytes: options.maxRecordBytes }),
      ...(options.requireUtf8 === undefined ? {} : { requireUtf8: options.requireUtf8 }),
    };
    checkBadRecordOptions(badRecords, options.deadLetterTopic, this.#checks);
    this.#options = options;
    this.#mode = mode;
    this.#capacity = capacity;
    this.#heartbeatEveryMs = heartbeatEveryMs;
    this.#retryTimeoutMs = retryTimeoutMs;
    this.#warn = options.onWarning ?? warnOnStderr;
    this.#consumer = options.client.consumer({ ...options.consumer, groupId: options.groupId });
    if (mode === 'merged') this.#merged = pushBridge<Item>({ capacity, policy: 'block', name: `kafka ${options.topics.join(',')}` });
    else this.#newLanes = pushBridge<Lane>({ capacity: 1_000_000, policy: 'error', name: `kafka partitions of ${options.topics.join(',')}` });
    if (options.signal?.aborted === true) void this.close();
    else options.signal?.addEventListener('abort', () => void this.close(), { once: true });
  }

  /** Connects, subscribes and starts the group member (once; later calls return the same promise). */
  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    if (this.#state !== 'idle') return;
    this.#state = 'running';
    const consumer = this.#consumer;
    consumer.onAssignment((assignment) => this.#onAssignment(assignment));
    consumer.onCrash((crash) => this.#onCrash(crash));
    try {
      await consumer.connect();
      await consumer.subscribe(this.#options.topics, { fromBeginning: this.#options.fromBeginning ?? true });
      await consumer.run({ eachBatch: (batch, context) => this.#onBatch(batch, context), partitionsConsumedConcurrently: 16 });
    } catch (error) {
      this.#fail(error);
      throw error;
    }
  }

  /** The shared record stream (merged mode): records of owned partitions, in order per partition. */
  records(): AsyncIterable<SourceRecord> {
    const bridge = this.#merged;
    if (bridge === undefined) throw new Error('unreachable: records() of a partitioned intake');
    return this.#readerOf(bridge, () => this.#lanes.values());
  }

  /** The stream of newly assigned partitions (partitioned mode). */
  lanes(): AsyncIterable<Lane> {
    const queue = this.#newLanes;
    if (queue === undefined) throw new Error('unreachable: lanes() of a merged intake');
    return {
      [Symbol.asyncIterator]: () => {
        const iterator = queue[Symbol.asyncIterator]();
        return {
          next: async () => {
            await this.start();
            for (;;) {
              const result = await iterator.next();
              if (result.done === true || result.value.alive) return result;
            }
          },
          return: async () => {
            await this.close();
            return iterator.return?.() ?? { done: true, value: undefined };
          },
        };
      },
    };
  }

  /** The records of one lane (partitioned mode), read once. */
  laneRecords(lane: Lane): AsyncIterable<SourceRecord> {
    return this.#readerOf(lane.bridge, () => [lane]);
  }

  #readerOf(bridge: PushBridge<Item>, lanesOf: () => Iterable<Lane>): AsyncIterable<SourceRecord> {
    return {
      [Symbol.asyncIterator]: () => {
        const iterator = bridge[Symbol.asyncIterator]();
        return {
          next: async (): Promise<IteratorResult<SourceRecord, undefined>> => {
            await this.start();
            for (;;) {
              const result = await iterator.next();
              if (result.done === true) return result;
              const item = result.value;
              if (item.withdrawn || !item.lane.alive) continue;
              item.taken = true;
              this.#taken(item, bridge, lanesOf);
              return { done: false, value: item.record };
            }
          },
          return: async (): Promise<IteratorResult<SourceRecord, undefined>> => {
            if (this.#mode === 'merged') await this.close();
            await iterator.return?.();
            return { done: true, value: undefined };
          },
        };
      },
    };
  }

  #taken(item: Item, bridge: PushBridge<Item>, lanesOf: () => Iterable<Lane>): void {
    const lane = item.lane;
    lane.delivered = nextOf(item.offset);
    this.#stats.records += 1;
    this.#stats.bytes += item.bytes;
    this.#lastActivity = performance.now();
    if (this.#state !== 'running' || bridge.size > this.#capacity / 2) return;
    for (const l of lanesOf()) {
      if (!l.paused || !l.alive) continue;
      l.paused = false;
      this.#tryConsumer('resume', () => this.#consumer.resume([{ topic: l.tp.topic, partitions: [l.tp.partition] }]));
    }
  }

  /** Where every owned partition stands. */
  progress(): KafkaPartitionProgress[] {
    return [...this.#lanes.values()].map((lane) => ({
      topic: lane.tp.topic,
      partition: lane.tp.partition,
      highWatermark: lane.highWatermark,
      delivered: lane.delivered,
      committed: lane.committed,
      lag: lane.highWatermark === undefined || lane.delivered === undefined ? undefined : Math.max(0, Number(BigInt(lane.highWatermark) - BigInt(lane.delivered))),
      paused: lane.paused,
    }));
  }

  /** Counters so far. */
  get stats(): KafkaSourceStats {
    return { ...this.#stats };
  }

  /**
   * Commits `offsets` (each the next offset to read) for the partitions still owned; the others
   * are left out (they moved to another member, whose progress must not be overwritten).
   *
   * @returns the offsets committed.
   * @throws {KafkaConnectorError} when Kafka refuses for another reason than ownership, or stays unreachable past `retryTimeoutMs`.
   */
  async commit(offsets: readonly KafkaTopicPartitionOffset[]): Promise<KafkaTopicPartitionOffset[]> {
    const done: KafkaTopicPartitionOffset[] = [];
    for (const offset of offsets) {
      const lane = this.#lanes.get(laneId(offset));
      if (lane !== undefined && (await this.commitLane(lane, offset.offset))) done.push(offset);
    }
    return done;
  }

  /**
   * Commits `offset` for `lane` if the lane still owns its partition.
   *
   * @returns false when the partition is no longer this lane's (nothing committed).
   */
  async commitLane(lane: Lane, offset: string): Promise<boolean> {
    const notOwned = (): KafkaConnectorError => new KafkaConnectorError('ERR_KAFKA_NOT_ASSIGNED', `commit ${lane.id}@${offset}`, 'the partition was revoked');
    try {
      await retryRetriable(
        async () => {
          // While kafkajs restarts a crashed consumer there is no group to commit to: wait for the rejoin.
          await abortable(this.#inGroup.promise, this.#closing.signal);
          if (!lane.alive) throw notOwned();
          await this.#consumer.commitOffsets([{ ...lane.tp, offset }]);
        },
        { timeoutMs: this.#retryTimeoutMs, signal: this.#closing.signal },
      );
    } catch (error) {
      if (isOwnershipError(error) || this.#closing.signal.aborted) {
        if (lane.alive) this.#warn(`commit of ${lane.id}@${offset} skipped`, error);
        return false;
      }
      throw error;
    }
    lane.committed = offset;
    this.#stats.commits += 1;
    return true;
  }

  /**
   * Ends the stream gracefully: no more records are taken from Kafka; the reader gets the ones
   * already buffered, then the end. The member stays in the group (commits still work) until {@link close}.
   */
  stop(): void {
    if (this.#state === 'stopping' || this.#state === 'closed') return;
    this.#state = 'stopping';
    this.#clearIdleTimer();
    this.#pauseAll();
    this.#merged?.end();
    for (const lane of this.#lanes.values()) lane.bridge.end();
    this.#newLanes?.end();
  }

  /** Leaves the group and disconnects at once; buffered records are dropped. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    const wasStarted = this.#state !== 'idle';
    this.#state = 'closed';
    this.#clearIdleTimer();
    const reason = new KafkaConnectorError('ERR_KAFKA_STOPPED', `source(group=${this.#options.groupId})`, 'the source was closed');
    this.#closing.abort(reason);
    this.#reopenGroup();
    for (const lane of [...this.#lanes.values()]) this.#retire(lane, reason);
    this.#merged?.end();
    this.#newLanes?.end();
    const producer = this.#ownProducer;
    await Promise.all([
      wasStarted ? this.#consumer.disconnect().catch((error: unknown) => this.#warn('disconnecting the consumer failed', error)) : undefined,
      producer?.disconnect().catch((error: unknown) => this.#warn('disconnecting the dead-letter producer failed', error)),
    ]);
  }

  #fail(error: unknown): void {
    if (this.#state === 'closed') return;
    this.#state = 'stopping';
    this.#clearIdleTimer();
    this.#merged?.fail(error);
    this.#newLanes?.fail(error);
    for (const lane of this.#lanes.values()) lane.bridge.fail(error);
  }

  #onCrash(crash: KafkaCrash): void {
    if (crash.restarting) {
      this.#warn('the consumer failed and restarts', crash.error);
      if (this.#inGroup === this.#settled) this.#inGroup = pendingGate();
      return;
    }
    this.#fail(crash.error);
    this.#reopenGroup();
  }

  /** Lets waiting commits go on (to commit, or to find their lane retired). */
  #reopenGroup(): void {
    this.#inGroup.open();
    this.#inGroup = this.#settled;
  }

  #pauseAll(): void {
    const byTopic = new Map<string, number[]>();
    for (const lane of this.#lanes.values()) byTopic.set(lane.tp.topic, [...(byTopic.get(lane.tp.topic) ?? []), lane.tp.partition]);
    if (byTopic.size === 0) return;
    this.#tryConsumer('pausing the partitions', () => this.#consumer.pause([...byTopic].map(([topic, partitions]) => ({ topic, partitions }))));
  }

  #retire(lane: Lane, reason: unknown): void {
    if (!lane.alive) return;
    lane.alive = false;
    this.#lanes.delete(lane.id);
    lane.controller.abort(reason);
  }

  #open(tp: KafkaTopicPartition, startOffset: string | undefined): Lane {
    const controller = new AbortController();
    const id = laneId(tp);
    const bridge =
      this.#merged ?? pushBridge<Item>({ capacity: this.#capacity, policy: 'block', signal: controller.signal, name: `kafka ${id}` });
    const lane: Lane = {
      tp: { topic: tp.topic, partition: tp.partition },
      id,
      controller,
      bridge,
      alive: true,
      paused: false,
      nextOffset: startOffset,
      delivered: startOffset,
      committed: undefined,
      highWatermark: undefined,
      startOffset,
    };
    this.#lanes.set(id, lane);
    return lane;
  }

  async #onAssignment(assignment: KafkaAssignment): Promise<void> {
    if (this.#state === 'closed') return;
    this.#stats.assignments += 1;
    // A new member id means this member left the group meanwhile: whatever it owned may have
    // been processed elsewhere, so nothing is kept.
    const rejoined = this.#memberId !== undefined && assignment.memberId !== this.#memberId;
    this.#memberId = assignment.memberId;
    const owned = new Set(assignment.partitions.map(laneId));
    for (const lane of [...this.#lanes.values()]) {
      if (owned.has(lane.id) && !rejoined) continue;
      this.#stats.revocations += 1;
      this.#retire(lane, new KafkaConnectorError('ERR_KAFKA_NOT_ASSIGNED', `partition ${lane.id}`, 'revoked by a rebalance'));
    }
    const fresh: KafkaTopicPartition[] = [];
    for (const tp of assignment.partitions) {
      const lane = this.#lanes.get(laneId(tp));
      if (lane === undefined) {
        fresh.push(tp);
        continue;
      }
      // kafkajs restarts kept partitions from the committed offset: continue where delivery stopped.
      if (lane.nextOffset !== undefined) this.#consumer.seek({ ...tp, offset: lane.nextOffset });
      if (lane.paused || this.#state !== 'running') this.#consumer.pause([{ topic: tp.topic, partitions: [tp.partition] }]);
    }
    if (this.#state !== 'running') {
      // Stopping: partitions given now are not taken up; pausing them leaves them to the next owner.
      if (fresh.length > 0) this.#consumer.pause(fresh.map((tp) => ({ topic: tp.topic, partitions: [tp.partition] })));
      this.#reopenGroup();
      return;
    }
    const starts = await Promise.all(fresh.map(async (tp) => this.#options.startAt?.(tp)));
    if (this.#state !== 'running') return this.#reopenGroup();
    fresh.forEach((tp, i) => {
      const start = starts[i];
      const lane = this.#open(tp, start);
      if (start !== undefined) this.#consumer.seek({ ...tp, offset: start });
      if (this.#newLanes !== undefined && !this.#newLanes.tryPush(lane)) throw new Error(`unreachable: the partition queue refused ${lane.id}`);
    });
    this.#lastActivity = performance.now();
    this.#armIdleTimer();
    this.#reopenGroup();
  }

  #armIdleTimer(): void {
    const idleExitMs = this.#options.idleExitMs;
    if (idleExitMs === undefined || this.#idleTimer !== undefined) return;
    this.#idleTimer = setInterval(() => {
      const buffered = this.#merged?.size ?? [...this.#lanes.values()].reduce((n, lane) => n + lane.bridge.size, 0);
      if (buffered === 0 && performance.now() - this.#lastActivity >= idleExitMs) this.stop();
    }, Math.min(250, idleExitMs));
    this.#idleTimer.unref();
  }

  #clearIdleTimer(): void {
    clearInterval(this.#idleTimer);
    this.#idleTimer = undefined;
  }

  async #onBatch(batch: KafkaBatch, context: KafkaBatchContext): Promise<void> {
    const lane = this.#lanes.get(laneId(batch));
    if (lane === undefined || !lane.alive || this.#state !== 'running') return;
    lane.highWatermark = batch.highWatermark;
    const stopped = (): boolean => !lane.alive || this.#state !== 'running' || context.isStale() || !context.isRunning();
    let lastBeat = performance.now();
    for (const record of batch.records) {
      if (stopped()) return this.#rewind(lane, context);
      // A batch can take long even when no single wait does: stay in the group (and learn of rebalances) meanwhile.
      if (performance.now() - lastBeat >= this.#heartbeatEveryMs) {
        lastBeat = performance.now();
        if (!(await this.#heartbeat(context))) return this.#rewind(lane, context);
      }
      // Already taken (a batch fetched before a seek, a redelivery): never twice.
      if (lane.nextOffset !== undefined && BigInt(record.offset) < BigInt(lane.nextOffset)) continue;
      const reason = classifyRecord(record, this.#checks);
      if (reason !== undefined) {
        if ((this.#options.badRecords ?? 'fail') === 'fail') {
          this.#pauseAll();
          this.#fail(badRecordError(record, reason, this.#checks));
          return;
        }
        await this.#sendDeadLetter(record, deadLetterMessage(record, reason, this.#checks));
        lane.nextOffset = nextOf(record.offset);
        this.#stats.deadLettered += 1;
        this.#lastActivity = performance.now();
        continue;
      }
      const item: Item = { record: toSourceRecord(record), lane, offset: record.offset, bytes: record.value?.byteLength ?? 0, withdrawn: false, taken: false };
      if (!(await this.#deliver(item, context))) return this.#rewind(lane, context);
      lane.nextOffset = nextOf(record.offset);
    }
    // Transaction markers after the last record: skip them too.
    if (!stopped()) lane.nextOffset = later(lane.nextOffset, batch.nextOffset);
    this.#pauseIfFull(lane);
  }

  /** After leaving a batch early: fetch the partition again from where delivery stopped. */
  #rewind(lane: Lane, context: KafkaBatchContext): void {
    const offset = lane.nextOffset;
    if (!lane.alive || context.isStale() || offset === undefined || this.#state === 'closed') return;
    this.#tryConsumer('seek', () => this.#consumer.seek({ ...lane.tp, offset }));
  }

  /**
   * Buffers `item`, waiting for room while heartbeating. Resolves true once the item is buffered,
   * false when delivery was abandoned (stopping, revoked, rebalancing: the item is withdrawn and
   * the reader skips it — unless it was taken meanwhile, which counts as delivered). Throws the
   * heartbeat's other failures after withdrawing the item.
   */
  async #deliver(item: Item, context: KafkaBatchContext): Promise<boolean> {
    const lane = item.lane;
    const buffered = lane.bridge.push(item).then(
      () => true,
      () => false,
    );
    const withdraw = (): boolean => {
      if (item.taken) return true;
      item.withdrawn = true;
      return false;
    };
    for (;;) {
      const tick = new AbortController();
      const outcome = await Promise.race([buffered, delay(this.#heartbeatEveryMs, tick.signal).then(() => 'tick' as const)]);
      tick.abort();
      if (outcome === true) return true;
      if (outcome === false) return withdraw();
      this.#pauseIfFull(lane);
      if (!lane.alive || this.#state !== 'running' || !context.isRunning() || context.isStale()) return withdraw();
      let beating: boolean;
      try {
        beating = await this.#heartbeat(context);
      } catch (error) {
        if (withdraw()) lane.nextOffset = nextOf(item.offset);
        throw error;
      }
      if (!beating) {
        if (withdraw()) lane.nextOffset = nextOf(item.offset);
        return false;
      }
    }
  }

  /**
   * Heartbeats; false when the group is rebalancing (leave the batch: kafkajs then rejoins, and
   * the assignment listener puts kept partitions back where delivery stopped). Other failures are
   * thrown (kafkajs retries retriable ones).
   */
  async #heartbeat(context: KafkaBatchContext): Promise<boolean> {
    try {
      await context.heartbeat();
      return true;
    } catch (error) {
      if (isGroupChange(error)) return false;
      throw error;
    }
  }

  #pauseIfFull(lane: Lane): void {
    if (lane.paused || !lane.alive || this.#state !== 'running' || lane.bridge.size < this.#capacity) return;
    lane.paused = true;
    this.#tryConsumer('pause', () => this.#consumer.pause([{ topic: lane.tp.topic, partitions: [lane.tp.partition] }]));
  }

  /**
   * Pauses, resumes or seeks; while kafkajs restarts a crashed consumer these fail, which is
   * harmless: the rejoin's assignment listener pauses and seeks every kept partition again.
   */
  #tryConsumer(what: string, call: () => void): void {
    try {
      call();
    } catch (error) {
      if (this.#inGroup === this.#settled) this.#warn(`${what} failed`, error);
    }
  }

  async #sendDeadLetter(record: KafkaRecord, message: ReturnType<typeof deadLetterMessage>): Promise<void> {
    const topic = this.#options.deadLetterTopic as string;
    this.#deadLetter ??= this.#deadLetterSender();
    const sender = await this.#deadLetter;
    await retryRetriable(() => sender.send([{ topic, messages: [message] }]), {
      timeoutMs: this.#retryTimeoutMs,
      signal: this.#closing.signal,
      onRetry: (error) => this.#warn(`dead-lettering ${record.topic}/${record.partition}@${record.offset} to ${topic} failed, retrying`, error),
    });
  }

  async #deadLetterSender(): Promise<KafkaSender> {
    if (this.#options.deadLetterProducer !== undefined) return this.#options.deadLetterProducer;
    const producer = this.#options.client.producer();
    this.#ownProducer = producer;
    await producer.connect();
    return producer;
  }
}
