import type { TopK } from '../memory/token-memory.js';
import type { SourceRecord } from '../records/source-record.js';
import type { MemorySnapshot } from '../snapshot/memory-snapshot.js';
import type { TokenChunk } from './token-chunk.js';

/** A whole record scored by the memory: summaries of its tokens' loss and surprise. */
export interface RecordScore {
  readonly type: 'record';
  readonly key: string;
  readonly record: SourceRecord;
  /** Tokens of the record scored (all of them, unless the stream resumed inside it). */
  readonly tokens: number;
  /** Mean and max per-token loss: how badly the memory expected each token. */
  readonly meanLoss: number;
  readonly maxLoss: number;
  /** Mean and max per-token surprise (gradient norm). */
  readonly meanSurprise: number;
  readonly maxSurprise: number;
}

/** The memory's per-token outputs for one chunk, and the records that chunk completed. */
export interface ChunkResult {
  readonly type: 'chunk';
  readonly key: string;
  readonly chunk: TokenChunk;
  /** `[n]` per-token loss. */
  readonly loss: Float32Array;
  /** `[n]` per-token surprise (gradient norm). */
  readonly surprise: Float32Array;
  /** Next-token predictions, when asked for. */
  readonly topK?: TopK;
  /** `[n × dim]` retrievals, when asked for. */
  readonly retrievals?: Float32Array;
  /** Records whose last token is in this chunk, scored whole. */
  readonly records: readonly RecordScore[];
  /** Tokens the key's memory has absorbed after this chunk. */
  readonly tokensSeen: number;
  /**
   * A snapshot of the key's memory as of this chunk. Valid only while the memory has not moved
   * on (directly downstream in a pull-based pipeline).
   * @throws {TitansError} `ERR_SNAPSHOT_STALE` once the memory processed a later chunk.
   */
  snapshot(): Promise<MemorySnapshot>;
}

/** Why a snapshot was emitted. */
export type SnapshotReason = 'periodic' | 'evicted' | 'final';

/** A memory snapshot emitted downstream. */
export interface SnapshotEvent {
  readonly type: 'snapshot';
  readonly reason: SnapshotReason;
  readonly snapshot: MemorySnapshot;
}

/** What the keyed Titans layer emits. */
export type MemoryEvent = ChunkResult | SnapshotEvent;
