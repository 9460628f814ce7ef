import type { SourcePosition } from './source-position.js';

/**
 * One input record as a source yields it: raw bytes or text, an optional key and its position.
 */
export interface SourceRecord {
  /** The payload: UTF-8 bytes or already-decoded text. Token sources use `tokens` instead. */
  readonly value: Uint8Array | string;
  /** Pre-tokenized payload (e.g. an Arrow integer/list column). When present, `value` is ignored by tokenizers. */
  readonly tokens?: Int32Array;
  /** Record key (Kafka key, or any user key). */
  readonly key?: string;
  /** Where the record came from. */
  readonly position: SourcePosition;
}
