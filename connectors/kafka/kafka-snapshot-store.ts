import { createHash, randomUUID } from 'node:crypto';
import { ConfigError, SnapshotError } from '../../src/errors/index.js';
import type { MemorySnapshot } from '../../src/snapshot/memory-snapshot.js';
import { decodeSnapshot, encodeSnapshot, type SnapshotExpectation } from '../../src/snapshot/snapshot-codec.js';
import type { SnapshotStore } from '../../src/snapshot/snapshot-store.js';
import type { KafkaAdmin, KafkaClient, KafkaProducer, KafkaRecord, KafkaSender } from './client.js';
import { readTopicToEnd } from './read-topic-to-end.js';
import { retryRetriable } from './retry-retriable.js';
import { assembleSnapshot, partMessage, partMessageKey, readPart, splitSnapshot, type SnapshotPart } from './snapshot-parts.js';

/** Options of {@link KafkaSnapshotStore}. */
export interface KafkaSnapshotStoreOptions {
  /** The cluster. */
  readonly client: KafkaClient;
  /** The compacted topic holding the snapshots; created on first use when missing. */
  readonly topic: string;
  /** Maps a snapshot's key (e.g. `logs-0`) to its key in the topic (e.g. `my-group/logs/0`). Default: unchanged. */
  readonly storeKey?: (key: string) => string;
  /** Largest message part in bytes (default 512 KiB; at most 960 KiB, under the broker's default 1 MB message limit). */
  readonly partBytes?: number;
  /** Snapshots kept per key (default 2: the latest and the one before, the fallback when the latest is damaged or half written). */
  readonly slots?: number;
  /** Producer to write with (default: an idempotent producer of `client`, opened on first use and closed by {@link KafkaSnapshotStore.close}). */
  readonly producer?: KafkaSender;
  /** Partitions of the topic when this store creates it (default 1). */
  readonly numPartitions?: number;
  /** Replication factor when this store creates the topic (default: the broker's). */
  readonly replicationFactor?: number;
  /** Extra topic configs when this store creates the topic. */
  readonly topicConfigs?: Readonly<Record<string, string>>;
  /** How long writes and reads retry through a broker outage (default 300000 ms). */
  readonly retryTimeoutMs?: number;
  /** Told about each damaged or incomplete snapshot skipped for an older one (default: a line on stderr). */
  readonly onCorrupt?: (key: string, problem: string) => void;
}

/** A complete snapshot found on the topic: its slot, its last part's offset, its bytes or what is wrong. */
interface Candidate {
  readonly slot: number;
  readonly id: string;
  readonly offset: bigint;
  readonly bytes: Uint8Array | string;
}

/** The latest message of each part key of one store key. */
type PartIndex = Map<string, { readonly part: SnapshotPart; readonly offset: bigint }>;

const MAX_PART_BYTES = 960 * 1024;

/** Key of the end markers written by each read (one key: compaction keeps only the latest). */
const END_MARKER_KEY = 'titans-stream/read-end';

function partitionFor(storeKey: string, partitions: number): number {
  return createHash('sha256').update(storeKey).digest().readUInt32BE(0) % partitions;
}

/**
 * Complete snapshots of one store key, newest first: per slot, the parts of the slot's most
 * recent write; a write cut short (or damaged) leaves its slot without a candidate.
 */
function candidatesOf(index: PartIndex, slots: number): Candidate[] {
  const candidates: Candidate[] = [];
  for (let slot = 0; slot < slots; slot++) {
    const inSlot = [...index.values()].filter((e) => e.part.slot === slot);
    if (inSlot.length === 0) continue;
    const newest = inSlot.reduce((a, b) => (b.offset > a.offset ? b : a));
    const parts = inSlot.filter((e) => e.part.id === newest.part.id).map((e) => e.part);
    candidates.push({ slot, id: newest.part.id, offset: newest.offset, bytes: assembleSnapshot(parts) });
  }
  return candidates.sort((a, b) => (a.offset < b.offset ? 1 : a.offset > b.offset ? -1 : 0));
}

