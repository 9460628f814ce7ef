export type { MemorySnapshot, SnapshotCoverage } from './memory-snapshot.js';
export { SNAPSHOT_FORMAT, SNAPSHOT_VERSION, decodeSnapshot, encodeSnapshot, inspectSnapshot } from './snapshot-codec.js';
export type { SnapshotExpectation, SnapshotSummary, SnapshotTensorSummary } from './snapshot-codec.js';
export type { SnapshotStore } from './snapshot-store.js';
export { InMemorySnapshotStore } from './in-memory-snapshot-store.js';
