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
 * Finds the keys of a keyed layer that went quiet with progress not yet snapshotted (see
 * {@link SnapshotSchedule.everyMs}), while the layer waits for input. It looks over the live keys
 * only when a look is due, not at every chunk: at the earliest deadline the last look found, and
 * at least every `everyMs` (a key that absorbs a chunk after a look has its deadline after the
 * next one), but at most 8 times per `everyMs`. So a layer with many keys pays for a scan per look,
 * and a quiet key is snapshotted at most `everyMs / 8` late.
 */
export class QuietKeys {
  #nextLook = 0;

  /** @param schedule - The layer's snapshot schedule; without `everyMs` there is nothing to watch. */
  constructor(private readonly schedule: SnapshotSchedule | undefined) {}

  /**
   * How long the layer may wait for input before the next look.
   *
   * @returns Milliseconds (0: look now), or undefined when the schedule has no `everyMs`.
   */
  msUntilLook(now = performance.now()): number | undefined {
    return this.schedule?.everyMs === undefined ? undefined : Math.max(0, this.#nextLook - now);
  }

  /**
   * Looks over the live keys and schedules the next look.
   *
   * @param entries - The layer's live entries.
   * @returns Those due a time-based snapshot now: absorbed a chunk since their last snapshot, `everyMs` ago or more.
   */
  look(entries: Iterable<KeyedEntry>, now = performance.now()): KeyedEntry[] {
    const everyMs = this.schedule?.everyMs ?? Infinity;
    const due: KeyedEntry[] = [];
    let next = now + everyMs;
    for (const entry of entries) {
      if (entry.chunksSinceSnapshot === 0) continue;
      const deadline = entry.lastSnapshotAt + everyMs;
      if (deadline <= now) due.push(entry);
      else next = Math.min(next, deadline);
    }
    this.#nextLook = Math.max(next, now + everyMs / 8);
    return due;
  }
}
