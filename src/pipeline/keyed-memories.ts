import { SnapshotError } from '../errors/snapshot-error.js';
import type { MemorySnapshot, SnapshotCoverage } from '../snapshot/memory-snapshot.js';
import type { SnapshotStore } from '../snapshot/snapshot-store.js';
import type { TokenMemoryResult } from '../memory/token-memory.js';
import { advanceCoverage } from './coverage.js';
import type { ChunkResult, SnapshotEvent, SnapshotReason } from './memory-events.js';
import { RecordScorer, type PartialRecordScore } from './record-scorer.js';
import type { StreamMemory } from './stream-memory.js';
import type { TokenChunk } from './token-chunk.js';

/** One key's live memory and what travels with it. */
export interface KeyedEntry {
  readonly key: string;
  readonly memory: StreamMemory;
  readonly scorer: RecordScorer;
  coverage: SnapshotCoverage | undefined;
  /** Chunks processed since the last periodic snapshot. */
  chunksSinceSnapshot: number;
  /** When the last periodic snapshot was taken (performance.now()). */
  lastSnapshotAt: number;
  /** Bumped for every chunk; a chunk result's snapshot is valid while it is unchanged. */
  version: number;
}

/** Options of {@link KeyedMemories}. */
export interface KeyedMemoriesOptions {
  /** Makes the memory of a new key. */
  readonly create: (key: string) => StreamMemory;
  /** Most memories alive at once; the least recently used is evicted beyond it. Default: no limit. */
  readonly maxLive?: number;
  /** Restores a key's memory when it (re)appears, and keeps evicted ones. */
  readonly store?: SnapshotStore;
}

/** Key of {@link MemorySnapshot.extra} holding the layer's partial record score. */
const SCORER_EXTRA = 'titans.recordScore';

/** Takes a snapshot of one entry's memory as it is now, with `extra` data added. */
export async function snapshotOf(entry: KeyedEntry, extra: Readonly<Record<string, unknown>> = {}): Promise<MemorySnapshot> {
  const state = await entry.memory.exportState();
  const partial = entry.scorer.partial();
  const allExtra = { ...extra, ...(partial === undefined ? {} : { [SCORER_EXTRA]: partial }) };
  return {
    key: entry.key,
    state,
    ...(entry.coverage === undefined ? {} : { covers: entry.coverage }),
    createdAt: new Date().toISOString(),
    ...(Object.keys(allExtra).length === 0 ? {} : { extra: allExtra }),
  };
}

/**
 * Records on `entry` that its memory absorbed `chunk` (version, coverage, record scores) and
 * returns the chunk's event.
 *
 * @param entry - the key's entry; its memory has processed `chunk`.
 * @param chunk - the chunk as processed (after trimming what the memory already covered).
 * @param result - the memory's outputs for it.
 * @param tokensSeen - tokens the memory has absorbed after this chunk.
 * @param snapshot - the event's `snapshot()`, which knows when it has gone stale.
 */
export function absorbedChunk(entry: KeyedEntry, chunk: TokenChunk, result: TokenMemoryResult, tokensSeen: number, snapshot: () => Promise<MemorySnapshot>): ChunkResult {
  entry.version += 1;
  entry.coverage = advanceCoverage(entry.coverage, chunk);
  const loss = result.loss ?? new Float32Array(chunk.tokens.length);
  const surprise = result.surprise ?? new Float32Array(chunk.tokens.length);
  return {
    type: 'chunk',
    key: chunk.key,
    chunk,
    loss,
    surprise,
    ...(result.topK === undefined ? {} : { topK: result.topK }),
    ...(result.retrievals === undefined ? {} : { retrievals: result.retrievals }),
    records: entry.scorer.add(chunk, loss, surprise),
    tokensSeen,
    snapshot,
  };
}