/**
 * A {@link SnapshotStore} on a compacted Kafka topic: the snapshots of a key (by default
 * `${group}/${topic}/${partition}` in the Kafka pipeline) survive the process and follow the
 * partition to whichever group member owns it next.
 *
 * Each key has `slots` slots (default 2) written in turn, so the topic always holds the latest
 * snapshot and the one before it: compaction keeps the latest message per message key, and every
 * (key, slot, part) has its own message key. Snapshots larger than `partBytes` are split into
 * parts with headers (snapshot id, part index and count, SHA-256 and size of the whole), written
 * to one partition of the topic, put back together and verified on load. A latest snapshot that
 * is incomplete (a crash mid-write) or damaged is reported and skipped for the one before it.
 *
 * Loading reads the topic from its start with a throw-away consumer group; loads asked for at
 * the same time share one read.
 *
 * @example
 * ```ts
 * const store = new KafkaSnapshotStore({ client, topic: 'titans-snapshots', storeKey: (key) => `my-group/${key}` });
 * pipe(chunks, neuralMemory({ store, snapshots: { everyChunks: 100 } }));
 * // ...
 * await store.close();
 * ```
 */
export class KafkaSnapshotStore implements SnapshotStore {
  readonly #options: KafkaSnapshotStoreOptions;
  readonly #partBytes: number;
  readonly #slots: number;
  readonly #retryTimeoutMs: number;
  readonly #storeKey: (key: string) => string;
  readonly #onCorrupt: (key: string, problem: string) => void;
  /** Next slot to write per store key, once known. */
  readonly #nextSlot = new Map<string, number>();
  #ready: Promise<{ admin: KafkaAdmin; sender: KafkaSender; partitions: number }> | undefined;
  #ownProducer: KafkaProducer | undefined;
  #admin: KafkaAdmin | undefined;
  /** Keys waiting for the next read of the topic, and its result. */
  #queued: { readonly keys: Set<string>; readonly result: Promise<Map<string, PartIndex>> } | undefined;
  #previousRead: Promise<unknown> = Promise.resolve();

  /**
   * @param options - cluster, topic, key mapping, part size, slots, producer, topic settings.
   * @throws {ConfigError} for a bad part size or slot count.
   */
  constructor(options: KafkaSnapshotStoreOptions) {
    const { partBytes = 512 * 1024, slots = 2, retryTimeoutMs = 300_000 } = options;
    if (options.topic === '') throw new ConfigError('snapshotTopic', 'must not be empty');
    if (!(Number.isSafeInteger(partBytes) && partBytes >= 1024 && partBytes <= MAX_PART_BYTES)) {
      throw new ConfigError('partBytes', `must be an integer in [1024, ${MAX_PART_BYTES}], got ${partBytes}`);
    }
    if (!(Number.isSafeInteger(slots) && slots >= 2 && slots <= 16)) throw new ConfigError('slots', `must be an integer in [2, 16], got ${slots}`);
    this.#options = options;
    this.#partBytes = partBytes;
    this.#slots = slots;
    this.#retryTimeoutMs = retryTimeoutMs;
    this.#storeKey = options.storeKey ?? ((key) => key);
    this.#onCorrupt =
      options.onCorrupt ?? ((key, problem) => process.stderr.write(`titans-stream: skipping a snapshot of "${key}" on topic ${options.topic}: ${problem}\n`));
  }

  /** The topic. */
  get topic(): string {
    return this.#options.topic;
  }

