import { ConfigError } from '../errors/config-error.js';
import { LayerError } from '../errors/layer-error.js';
import { TitansError } from '../errors/titans-error.js';
import type { MemoryState } from '../memory/memory-state.js';
import type { TokenMemoryOutputs } from '../memory/token-memory.js';
import type { SnapshotStore } from '../snapshot/snapshot-store.js';
import { interruptible } from '../stream/interruptible.js';
import { SourceReader } from '../stream/source-reader.js';
import type { AsyncOperator, OperatorOptions } from '../stream/types.js';
import { absorbedChunk, KeyedMemories, snapshotEvent, snapshotOf } from './keyed-memories.js';
import type { MemoryEvent, SnapshotReason } from './memory-events.js';
import type { StreamMemory } from './stream-memory.js';
import type { TokenChunk } from './token-chunk.js';
import { periodicDue, QuietKeys, type SnapshotSchedule } from './snapshot-schedule.js';
import { trimCovered } from './trim-covered.js';

export type { SnapshotSchedule } from './snapshot-schedule.js';

/** Options every keyed layer ({@link neuralMemory}, {@link titans}) takes: eviction, store, snapshots. */
export interface KeyedLayerOptions extends OperatorOptions {
  /** Top-k next-token predictions per token (0 = none, default). */
  readonly predictions?: number;
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

/**
 * A keyed layer chosen by configuration, for code that wires a pipeline without knowing which
 * layer it runs (the untrained `neuralMemory`, a trained model's `titans`, …).
 *
 * @example
 * ```ts
 * const spec: KeyedLayerSpec = { chunkSize: 4 * model.config.segment, config: titansStreamConfig(model), layer: (o) => titans(model, o) };
 * const events = pipe(runs, chunkTokens(spec.chunkSize), spec.layer({ store }));
 * ```
 */
export interface KeyedLayerSpec {
  /** Tokens per chunk to feed the layer. */
  readonly chunkSize: number;
  /** The configuration its snapshots carry: what `SnapshotStore.load` must be given. */
  readonly config: MemoryState['config'];
  /** Makes the layer with these options. */
  layer(options: KeyedLayerOptions): AsyncOperator<TokenChunk, MemoryEvent>;
  /**
   * Token to put after each record when records are tokenized for this layer (default: the byte
   * tokenizer's `BYTE_RECORD_SEPARATOR`). A byte-level model trained on lines of text wants the
   * newline byte (10), a token it has seen, rather than an id it never saw in training.
   */
  readonly recordSeparator?: number;
}

/**
 * Checks the options every keyed layer shares; layers call it when they are made, so that bad
 * options fail at once rather than at the first chunk.
 *
 * @example
 * ```ts
 * checkKeyedLayerOptions({ maxLiveMemories: 0 }); // throws ConfigError('maxLiveMemories', …)
 * ```
 * @param options - The options.
 * @throws {ConfigError} naming the first bad option.
 */
export function checkKeyedLayerOptions(options: KeyedLayerOptions): void {
  const { predictions, maxLiveMemories, snapshots: schedule } = options;
  if (predictions !== undefined && !(Number.isSafeInteger(predictions) && predictions >= 0)) throw new ConfigError('predictions', `must be a non-negative integer, got ${predictions}`);
  if (maxLiveMemories !== undefined && !(Number.isSafeInteger(maxLiveMemories) && maxLiveMemories > 0)) {
    throw new ConfigError('maxLiveMemories', `must be a positive integer, got ${maxLiveMemories}`);
  }
  if (schedule?.everyChunks !== undefined && !(Number.isSafeInteger(schedule.everyChunks) && schedule.everyChunks > 0)) {
    throw new ConfigError('snapshots.everyChunks', `must be a positive integer, got ${schedule.everyChunks}`);
  }
  if (schedule?.everyMs !== undefined && !(Number.isFinite(schedule.everyMs) && schedule.everyMs > 0)) {
    throw new ConfigError('snapshots.everyMs', `must be a positive number, got ${schedule.everyMs}`);
  }
}

/**
 * The body of every keyed layer: one {@link StreamMemory} per key (made by `create`, restored from
 * the store, evicted beyond `maxLiveMemories`), covered input trimmed so that replays are absorbed
 * exactly once, per-token outputs and whole-record scores per chunk, periodic and final snapshots.
 *
 * @example
 * ```ts
 * const layer = keyedLayer('myLayer', () => TokenMemory.create({ vocabSize: 260 }), { loss: true, surprise: true }, {});
 * ```
 * @param name - The layer's name in {@link LayerError}s.
 * @param create - Makes the (fresh) memory of a key.
 * @param outputs - What each memory computes per token.
 * @param options - Eviction, store, snapshots (checked by the caller with {@link checkKeyedLayerOptions}).
 * @returns an operator from token chunks to {@link MemoryEvent}s.
 */
export function keyedLayer(name: string, create: (key: string) => StreamMemory, outputs: TokenMemoryOutputs, options: KeyedLayerOptions): AsyncOperator<TokenChunk, MemoryEvent> {
  const { store, snapshots: schedule } = options;
  const finalSnapshots = options.finalSnapshots ?? (store !== undefined || schedule !== undefined);
  return (source) =>
    interruptible(async function* (ctx) {
      const reader = new SourceReader(source, ctx);
      const memories = new KeyedMemories({ create, ...(options.maxLiveMemories === undefined ? {} : { maxLive: options.maxLiveMemories }), ...(store === undefined ? {} : { store }) });
      const snapshotContext = { wait: ctx.wait, beforeSnapshot: options.beforeSnapshot, store };
      const quietKeys = new QuietKeys(schedule);
      try {
        for (;;) {
          // A key that went quiet is snapshotted on time while the layer waits for input.
          const quiet = reader.ready ? undefined : quietKeys.msUntilLook();
          if (quiet !== undefined && !(await reader.pullWithin(quiet))) {
            for (const entry of quietKeys.look(memories.live())) yield await snapshotEvent(entry, 'periodic', snapshotContext);
            continue;
          }
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
            throw new LayerError(name, chunk.key, fresh.spans[0]?.record.position, error);
          }
          entry.chunksSinceSnapshot += 1;
          const chunkResult = absorbedChunk(entry, fresh, result, entry.memory.tokensSeen, () => {
            if (entry.version !== version) {
              return Promise.reject(new TitansError('ERR_SNAPSHOT_STALE', `the memory of key "${chunk.key}" has moved past this chunk; call snapshot() directly downstream, or use the snapshots option`));
            }
            return snapshotOf(entry);
          });
          // The entry's version once it has absorbed this chunk: snapshot() is valid while it holds.
          const version = entry.version;
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
