import type { OperatorFunction } from 'rxjs';
import type { TitansModel } from '../src/model/titans-model.js';
import type { MemoryEvent } from '../src/pipeline/memory-events.js';
import type { TokenChunk } from '../src/pipeline/token-chunk.js';
import { titans as titansAsync, type TitansOptions } from '../src/pipeline/titans.js';
import { type BridgeOptions, fromAsyncOperator } from './from-async-operator.js';

/** Options of the RxJS {@link titans}: those of the async layer (minus `signal`) and the input buffer's. */
export interface TitansOperatorOptions extends Omit<TitansOptions, 'signal'>, BridgeOptions<TokenChunk> {}

/**
 * RxJS version of the keyed trained-model layer: token chunks → memory events (per-chunk results
 * with per-token negative log-likelihood as loss and surprise, top-k predictions, records scored
 * whole; snapshot events). One model stream per key over the shared model. Chunks wait in a
 * bounded buffer with a named policy (see {@link BridgeOptions}); unsubscribing stops the
 * upstream at once and disposes every stream (never the model).
 *
 * In RxJS the layer may run ahead of downstream operators, so take snapshots with the
 * `snapshots` option (`{ everyChunks, everyMs }`) rather than a `snapshot()` call downstream.
 *
 * @example
 * ```ts
 * fromAsyncIterable(records).pipe(
 *   tokenize(new ByteTokenizer()),
 *   chunkTokens(model.config.segment),
 *   titans(model, { predictions: 3 }),
 *   filter((e) => e.type === 'chunk'),
 * ).subscribe((e) => console.log(e.records));
 * ```
 * @param model - The trained model, shared by every key.
 * @param options - top-k, eviction, store, snapshots; buffer options.
 * @returns an operator from token chunks to memory events.
 * @throws {ConfigError} at once for bad options; the subscriber gets a `LayerError` (key, position) when a stream fails.
 */
export function titans(model: TitansModel, options: TitansOperatorOptions = {}): OperatorFunction<TokenChunk, MemoryEvent> {
  return fromAsyncOperator(titansAsync(model, options), { name: 'titans', ...options });
}