  /**
   * Stores `snapshot` as the latest of its key, in the key's next slot; resolves once every part
   * is acknowledged by the in-sync replicas.
   *
   * @param snapshot - the snapshot.
   * @param via - writes the parts with this sender instead of the store's producer: an open
   *   transaction makes the snapshot visible (to the store's `read_committed` loads) only if the
   *   transaction commits.
   * @throws {KafkaConnectorError} when Kafka stays unreachable past `retryTimeoutMs` or refuses the write.
   */
  async save(snapshot: MemorySnapshot, via?: KafkaSender): Promise<void> {
    const prepared = await this.#prepare();
    const sender = via ?? prepared.sender;
    const { partitions } = prepared;
    const storeKey = this.#storeKey(snapshot.key);
    let slot = this.#nextSlot.get(storeKey);
    if (slot === undefined) {
      const index = await this.#read(storeKey);
      slot = this.#slotAfter(candidatesOf(index, this.#slots).find((c) => typeof c.bytes !== 'string')?.slot);
    }
    const parts = splitSnapshot(encodeSnapshot(snapshot), { storeKey, id: randomUUID(), slot, partBytes: this.#partBytes });
    const partition = partitionFor(storeKey, partitions);
    // One part per request: the broker's message limit applies to the whole produce batch.
    for (const part of parts) {
      await retryRetriable(() => sender.send([{ topic: this.topic, messages: [partMessage(part, partition)] }]), { timeoutMs: this.#retryTimeoutMs });
    }
    this.#nextSlot.set(storeKey, (slot + 1) % this.#slots);
  }

  /**
   * The latest complete snapshot of `key` that decodes and fits `expect`; damaged or incomplete
   * ones are reported (`onCorrupt`) and skipped for older ones.
   *
   * @returns the snapshot, or `undefined` when the key has none.
   * @throws {SnapshotError} `ERR_SNAPSHOT_CONFIG` when the latest snapshot is of another configuration.
   * @throws {KafkaConnectorError} when the topic cannot be read.
   */
  async load(key: string, expect: SnapshotExpectation): Promise<MemorySnapshot | undefined> {
    return (await this.#loadWhere(key, expect, () => true))[0];
  }

  /**
   * Every complete, valid snapshot of `key` still on the topic, newest first (at most `slots`).
   *
   * @throws {SnapshotError} `ERR_SNAPSHOT_CONFIG` when one is of another configuration.
   */
  async loadAll(key: string, expect: SnapshotExpectation): Promise<MemorySnapshot[]> {
    return this.#loadWhere(key, expect, () => false);
  }

  async #loadWhere(key: string, expect: SnapshotExpectation, enough: (found: MemorySnapshot) => boolean): Promise<MemorySnapshot[]> {
    await this.#prepare();
    const storeKey = this.#storeKey(key);
    const candidates = candidatesOf(await this.#read(storeKey), this.#slots);
    const found: MemorySnapshot[] = [];
    let loadedSlot: number | undefined;
    for (const candidate of candidates) {
      if (typeof candidate.bytes === 'string') {
        this.#onCorrupt(key, candidate.bytes);
        continue;
      }
      try {
        found.push(decodeSnapshot(candidate.bytes, { ...expect, key }));
      } catch (error) {
        if (error instanceof SnapshotError && error.code === 'ERR_SNAPSHOT_CORRUPT') {
          this.#onCorrupt(key, error.message);
          continue;
        }
        throw error;
      }
      loadedSlot ??= candidate.slot;
      if (enough(found[found.length - 1] as MemorySnapshot)) break;
    }
    // The next write goes after the newest usable snapshot, over older or broken ones.
    this.#nextSlot.set(storeKey, this.#slotAfter(loadedSlot));
    return found;
  }

  /** Closes the producer this store opened and its admin client. */
  async close(): Promise<void> {
    const ready = this.#ready;
    this.#ready = undefined;
    await ready?.catch(() => undefined);
    await Promise.all([this.#ownProducer?.disconnect().catch(() => undefined), this.#admin?.disconnect().catch(() => undefined)]);
    this.#ownProducer = undefined;
    this.#admin = undefined;
  }

  #slotAfter(slot: number | undefined): number {
    return slot === undefined ? 0 : (slot + 1) % this.#slots;
  }

  #prepare(): Promise<{ admin: KafkaAdmin; sender: KafkaSender; partitions: number }> {
    this.#ready ??= this.#connect();
    const ready = this.#ready;
    // A failed preparation is tried again by the next call.
    ready.catch(() => {
      if (this.#ready === ready) this.#ready = undefined;
    });
    return ready;
  }

  async #connect(): Promise<{ admin: KafkaAdmin; sender: KafkaSender; partitions: number }> {
    const { client, topic } = this.#options;
    const retry = { timeoutMs: this.#retryTimeoutMs };
    if (this.#admin === undefined) {
      const admin = client.admin();
      await retryRetriable(() => admin.connect(), retry);
      this.#admin = admin;
    }
    const admin = this.#admin;
    await retryRetriable(
      () =>
        admin.createTopics([
          {
            topic,
            numPartitions: this.#options.numPartitions ?? 1,
            ...(this.#options.replicationFactor === undefined ? {} : { replicationFactor: this.#options.replicationFactor }),
            configs: { 'cleanup.policy': 'compact', 'min.cleanable.dirty.ratio': '0.1', 'segment.ms': '3600000', ...this.#options.topicConfigs },
          },
        ]),
      retry,
    );
    const configs = await retryRetriable(() => admin.describeTopicConfigs(topic), retry);
    if (!(configs['cleanup.policy'] ?? '').split(',').includes('compact')) {
      throw new ConfigError('snapshotTopic', `topic ${topic} has cleanup.policy=${configs['cleanup.policy'] ?? '(unknown)'}: snapshots need a compacted topic, or they expire`);
    }
    const partitions = (await retryRetriable(() => admin.fetchTopicOffsets(topic), retry)).length;
    let sender = this.#options.producer;
    if (sender === undefined) {
      const producer = this.#ownProducer ?? client.producer();
      if (this.#ownProducer === undefined) {
        await retryRetriable(() => producer.connect(), retry);
        this.#ownProducer = producer;
      }
      sender = producer;
    }
    return { admin, sender, partitions: Math.max(1, partitions) };
  }

  /** The latest part messages of `storeKey`, from a read of the topic shared with the loads asked for meanwhile. */
  async #read(storeKey: string): Promise<PartIndex> {
    if (this.#queued === undefined) {
      const keys = new Set<string>();
      const result = (async () => {
        await this.#previousRead.catch(() => undefined);
        // Let the loads asked for in the same turn join this read.
        await new Promise((resolve) => setImmediate(resolve));
        if (this.#queued?.keys === keys) this.#queued = undefined;
        return this.#readKeys(keys);
      })();
      this.#queued = { keys, result };
      this.#previousRead = result;
    }
    this.#queued.keys.add(storeKey);
    return (await this.#queued.result).get(storeKey) ?? new Map();
  }

  /**
   * Writes an end marker to each of `partitions` and returns the offsets after them. A read up to
   * a marker sees every snapshot committed before the read began: a `read_committed` consumer gets
   * to the marker only once every transaction begun before it (snapshots written in exactly-once
   * transactions, by any key of the partition) has committed or aborted — where the last stable
   * offset the admin reports would stop short at the first transaction still open.
   */
  async #markEnds(partitions: ReadonlySet<number>): Promise<Map<number, bigint>> {
    const { sender } = await this.#prepare();
    const messages = [...partitions].map((partition) => ({ key: END_MARKER_KEY, value: null, partition }));
    const results = await sender.send([{ topic: this.topic, messages }]);
    return new Map(results.map((r) => [r.partition, BigInt(r.baseOffset) + 1n]));
  }

  async #readKeys(keys: ReadonlySet<string>): Promise<Map<string, PartIndex>> {
    const { admin, partitions } = await this.#prepare();
    return retryRetriable(
      async () => {
        const indexes = new Map<string, PartIndex>([...keys].map((k) => [k, new Map()]));
        const ends = await this.#markEnds(new Set([...keys].map((k) => partitionFor(k, partitions))));
        await readTopicToEnd(
          this.#options.client,
          admin,
          this.topic,
          (record: KafkaRecord) => {
            const part = readPart(record);
            const index = part === undefined ? undefined : indexes.get(part.storeKey);
            if (part === undefined || index === undefined) return;
            // Later messages of a part key replace earlier ones, as compaction would.
            index.set(partMessageKey(part.storeKey, part.slot, part.index), { part, offset: BigInt(record.offset) });
          },
          { ends },
        );
        return indexes;
      },
      { timeoutMs: this.#retryTimeoutMs },
    );
  }
}
