import { ConfigError } from '../errors/config-error.js';
import { LayerError } from '../errors/layer-error.js';
import { TitansError } from '../errors/titans-error.js';
import { TokenMemory } from '../memory/token-memory.js';
import type { TokenMemoryConfig } from '../memory/token-memory-config.js';
import type { SnapshotStore } from '../snapshot/snapshot-store.js';
import { interruptible } from '../stream/interruptible.js';
import { SourceReader } from '../stream/source-reader.js';
import type { AsyncOperator, OperatorOptions } from '../stream/types.js';
import { BYTE_VOCAB_SIZE } from '../tokenize/byte-tokenizer.js';
import { advanceCoverage } from './coverage.js';
import { KeyedMemories, snapshotEvent, snapshotOf, type KeyedEntry } from './keyed-memories.js';
import type { ChunkResult, MemoryEvent, SnapshotReason } from './memory-events.js';
import type { StreamMemory } from './stream-memory.js';
import type { TokenChunk } from './token-chunk.js';
import { trimCovered } from './trim-covered.js';

/** When a keyed layer emits periodic snapshots of a key's memory. */
export interface SnapshotSchedule {
  /** After every this many chunks of the key. */
  readonly everyChunks?: number;
  /** After a chunk of the key when this many milliseconds passed since its last snapshot. */
  readonly everyMs?: number;
}

/** Options of {@link neuralMemory}. */
export interface NeuralMemoryOptions extends OperatorOptions {
  /** Configuration of each key's memory (default: a byte-level `TokenMemory` with vocab 260). */
  readonly memory?: Partial<TokenMemoryConfig>;
  /** Makes a key's memory (a trained model, a custom memory); overrides `memory`. */
  readonly create?: (key: string) => StreamMemory;
  /** Top-k next-token predictions per token (0 = none, default). */
  readonly predictions?: number;
  /** Emit per-token retrievals (default false). */
  readonly retrievals?: boolean;
  /** Most memories alive at once; the least recently used is snapshotted and evicted beyond it. */
  readonly maxLiveMemories?: number;
  /** Restores a key's memory when it appears (and returns), and keeps evicted and final snapshots. */
  readonly store?: SnapshotStore;
  /** Periodic snapshots, emitted downstream (and saved to `store`). */
  readonly snapshots?: SnapshotSchedule;
  /** Snapshot every live memory when the source ends. Default: true when `store` or `snapshots` is given. */
  readonly finalSnapshots?: boolean;
  /**
   * Called before a periodic or final snapshot is taken and saved; what it returns travels in the
   * snapshot's `extra` (e.g. a sink flushed to this point and its checkpoint, for exact resume).
   * Downstream has handled every earlier event by then (pull-based).
   */
  readonly beforeSnapshot?: (key: string, reason: SnapshotReason) => Promise<Readonly<Record<string, unknown>> | undefined>;
}

function checkSchedule(schedule: SnapshotSchedule | undefined): void {
  if (schedule?.everyChunks !== undefined && !(Number.isSafeInteger(schedule.everyChunks) && schedule.everyChunks > 0)) {
    throw new ConfigError('snapshots.everyChunks', `must be a positive integer, got ${schedule.everyChunks}`);
  }
  if (schedule?.everyMs !== undefined && !(Number.isFinite(schedule.everyMs) && schedule.everyMs > 0)) {
    throw new ConfigError('snapshots.everyMs', `must be a positive number, got ${schedule.everyMs}`);
  }
}

function periodicDue(entry: KeyedEntry, schedule: SnapshotSchedule | undefined): boolean {
  if (schedule === undefined) return false;
  if (schedule.everyChunks !== undefined && entry.chunksSinceSnapshot >= schedule.everyChunks) return true;
  return schedule.everyMs !== undefined && performance.now() - entry.lastSnapshotAt >= schedule.everyMs;
}

