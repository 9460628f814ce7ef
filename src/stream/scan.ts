import { interruptible } from './interruptible.js';
import { SourceReader } from './source-reader.js';
import type { AsyncOperator, OperatorOptions } from './types.js';

/**
 * Folds the stream with `reducer` and emits every intermediate accumulator (a running
 * total, a rolling state).
 *
 * @example
 * ```ts
 * const runningTotal = pipe(amounts, scan((sum: number, x: number) => sum + x, 0));
 * ```
 * @param reducer - Called with the accumulator, the value and its 0-based index; may return a promise.
 * @param seed - The accumulator before the first value (not emitted).
 * @param options - `signal` stops the stream.
 * @returns An operator emitting one accumulator per source value.
 * @throws Whatever `reducer` or the source throws, unchanged; `signal.reason` on abort.
 */
export function scan<A, S>(reducer: (accumulator: S, value: A, index: number) => S | PromiseLike<S>, seed: S, options: OperatorOptions = {}): AsyncOperator<A, S> {
  return (source) =>
    interruptible(async function* (ctx) {
      const reader = new SourceReader(source, ctx);
      try {
        let accumulator = seed;
        let index = 0;
        for (let r = await reader.next(); r.done !== true; r = await reader.next()) {
          accumulator = await ctx.wait(reducer(accumulator, r.value, index++));
          yield accumulator;
        }
      } finally {
        await reader.close();
      }
    }, options);
}
