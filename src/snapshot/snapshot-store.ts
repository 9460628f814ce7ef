import type { MemorySnapshot } from './memory-snapshot.js';
import type { SnapshotExpectation } from './snapshot-codec.js';

/**
 * Where memory snapshots live between runs and between workers: a directory, a compacted Kafka
 * topic, or memory. Implementations keep at least the latest snapshot per key.
 */
export interface SnapshotStore {
  /** Stores `snapshot` as the latest of its key. Resolves once it is durable. */
  save(snapshot: MemorySnapshot): Promise<void>;
  /**
   * The latest valid snapshot of `key` that fits `expect`, or `undefined` when there is none.
   * A corrupt latest snapshot is skipped for the one before it (and reported); a snapshot of a
   * different configuration is an error, not skipped.
   * @throws {SnapshotError} `ERR_SNAPSHOT_CONFIG` when the stored snapshot does not fit.
   */
  load(key: string, expect: SnapshotExpectation): Promise<MemorySnapshot | undefined>;
}
