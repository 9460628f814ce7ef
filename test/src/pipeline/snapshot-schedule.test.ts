import { describe, expect, it } from 'vitest';
import type { KeyedEntry } from '../../../src/pipeline/index.js';
import { periodicDue, QuietKeys } from '../../../src/pipeline/snapshot-schedule.js';

/** An entry with just the fields the schedule reads. */
function entry(key: string, chunksSinceSnapshot: number, lastSnapshotAt: number): KeyedEntry {
  return { key, chunksSinceSnapshot, lastSnapshotAt } as KeyedEntry;
}

describe('snapshot schedule', () => {
  it('periodicDue: after everyChunks chunks, or everyMs since the last snapshot', () => {
    expect(periodicDue(entry('a', 3, 0), { everyChunks: 3 }, 1)).toBe(true);
    expect(periodicDue(entry('a', 2, 0), { everyChunks: 3 }, 1)).toBe(false);
    expect(periodicDue(entry('a', 1, 0), { everyMs: 100 }, 100)).toBe(true);
    expect(periodicDue(entry('a', 1, 0), { everyMs: 100 }, 99)).toBe(false);
    expect(periodicDue(entry('a', 9, 0), undefined, 1e9)).toBe(false);
  });

  it('QuietKeys: nothing to watch without everyMs', () => {
    const quiet = new QuietKeys({ everyChunks: 5 });
    expect(quiet.msUntilLook(0)).toBeUndefined();
  });

  it('QuietKeys: a look returns the keys with unsaved progress everyMs after their last snapshot, and the next look is at the earliest other deadline', () => {
    const quiet = new QuietKeys({ everyMs: 100 });
    expect(quiet.msUntilLook(0)).toBe(0); // the first look is at once
    const entries = [entry('due', 1, 0), entry('clean', 0, 0), entry('later', 2, 50), entry('last', 1, 90)];
    expect(quiet.look(entries, 120).map((e) => e.key)).toEqual(['due']);
    expect(quiet.msUntilLook(120)).toBe(30); // 'later' at 150
    expect(quiet.look(entries, 150).map((e) => e.key)).toEqual(['due', 'later']);
  });

  it('QuietKeys: with no unsaved progress the next look is everyMs later; looks are at least everyMs / 8 apart', () => {
    const quiet = new QuietKeys({ everyMs: 800 });
    expect(quiet.look([entry('clean', 0, 0)], 1000)).toEqual([]);
    expect(quiet.msUntilLook(1000)).toBe(800);
    // A deadline 1 ms away still waits for the floor of 100 ms.
    quiet.look([entry('soon', 1, 201)], 1000);
    expect(quiet.msUntilLook(1000)).toBe(100);
  });
});
