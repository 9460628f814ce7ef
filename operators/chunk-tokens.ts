import type { OperatorFunction } from 'rxjs';
import { chunkTokens as chunkTokensAsync, type ChunkTokensOptions } from '../src/pipeline/chunk-tokens.js';
import type { TokenChunk } from '../src/pipeline/token-chunk.js';
import type { TokenRun } from '../src/pipeline/token-run.js';
import { type BridgeOptions, fromAsyncOperator } from './from-async-operator.js';

/** Options of the RxJS {@link chunkTokens}: those of the async `chunkTokens` (minus `signal`: unsubscribe instead) and the input buffer's. */
export interface ChunkTokensOperatorOptions extends Omit<ChunkTokensOptions, 'signal'>, BridgeOptions<TokenRun> {}

/**
 * RxJS version of the async `chunkTokens`: token runs → chunks of `size` tokens per key, every
 * token keeping its record. Partial chunks come at the end of the input or after `maxWaitMs`
 * (a real timer of the async core: RxJS schedulers, virtual time included, do not drive it).
 * Runs wait in a bounded buffer (see {@link BridgeOptions}); unsubscribing stops the upstream at once.
 *
 * @example
 * ```ts
 * records$.pipe(tokenize(new ByteTokenizer()), chunkTokens(64, { maxWaitMs: 200 })).subscribe(feedModel);
 * ```
 * @param size - Tokens per chunk (a positive integer).
 * @param options - `maxWaitMs`; buffer `capacity`, `policy`, `backpressure`, `onDrop`, `name` (default `chunkTokens`).
 * @returns An operator from token runs to token chunks, in order per key.
 * @throws {ConfigError} at once for a bad `size`, `maxWaitMs` or buffer option. The subscriber gets a `BufferOverflowError` on overflow under policy `error`.
 */
export function chunkTokens(size: number, options: ChunkTokensOperatorOptions = {}): OperatorFunction<TokenRun, TokenChunk> {
  return fromAsyncOperator(chunkTokensAsync(size, options), { name: 'chunkTokens', ...options });
}
