import { interruptible } from './interruptible.js';
import { SourceReader } from './source-reader.js';
import type { AsyncOperator, OperatorOptions } from './types.js';
import { requirePositiveInteger, requirePositiveNumber } from './validate.js';

/** Limits of {@link chunkTimed}. */
export interface ChunkTimedConfig {
  /** Most values per chunk (a positive integer). */
  size: number;
  /** Longest time in milliseconds a chunk stays open after its first value arrived. */
  maxWaitMs: number;
}

const EXPIRED = Symbol('expired');

/**
 * Groups values into arrays of up to `size`, emitting a chunk as soon as it is full or
 * `maxWaitMs` after its first value arrived, whichever comes first. An idle source produces
 * no chunks (never an empty one); the last chunk is emitted when the source ends.
 *
 * While waiting it keeps one pull pending on the source; when the timer wins, that pull is
 * kept and its value opens the next chunk, so no value is lost or reordered.
 *
 * @example
 * ```ts
 * // Flush to the sink every 500 records or every 200 ms, whichever comes first.
 * const batches = pipe(kafkaRecords, chunkTimed({ size: 500, maxWaitMs: 200 }));
 * ```
 * @param config - `size` and `maxWaitMs`.
 * @param options - `signal` stops the stream.
 * @returns An operator emitting non-empty arrays of at most `size` values, in order.
 * @throws {ConfigError} at once if `size` is not a positive integer or `maxWaitMs` not a finite number above 0. Source errors propagate unchanged (a partial chunk is then not emitted); `signal.reason` on abort.
 */
export function chunkTimed<A>(config: ChunkTimedConfig, options: OperatorOptions = {}): AsyncOperator<A, A[]> {
  const { size, maxWaitMs } = config;
  requirePositiveInteger('chunkTimed.size', size);
  requirePositiveNumber('chunkTimed.maxWaitMs', maxWaitMs);
  return (source) =>
    interruptible(async function* (ctx) {
      const reader = new SourceReader(source, ctx);
      try {
        let ended = false;
        while (!ended) {
          const first = await reader.next();
          if (first.done === true) return;
          const current = [first.value];
          let timer: NodeJS.Timeout | undefined;
          const expired = new Promise<typeof EXPIRED>((resolve) => (timer = setTimeout(resolve, maxWaitMs, EXPIRED)));
          try {
            while (current.length < size) {
              if ((await ctx.wait(Promise.race([reader.pull(), expired]))) === EXPIRED) break;
              const r = await reader.next();
              if (r.done === true) {
                ended = true;
                break;
              }
              current.push(r.value);
            }
          } finally {
            clearTimeout(timer);
          }
          yield current;
        }
      } finally {
        await reader.close();
      }
    }, options);
}
