import { SnapshotError } from '../../src/errors/snapshot-error.js';
import type { MemorySnapshot } from '../../src/snapshot/memory-snapshot.js';
import { decodeSnapshot, encodeSnapshot, type SnapshotExpectation } from '../../src/snapshot/snapshot-codec.js';
import type { SnapshotStore } from '../../src/snapshot/snapshot-store.js';
import { DirectorySnapshotStore, type DirectorySnapshotStoreOptions } from './directory-snapshot-store.js';

/** Options of {@link DirectoryMemoryStore}. */
export interface DirectoryMemoryStoreOptions extends DirectorySnapshotStoreOptions {
  /** Told about each corrupt snapshot skipped for an older one (default: a warning on stderr). */
  readonly onCorrupt?: (path: string, error: SnapshotError) => void;
}

/**
 * A {@link SnapshotStore} on a local directory: memory snapshots encoded as Arrow IPC (see
 * `encodeSnapshot`), written atomically (temp file, fsync, rename), the last N kept per key.
 * Loading takes the newest snapshot that decodes and passes its checksums; a corrupt one is
 * reported and the one before it used. A snapshot of another configuration is an error.
 *
 * @example
 * ```ts
 * const store = new DirectoryMemoryStore('./snapshots', { keep: 3 });
 * pipe(chunks, neuralMemory({ store, snapshots: { everyChunks: 1000 } }));
 * ```
 */
export class DirectoryMemoryStore implements SnapshotStore {
  /** The underlying byte store (list, read, delete snapshots). */
  readonly files: DirectorySnapshotStore;
  readonly #onCorrupt: (path: string, error: SnapshotError) => void;

  constructor(dir: string, options: DirectoryMemoryStoreOptions = {}) {
    this.files = new DirectorySnapshotStore(dir, options);
    this.#onCorrupt = options.onCorrupt ?? ((path, error) => process.stderr.write(`titans-stream: skipping ${path}: ${error.message}\n`));
  }

  async save(snapshot: MemorySnapshot): Promise<void> {
    await this.files.put(snapshot.key, encodeSnapshot(snapshot));
  }

  async load(key: string, expect: SnapshotExpectation): Promise<MemorySnapshot | undefined> {
    for (const entry of await this.files.candidates(key)) {
      try {
        return decodeSnapshot(await this.files.read(entry), { ...expect, key });
      } catch (error) {
        if (error instanceof SnapshotError && error.code === 'ERR_SNAPSHOT_CORRUPT') {
          this.#onCorrupt(entry.path, error);
          continue;
        }
        throw error;
      }
    }
    return undefined;
  }
}
