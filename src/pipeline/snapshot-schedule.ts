import type { KeyedEntry } from './keyed-memories.js';

/** When a keyed layer emits periodic snapshots of a key's memory. */
export interface SnapshotSchedule {
  /** After every this many chunks of the key. */
  readonly everyChunks?: number;
  /**
   * When this many milliseconds have passed since the key's last snapshot (or since it was
   * opened) and it has absorbed a chunk since: after that chunk, or — when the key has gone quiet
   * — while the layer waits for input. So a quiet key's progress (and, in a Kafka pipeline, its
   * outputs and committed offset) is saved within about `everyMs`.
   */
  readonly everyMs?: number;
}

/** Whether `entry` is due for a periodic snapshot after the chunk it just absorbed. */
export function periodicDue(entry: KeyedEntry, schedule: SnapshotSchedule | undefined, now = performance.now()): boolean {
  if (schedule === undefined) return false;
  if (schedule.everyChunks !== undefined && entry.chunksSinceSnapshot >= schedule.everyChunks) return true;
  return schedule.everyMs !== undefined && now - entry.lastSnapshotAt >= schedule.everyMs;
}

/**
 * Milliseconds until the first time-based snapshot of a quiet key comes due: a key that has
 * absorbed a chunk since its last snapshot. Undefined when none will (no `everyMs`, nothing new).
 */
export function msUntilQuietSnapshot(entries: Iterable<KeyedEntry>, schedule: SnapshotSchedule | undefined, now = performance.now()): number | undefined {
  const everyMs = schedule?.everyMs;
  if (everyMs === undefined) return undefined;
  let first: number | undefined;
  for (const entry of entries) {
    if (entry.chunksSinceSnapshot === 0) continue;
    const wait = Math.max(0, entry.lastSnapshotAt + everyMs - now);
    first = first === undefined ? wait : Math.min(first, wait);
  }
  return first;
}

/** The keys whose time-based snapshot is due now although no chunk of theirs came (see {@link msUntilQuietSnapshot}). */
export function quietSnapshotsDue(entries: Iterable<KeyedEntry>, schedule: SnapshotSchedule | undefined, now = performance.now()): KeyedEntry[] {
  const everyMs = schedule?.everyMs;
  if (everyMs === undefined) return [];
  return [...entries].filter((entry) => entry.chunksSinceSnapshot > 0 && now - entry.lastSnapshotAt >= everyMs);
}
