import type { SourceRecord } from '../records/source-record.js';

/**
 * The part of one record that lies in a chunk: chunk tokens `[start, end)` are the record's
 * tokens `[recordOffset, recordOffset + end - start)`.
 */
export interface TokenSpan {
  readonly record: SourceRecord;
  /** First chunk index of the span. */
  readonly start: number;
  /** One past the last chunk index of the span. */
  readonly end: number;
  /** Index, inside the record's token run, of the span's first token. */
  readonly recordOffset: number;
  /** Total number of tokens of the record. */
  readonly recordLength: number;
  /** True when the span holds the record's last token (the record is complete). */
  readonly endsRecord: boolean;
}

/**
 * A run of consecutive tokens of one key, with exact provenance: every token belongs to
 * exactly one span, spans are in order and cover the chunk.
 */
export interface TokenChunk {
  /** State key of every token in the chunk. */
  readonly key: string;
  /** 0-based index of the chunk among the chunks of its key. */
  readonly sequence: number;
  /** The tokens (length ≤ the chunk size; shorter when flushed early or at the end). */
  readonly tokens: Int32Array;
  /** Where each token came from. */
  readonly spans: readonly TokenSpan[];
}