/** What {@link snapshotEvent} needs from the layer that owns the entry. */
export interface SnapshotEventContext {
  /** Waits for a promise, rejecting when the layer is stopped. */
  readonly wait: <T>(value: T | PromiseLike<T>) => Promise<T>;
  /** Called first; its result travels in the snapshot's `extra`. */
  readonly beforeSnapshot?: ((key: string, reason: SnapshotReason) => Promise<Readonly<Record<string, unknown>> | undefined>) | undefined;
  /** Where the snapshot is saved, if anywhere. */
  readonly store?: SnapshotStore | undefined;
}

/** Takes, saves and returns a periodic or final snapshot of `entry`, and restarts its schedule. */
export async function snapshotEvent(entry: KeyedEntry, reason: SnapshotReason, context: SnapshotEventContext): Promise<SnapshotEvent> {
  const extra = await context.wait(context.beforeSnapshot?.(entry.key, reason));
  const snapshot = await context.wait(snapshotOf(entry, extra));
  await context.wait(context.store?.save(snapshot));
  entry.chunksSinceSnapshot = 0;
  entry.lastSnapshotAt = performance.now();
  return { type: 'snapshot', reason, snapshot };
}

/**
 * The live memories of a keyed layer: created on first sight (restored from the snapshot store
 * when it has one), least-recently-used order, eviction beyond `maxLive` with a snapshot first.
 */
export class KeyedMemories {
  readonly #live = new Map<string, KeyedEntry>();

  constructor(private readonly options: KeyedMemoriesOptions) {}

  /** Number of live memories. */
  get size(): number {
    return this.#live.size;
  }

  /** Live entries, least recently used first. */
  entries(): KeyedEntry[] {
    return [...this.#live.values()];
  }

  /** Live entries, least recently used first, without a copy (do not acquire or evict while iterating). */
  live(): IterableIterator<KeyedEntry> {
    return this.#live.values();
  }

  /**
   * The entry of `key`, made (and restored) if needed; marks it most recently used. Entries
   * evicted to make room are returned with their snapshots (already saved to the store).
   */
  async acquire(key: string): Promise<{ entry: KeyedEntry; evicted: MemorySnapshot[] }> {
    const existing = this.#live.get(key);
    if (existing !== undefined) {
      this.#live.delete(key);
      this.#live.set(key, existing);
      return { entry: existing, evicted: [] };
    }
    const evicted: MemorySnapshot[] = [];
    const maxLive = this.options.maxLive ?? Infinity;
    while (this.#live.size >= maxLive) {
      const oldest = this.#live.values().next().value;
      if (oldest === undefined) break;
      evicted.push(await this.evict(oldest));
    }
    const entry = await this.#open(key);
    this.#live.set(key, entry);
    return { entry, evicted };
  }

  /** Snapshots `entry` (saving it to the store), disposes its memory and forgets it. */
  async evict(entry: KeyedEntry): Promise<MemorySnapshot> {
    try {
      const snapshot = await snapshotOf(entry);
      await this.options.store?.save(snapshot);
      return snapshot;
    } finally {
      this.#live.delete(entry.key);
      entry.memory.dispose();
    }
  }

  /** Disposes every live memory without snapshots. */
  disposeAll(): void {
    for (const entry of this.#live.values()) entry.memory.dispose();
    this.#live.clear();
  }

  async #open(key: string): Promise<KeyedEntry> {
    const memory = this.options.create(key);
    let coverage: SnapshotCoverage | undefined;
    const scorer = new RecordScorer(key);
    try {
      const snapshot = await this.options.store?.load(key, { config: memory.config });
      if (snapshot !== undefined) {
        memory.importState(snapshot.state);
        coverage = snapshot.covers;
        scorer.restore(snapshot.extra?.[SCORER_EXTRA] as PartialRecordScore | undefined);
      }
    } catch (error) {
      memory.dispose();
      if (error instanceof SnapshotError) throw error;
      throw new SnapshotError('ERR_SNAPSHOT_CORRUPT', `cannot restore the memory of key "${key}": ${String(error)}`, { cause: error });
    }
    return { key, memory, scorer, coverage, chunksSinceSnapshot: 0, lastSnapshotAt: performance.now(), version: 0 };
  }
}
