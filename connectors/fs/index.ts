/**
 * File-system helpers: atomic file replacement, directory fsync, a directory store for
 * snapshot bytes, and model checkpoint directories.
 * @packageDocumentation
 */
export { DirectorySnapshotStore, type DirectorySnapshotStoreOptions, type SnapshotEntry } from './directory-snapshot-store.js';
export { writeFileAtomic } from './atomic-write-file.js';
export { fsyncDirectory } from './fsync-directory.js';
export { encodeSnapshotKey, snapshotFileName, parseSnapshotFileName } from './snapshot-file-name.js';
export { DirectoryMemoryStore, type DirectoryMemoryStoreOptions } from './directory-memory-store.js';
export { DirectoryCheckpointStore, loadCheckpointDirectory } from './directory-checkpoint-store.js';
