import { mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../src/errors/index.js';
import { TEMP_PREFIX, TEMP_SUFFIX, writeFileAtomic } from './atomic-write-file.js';
import { encodeSnapshotKey, parseSnapshotFileName, snapshotFileName } from './snapshot-file-name.js';

/** One stored snapshot. */
export interface SnapshotEntry {
  /** The snapshot's file. */
  readonly path: string;
  /** Its sequence number (higher is newer). */
  readonly seq: number;
  /** When it was written. */
  readonly mtime: Date;
}

/** Options of {@link DirectorySnapshotStore}. */
export interface DirectorySnapshotStoreOptions {
  /** Snapshots kept per key; older ones are deleted after each `put`. Default 3. */
  readonly keep?: number;
  /** Sync each snapshot file and the directory (default true). Turn off only for tests or scratch runs. */
  readonly fsync?: boolean;
}

/**
 * A directory of opaque snapshot bytes, several per key (one key per memory / stream).
 *
 * Each `put` writes `<key>.<seq>.snap` atomically (temporary file in the same directory,
 * fsync, rename, fsync of the directory) and then keeps only the newest `keep` snapshots of
 * the key. Keys are encoded reversibly into safe file names (see `encodeSnapshotKey`).
 * Readers that find the newest snapshot unusable (a failed checksum) fall back through
 * {@link DirectorySnapshotStore.candidates}, newest first.
 *
 * Temporary files left by a crashed writer are ignored by every read and removed by the next
 * `put` of the same key. One writer per key is assumed (in-process `put`s of a key are
 * serialised; two processes writing the same key are not coordinated).
 *
 * @example
 * ```ts
 * const store = new DirectorySnapshotStore('./snapshots', { keep: 3 });
 * await store.put('corpus.arrow', bytes);
 * for (const entry of await store.candidates('corpus.arrow')) {
 *   try { return restore(await store.read(entry)); } catch { continue; }
 * }
 * ```
 */
export class DirectorySnapshotStore {
  private readonly keep: number;
  private readonly fsync: boolean;
  private readonly locks = new Map<string, Promise<unknown>>();

  /**
   * @param dir - The directory (created on the first `put`).
   * @param options - `keep` per key, `fsync`.
   * @throws ConfigError when `keep` is not a positive integer.
   */
  constructor(
    readonly dir: string,
    options: DirectorySnapshotStoreOptions = {},
  ) {
    const keep = options.keep ?? 3;
    if (!Number.isSafeInteger(keep) || keep < 1) throw new ConfigError('keep', `must be a positive integer, got ${String(keep)}`);
    this.keep = keep;
    this.fsync = options.fsync ?? true;
  }

  /**
   * Stores a snapshot of `key` atomically, then deletes the key's snapshots beyond the newest
   * `keep` (and leftover temporary files of the key).
   *
   * @param key - The state key.
   * @param bytes - The snapshot.
   * @param meta - `seq`: its sequence number (default: the key's newest + 1, starting at 1). An equal `seq` replaces that snapshot.
   * @returns The file written and its sequence number.
   * @throws ConfigError on a bad key or `seq`; the file system's error.
   */
  async put(key: string, bytes: Uint8Array, meta: { readonly seq?: number } = {}): Promise<{ path: string; seq: number }> {
    const encoded = encodeSnapshotKey(key);
    if (meta.seq !== undefined) snapshotFileName(key, meta.seq);
    return this.serialise(encoded, async () => {
      await mkdir(this.dir, { recursive: true });
      await this.removeTemps(encoded);
      const existing = await this.list(key);
      const seq = meta.seq ?? (existing.at(-1)?.seq ?? 0) + 1;
      const path = join(this.dir, snapshotFileName(key, seq));
      await writeFileAtomic(path, bytes, { fsync: this.fsync });
      const seqs = [...new Set([...existing.map((e) => e.seq), seq])].sort((a, b) => a - b);
      for (const old of seqs.slice(0, Math.max(0, seqs.length - this.keep))) {
        await rm(join(this.dir, snapshotFileName(key, old)), { force: true });
      }
      return { path, seq };
    });
  }

  /**
   * The newest snapshot of a key.
   *
   * @param key - The state key.
   * @returns Its bytes, or `undefined` when the key has none.
   */
  async latest(key: string): Promise<Uint8Array | undefined> {
    for (const entry of await this.candidates(key)) {
      try {
        return await this.read(entry);
      } catch (error) {
        // Deleted meanwhile (pruned by a newer put): try the next one.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return undefined;
  }

  /**
   * The snapshots of a key, oldest first.
   *
   * @param key - The state key.
   * @returns The entries (empty when the directory or key does not exist).
   */
  async list(key: string): Promise<SnapshotEntry[]> {
    const encoded = encodeSnapshotKey(key);
    const entries: SnapshotEntry[] = [];
    for (const name of await this.names()) {
      const parsed = parseSnapshotFileName(name);
      if (parsed?.encodedKey !== encoded) continue;
      const path = join(this.dir, name);
      try {
        entries.push({ path, seq: parsed.seq, mtime: (await stat(path)).mtime });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return entries.sort((a, b) => a.seq - b.seq);
  }

  /**
   * The snapshots of a key, newest first: the order in which to try restoring.
   *
   * @param key - The state key.
   * @returns The entries.
   */
  async candidates(key: string): Promise<SnapshotEntry[]> {
    return (await this.list(key)).reverse();
  }

  /**
   * Reads one snapshot.
   *
   * @param entry - An entry from `list` or `candidates`.
   * @returns Its bytes.
   * @throws The file system's error (`ENOENT` when it was deleted meanwhile).
   */
  async read(entry: SnapshotEntry): Promise<Uint8Array> {
    const buffer = await readFile(entry.path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  }

  /**
   * The keys that have snapshots.
   *
   * @returns The decoded keys, sorted.
   */
  async keys(): Promise<string[]> {
    const keys = new Set<string>();
    for (const name of await this.names()) {
      const parsed = parseSnapshotFileName(name);
      if (parsed) keys.add(parsed.key);
    }
    return [...keys].sort();
  }

  /**
   * Deletes every snapshot (and temporary file) of a key.
   *
   * @param key - The state key.
   * @returns How many snapshots were deleted.
   */
  async delete(key: string): Promise<number> {
    const encoded = encodeSnapshotKey(key);
    return this.serialise(encoded, async () => {
      await this.removeTemps(encoded);
      const entries = await this.list(key);
      for (const entry of entries) await rm(entry.path, { force: true });
      return entries.length;
    });
  }

  private async names(): Promise<string[]> {
    try {
      return await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /** Removes temporary files of a key: with `put`s serialised, any that exist are leftovers. */
  private async removeTemps(encoded: string): Promise<void> {
    const prefix = `${TEMP_PREFIX}${encoded}.`;
    for (const name of await this.names()) {
      if (name.startsWith(prefix) && name.endsWith(TEMP_SUFFIX)) await rm(join(this.dir, name), { force: true });
    }
  }

  /** Runs `task` after every earlier task of the same key. */
  private async serialise<T>(encoded: string, task: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(encoded) ?? Promise.resolve();
    const run = previous.then(task, task);
    const settled = run.catch(() => undefined);
    this.locks.set(encoded, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(encoded) === settled) this.locks.delete(encoded);
    }
  }
}
