import type { MemoryState } from '../memory/memory-state.js';
import type { SourcePosition } from '../records/source-position.js';

/**
 * Exactly which input a snapshot has absorbed: every record of its key up to `position`, and of
 * that record its first `recordTokens` tokens (all of them when `recordComplete`). Resuming skips
 * records up to `position` and, if the record is incomplete, that many of its tokens.
 */
export interface SnapshotCoverage {
  /** The last record (partly) absorbed. */
  readonly position: SourcePosition;
  /** Tokens of that record absorbed. */
  readonly recordTokens: number;
  /** Whether that record was absorbed whole. */
  readonly recordComplete: boolean;
  /** Records absorbed whole since the stream began. */
  readonly records: number;
}

/** A memory's state with its key and the input it covers: what snapshot stores keep. */
export interface MemorySnapshot {
  /** State key (stream, partition, record key). */
  readonly key: string;
  /** The memory's exported state. */
  readonly state: MemoryState;
  /** Input absorbed; absent for a memory that has seen nothing. */
  readonly covers?: SnapshotCoverage;
  /** ISO time the snapshot was taken. */
  readonly createdAt: string;
  /**
   * JSON data that must travel with the memory to resume exactly: the layer's partial record
   * score, a sink's checkpoint, … (keys are owned by whoever wrote them).
   */
  readonly extra?: Readonly<Record<string, unknown>>;
}
