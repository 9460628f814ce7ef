import { InputError } from '../errors/input-error.js';
import { streamKeyOf } from '../records/source-position.js';
import type { SourceRecord } from '../records/source-record.js';
import { filter } from '../stream/filter.js';
import { map } from '../stream/map.js';
import type { AsyncOperator, OperatorOptions } from '../stream/types.js';
import type { Tokenizer } from '../tokenize/tokenizer.js';
import type { TokenRun } from './token-run.js';

/** Options of {@link tokenize}. */
export interface TokenizeOptions extends OperatorOptions {
  /** State key of a record. Default: its stream (`streamKeyOf(record.position)`: file, topic-partition, stream id). */
  key?: (record: SourceRecord) => string;
  /** Token appended after every record (e.g. the byte tokenizer's record separator), or none. */
  separator?: number;
  /** Keep records that tokenize to nothing (default false: they are skipped). */
  keepEmpty?: boolean;
}

/**
 * Turns records into token runs that carry their record and state key. Records that already
 * carry `tokens` (e.g. an Arrow token column) are passed through without re-tokenizing.
 *
 * @example
 * ```ts
 * const tokenizer = new ByteTokenizer();
 * const runs = pipe(records, tokenize(tokenizer, { separator: BYTE_RECORD_SEPARATOR }));
 * ```
 * @param tokenizer - encodes `record.value`.
 * @param options - key function, separator, signal.
 * @returns an operator from records to token runs, one per record, in order.
 * @throws {InputError} `ERR_TOKENIZE` with the record's position when the tokenizer fails on a record.
 */
export function tokenize(tokenizer: Tokenizer, options: TokenizeOptions = {}): AsyncOperator<SourceRecord, TokenRun> {
  const keyOf = options.key ?? ((record: SourceRecord) => streamKeyOf(record.position));
  const { separator, keepEmpty = false } = options;
  const toRun = (record: SourceRecord): TokenRun => {
    let tokens: Int32Array;
    try {
      tokens = record.tokens ?? tokenizer.encode(record.value);
    } catch (cause) {
      throw new InputError('ERR_TOKENIZE', `cannot tokenize record (${String(cause)})`, record.position, { cause });
    }
    if (separator !== undefined) {
      const withSeparator = new Int32Array(tokens.length + 1);
      withSeparator.set(tokens);
      withSeparator[tokens.length] = separator;
      tokens = withSeparator;
    }
    return { key: keyOf(record), record, tokens };
  };
  const signal = options.signal === undefined ? {} : { signal: options.signal };
  return (source) => filter((run: TokenRun) => keepEmpty || run.tokens.length > 0, signal)(map(toRun, signal)(source));
}
