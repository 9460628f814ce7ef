import type { OperatorFunction } from 'rxjs';
import type { MemoryEvent } from '../src/pipeline/memory-events.js';
import { neuralMemory as neuralMemoryAsync, type NeuralMemoryOptions } from '../src/pipeline/neural-memory.js';
import type { TokenChunk } from '../src/pipeline/token-chunk.js';
import { type BridgeOptions, fromAsyncOperator } from './from-async-operator.js';

/** Options of the RxJS {@link neuralMemory}: those of the async layer (minus `signal`) and the input buffer's. */
export interface NeuralMemoryOperatorOptions extends Omit<NeuralMemoryOptions, 'signal'>, BridgeOptions<TokenChunk> {}

/**
 * RxJS version of the keyed Titans layer: token chunks → memory events (per-chunk results with
 * per-token loss, surprise and predictions, records scored whole; snapshot events). One memory
 * per key. Chunks wait in a bounded buffer with a named policy (see {@link BridgeOptions});
 * unsubscribing stops the upstream at once and disposes every memory.
 *
 * In RxJS the layer may run ahead of downstream operators, so take snapshots with the
 * `snapshots` option (`{ everyChunks, everyMs }`) rather than a `snapshot()` call downstream.
 *
 * @example
 * ```ts
 * fromAsyncIterable(records).pipe(
 *   tokenize(new ByteTokenizer()),
 *   chunkTokens(16),
 *   neuralMemory({ predictions: 3, snapshots: { everyChunks: 500 } }),
 *   filter((e) => e.type === 'chunk'),
 * ).subscribe((e) => console.log(e.records));
 * ```
 * @param options - memory configuration or factory, outputs, eviction, store, snapshots; buffer options.
 * @returns an operator from token chunks to memory events.
 * @throws {ConfigError} at once for bad options; the subscriber gets a `LayerError` (key, position) when a memory fails.
 */
export function neuralMemory(options: NeuralMemoryOperatorOptions = {}): OperatorFunction<TokenChunk, MemoryEvent> {
  return fromAsyncOperator(neuralMemoryAsync(options), { name: 'neuralMemory', ...options });
}
