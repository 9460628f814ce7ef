import type { MemorySnapshot } from './memory-snapshot.js';
import { decodeSnapshot, encodeSnapshot, type SnapshotExpectation } from './snapshot-codec.js';
import type { SnapshotStore } from './snapshot-store.js';

/**
 * A {@link SnapshotStore} in process memory, keeping the encoded latest snapshot per key (so the
 * codec and its checks run as they would with a durable store). For tests and for evicting
 * memories within one process.
 */
export class InMemorySnapshotStore implements SnapshotStore {
  readonly #latest = new Map<string, Uint8Array>();

  async save(snapshot: MemorySnapshot): Promise<void> {
    this.#latest.set(snapshot.key, encodeSnapshot(snapshot));
  }

  async load(key: string, expect: SnapshotExpectation): Promise<MemorySnapshot | undefined> {
    const bytes = this.#latest.get(key);
    return bytes === undefined ? undefined : decodeSnapshot(bytes, { ...expect, key });
  }

  /** Keys with a stored snapshot. */
  keys(): string[] {
    return [...this.#latest.keys()];
  }
}
