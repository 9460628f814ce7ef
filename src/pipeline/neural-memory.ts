import { TokenMemory } from '../memory/token-memory.js';
import type { TokenMemoryConfig } from '../memory/token-memory-config.js';
import type { AsyncOperator } from '../stream/types.js';
import { BYTE_VOCAB_SIZE } from '../tokenize/byte-tokenizer.js';
import { checkKeyedLayerOptions, keyedLayer, type KeyedLayerOptions } from './keyed-layer.js';
import type { MemoryEvent } from './memory-events.js';
import type { StreamMemory } from './stream-memory.js';
import type { TokenChunk } from './token-chunk.js';

/** Options of {@link neuralMemory}. */
export interface NeuralMemoryOptions extends KeyedLayerOptions {
  /** Configuration of each key's memory (default: a byte-level `TokenMemory` with vocab 260). */
  readonly memory?: Partial<TokenMemoryConfig>;
  /** Makes a key's memory (a trained model, a custom memory); overrides `memory`. */
  readonly create?: (key: string) => StreamMemory;
  /** Emit per-token retrievals (default false). */
  readonly retrievals?: boolean;
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
  checkKeyedLayerOptions(options);
  const { predictions = 0, retrievals = false } = options;
  const memoryConfig: TokenMemoryConfig = { vocabSize: BYTE_VOCAB_SIZE, ...options.memory };
  // Fail fast on a bad memory configuration rather than at the first chunk.
  if (options.create === undefined) TokenMemory.create(memoryConfig).dispose();
  const create = options.create ?? (() => TokenMemory.create(memoryConfig));
  return keyedLayer('neuralMemory', create, { loss: true, surprise: true, predictions, retrievals }, options);
}
