import { ConfigError } from '../errors/config-error.js';
import { interruptible } from '../stream/interruptible.js';
import { SourceReader } from '../stream/source-reader.js';
import type { AsyncOperator, OperatorOptions } from '../stream/types.js';
import type { MemoryEvent } from './memory-events.js';

/** Options of {@link snapshots}. */
export interface SnapshotsOptions extends OperatorOptions {
  /** Snapshot a key after every this many of its chunks. */
  readonly everyChunks?: number;
  /** Snapshot a key at its first chunk after this many milliseconds since its last snapshot. */
  readonly everyMs?: number;
}

/**
 * Emits memory snapshots into a {@link neuralMemory} event stream without stopping it: every
 * event passes through, and after a key's chunk result, when due, a `snapshot` event with the
 * key's exported state and the exact input positions it covers.
 *
 * Place it directly after `neuralMemory` in a pull-based pipeline (the memory waits while the
 * snapshot is taken). Behind a read-ahead buffer, or in RxJS, use `neuralMemory`'s `snapshots`
 * option instead: a snapshot requested after the memory moved on fails with `ERR_SNAPSHOT_STALE`.
 *
 * @example
 * ```ts
 * const events = pipe(chunks, neuralMemory(), snapshots({ everyChunks: 100 }));
 * for await (const e of events) if (e.type === 'snapshot') await store.save(e.snapshot);
 * ```
 * @param options - `everyChunks` and/or `everyMs` (at least one), `signal`.
 * @returns an operator passing events through with snapshot events added.
 * @throws {ConfigError} at once when neither or a bad schedule is given.
 */
export function snapshots(options: SnapshotsOptions): AsyncOperator<MemoryEvent, MemoryEvent> {
  const { everyChunks, everyMs } = options;
  if (everyChunks === undefined && everyMs === undefined) throw new ConfigError('snapshots', 'give everyChunks, everyMs or both');
  if (everyChunks !== undefined && !(Number.isSafeInteger(everyChunks) && everyChunks > 0)) throw new ConfigError('snapshots.everyChunks', `must be a positive integer, got ${everyChunks}`);
  if (everyMs !== undefined && !(Number.isFinite(everyMs) && everyMs > 0)) throw new ConfigError('snapshots.everyMs', `must be a positive number, got ${everyMs}`);
  return (source) =>
    interruptible(async function* (ctx) {
      const reader = new SourceReader(source, ctx);
      const perKey = new Map<string, { chunks: number; at: number }>();
      try {
        for (;;) {
          const next = await reader.next();
          if (next.done === true) return;
          const event = next.value;
          yield event;
          if (event.type !== 'chunk') continue;
          const seen = perKey.get(event.key) ?? { chunks: 0, at: performance.now() };
          seen.chunks += 1;
          perKey.set(event.key, seen);
          const due = (everyChunks !== undefined && seen.chunks >= everyChunks) || (everyMs !== undefined && performance.now() - seen.at >= everyMs);
          if (!due) continue;
          const snapshot = await ctx.wait(event.snapshot());
          perKey.set(event.key, { chunks: 0, at: performance.now() });
          yield { type: 'snapshot', reason: 'periodic', snapshot };
        }
      } finally {
        await reader.close();
      }
    }, options);
}
