import type { OperatorFunction } from 'rxjs';
import { tokenize as tokenizeAsync, type TokenizeOptions } from '../src/pipeline/tokenize.js';
import type { TokenRun } from '../src/pipeline/token-run.js';
import type { SourceRecord } from '../src/records/source-record.js';
import type { Tokenizer } from '../src/tokenize/tokenizer.js';
import { type BridgeOptions, fromAsyncOperator } from './from-async-operator.js';

/** Options of the RxJS {@link tokenize}: those of the async `tokenize` (minus `signal`: unsubscribe instead) and the input buffer's. */
export interface TokenizeOperatorOptions extends Omit<TokenizeOptions, 'signal'>, BridgeOptions<SourceRecord> {}

/**
 * RxJS version of the async `tokenize`: records → token runs carrying their record and state
 * key, one per record, in order. Records wait in a bounded buffer (see {@link BridgeOptions});
 * unsubscribing stops the upstream at once.
 *
 * @example
 * ```ts
 * fromAsyncIterable(sampleLogRecords({ count: 100 }))
 *   .pipe(tokenize(new ByteTokenizer(), { separator: BYTE_RECORD_SEPARATOR }))
 *   .subscribe((run) => console.log(run.key, run.tokens.length));
 * ```
 * @param tokenizer - Encodes `record.value` (records that carry `tokens` pass through).
 * @param options - `key`, `separator`, `keepEmpty`; buffer `capacity`, `policy`, `backpressure`, `onDrop`, `name` (default `tokenize`).
 * @returns An operator from records to token runs.
 * @throws {ConfigError} at once for bad buffer options. The subscriber gets an `InputError` `ERR_TOKENIZE` with the record's position when the tokenizer fails, and a `BufferOverflowError` on overflow under policy `error`.
 */
export function tokenize(tokenizer: Tokenizer, options: TokenizeOperatorOptions = {}): OperatorFunction<SourceRecord, TokenRun> {
  return fromAsyncOperator(tokenizeAsync(tokenizer, options), { name: 'tokenize', ...options });
}