/**
 * The Titans neural memory as a keyed stream layer: token chunks in, per-chunk results out.
 *
 * Each key (the chunk's `key`: by default its stream — file, Kafka partition) has its own memory,
 * made on first sight or restored from `store`. Every chunk is absorbed (test-time training) and
 * answered with per-token loss and surprise, optional top-k predictions and retrievals, and the
 * records it completed scored whole. Input a restored memory already covers is skipped, so a
 * replay after a crash or a Kafka redelivery is absorbed exactly once. Order is kept per key.
 * The layer pulls one chunk at a time (pull-based end to end) and disposes every memory when the
 * stream ends, fails or is stopped.
 *
 * @example
 * ```ts
 * const events = pipe(records, tokenize(new ByteTokenizer()), chunkTokens(16), neuralMemory({ predictions: 3 }));
 * for await (const e of events) if (e.type === 'chunk') for (const r of e.records) console.log(r.meanLoss);
 * ```
 * @param options - memory configuration or factory, outputs, eviction, snapshots, store, signal.
 * @returns an operator from token chunks to {@link MemoryEvent}s.
 * @throws {ConfigError} at once for bad options. While running, a failure inside a memory is a
 *   {@link LayerError} naming the key and position; upstream errors pass through unchanged.
 */
export function neuralMemory(options: NeuralMemoryOptions = {}): AsyncOperator<TokenChunk, MemoryEvent> {
  checkSchedule(options.snapshots);
  const { predictions = 0, retrievals = false, store, snapshots: schedule } = options;
  if (!Number.isSafeInteger(predictions) || predictions < 0) throw new ConfigError('predictions', `must be a non-negative integer, got ${predictions}`);
  if (options.maxLiveMemories !== undefined && !(Number.isSafeInteger(options.maxLiveMemories) && options.maxLiveMemories > 0)) {
    throw new ConfigError('maxLiveMemories', `must be a positive integer, got ${options.maxLiveMemories}`);
  }
  const memoryConfig: TokenMemoryConfig = { vocabSize: BYTE_VOCAB_SIZE, ...options.memory };
  // Fail fast on a bad memory configuration rather than at the first chunk.
  if (options.create === undefined) TokenMemory.create(memoryConfig).dispose();
  const create = options.create ?? (() => TokenMemory.create(memoryConfig));
  const finalSnapshots = options.finalSnapshots ?? (store !== undefined || schedule !== undefined);
  const outputs = { loss: true, surprise: true, predictions, retrievals };

  return (source) =>
    interruptible(async function* (ctx) {
      const reader = new SourceReader(source, ctx);
      const memories = new KeyedMemories({ create, ...(options.maxLiveMemories === undefined ? {} : { maxLive: options.maxLiveMemories }), ...(store === undefined ? {} : { store }) });
      const snapshotContext = { wait: ctx.wait, beforeSnapshot: options.beforeSnapshot, store };
      try {
        for (;;) {
          const next = await reader.next();
          if (next.done === true) break;
          const chunk = next.value;
          const { entry, evicted } = await ctx.wait(memories.acquire(chunk.key));
          for (const snapshot of evicted) yield { type: 'snapshot', reason: 'evicted', snapshot };
          const fresh = trimCovered(chunk, entry.coverage);
          if (fresh === undefined) continue;
          let result;
          try {
            result = await ctx.wait(entry.memory.process(fresh.tokens, { outputs }));
          } catch (error) {
            if (ctx.signal.aborted) throw error;
            throw new LayerError('neuralMemory', chunk.key, fresh.spans[0]?.record.position, error);
          }
          entry.version += 1;
          entry.chunksSinceSnapshot += 1;
          entry.coverage = advanceCoverage(entry.coverage, fresh);
          const loss = result.loss ?? new Float32Array(fresh.tokens.length);
          const surprise = result.surprise ?? new Float32Array(fresh.tokens.length);
          const version = entry.version;
          const chunkResult: ChunkResult = {
            type: 'chunk',
            key: chunk.key,
            chunk: fresh,
            loss,
            surprise,
            ...(result.topK === undefined ? {} : { topK: result.topK }),
            ...(result.retrievals === undefined ? {} : { retrievals: result.retrievals }),
            records: entry.scorer.add(fresh, loss, surprise),
            tokensSeen: entry.memory.tokensSeen,
            snapshot: () => {
              if (entry.version !== version) {
                return Promise.reject(new TitansError('ERR_SNAPSHOT_STALE', `the memory of key "${chunk.key}" has moved past this chunk; call snapshot() directly downstream, or use the snapshots option`));
              }
              return snapshotOf(entry);
            },
          };
          yield chunkResult;
          if (periodicDue(entry, schedule)) yield await snapshotEvent(entry, 'periodic', snapshotContext);
        }
        if (finalSnapshots) for (const entry of memories.entries()) yield await snapshotEvent(entry, 'final', snapshotContext);
      } finally {
        memories.disposeAll();
        await reader.close();
      }
    }, options);
}
