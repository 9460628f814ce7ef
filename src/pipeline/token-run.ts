import type { SourceRecord } from '../records/source-record.js';

/** The tokens of one record, with the record and the state key it belongs to. */
export interface TokenRun {
  /** State key: which memory absorbs these tokens (default: the record's stream, see `streamKeyOf`). */
  readonly key: string;
  /** The record the tokens came from. */
  readonly record: SourceRecord;
  /** The record's tokens, in order. */
  readonly tokens: Int32Array;
}
