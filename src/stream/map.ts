import { interruptible } from './interruptible.js';
import { SourceReader } from './source-reader.js';
import type { AsyncOperator, OperatorOptions } from './types.js';

/**
 * Transforms each value with `fn`, one value at a time (the next value is pulled only after
 * `fn`'s promise settles).
 *
 * @example
 * ```ts
 * const lengths = pipe(lines, map((line: string) => line.length));
 * ```
 * @param fn - Called with each value and its 0-based index; may return a promise.
 * @param options - `signal` stops the stream.
 * @returns An operator emitting `fn`'s results in order.
 * @throws Whatever `fn` or the source throws, unchanged (the source's `return()` is called first when `fn` throws); `signal.reason` on abort.
 */
export function map<A, B>(fn: (value: A, index: number) => B | PromiseLike<B>, options: OperatorOptions = {}): AsyncOperator<A, B> {
  return (source) =>
    interruptible(async function* (ctx) {
      const reader = new SourceReader(source, ctx);
      try {
        let index = 0;
        for (let r = await reader.next(); r.done !== true; r = await reader.next()) {
          yield await ctx.wait(fn(r.value, index++));
        }
      } finally {
        await reader.close();
      }
    }, options);
}
