import { interruptible } from './interruptible.js';
import { SourceReader } from './source-reader.js';
import type { AsyncOperator, OperatorOptions } from './types.js';
import { requireNonNegativeInteger } from './validate.js';

/**
 * Emits the first `count` values, then ends. The source is released (its `return()` called)
 * as soon as the last wanted value has been taken, before it is emitted, and is never pulled
 * for more. With `count` 0 the source is not even opened.
 *
 * @example
 * ```ts
 * const firstTen = pipe(events, take(10));
 * ```
 * @param count - How many values to emit (a non-negative integer).
 * @param options - `signal` stops the stream.
 * @returns An operator emitting at most `count` values.
 * @throws {ConfigError} at once if `count` is not a non-negative integer. Source errors propagate unchanged; `signal.reason` on abort.
 */
export function take<A>(count: number, options: OperatorOptions = {}): AsyncOperator<A, A> {
  requireNonNegativeInteger('take.count', count);
  return (source) =>
    interruptible(async function* (ctx) {
      if (count === 0) return;
      const reader = new SourceReader(source, ctx);
      try {
        for (let taken = 1; ; taken++) {
          const r = await reader.next();
          if (r.done === true) return;
          if (taken === count) {
            await reader.close();
            yield r.value;
            return;
          }
          yield r.value;
        }
      } finally {
        await reader.close();
      }
    }, options);
}
