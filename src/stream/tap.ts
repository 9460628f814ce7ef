import { interruptible } from './interruptible.js';
import { SourceReader } from './source-reader.js';
import type { AsyncOperator, OperatorOptions } from './types.js';

/**
 * Runs `fn` for each value (logging, metrics, a side write) and passes the value on
 * unchanged once `fn`'s promise settles.
 *
 * @example
 * ```ts
 * const counted = pipe(records, tap(() => { seen += 1; }));
 * ```
 * @param fn - Called with each value and its 0-based index; may return a promise.
 * @param options - `signal` stops the stream.
 * @returns An operator emitting the source's values.
 * @throws Whatever `fn` or the source throws, unchanged; `signal.reason` on abort.
 */
export function tap<A>(fn: (value: A, index: number) => unknown, options: OperatorOptions = {}): AsyncOperator<A, A> {
  return (source) =>
    interruptible(async function* (ctx) {
      const reader = new SourceReader(source, ctx);
      try {
        let index = 0;
        for (let r = await reader.next(); r.done !== true; r = await reader.next()) {
          await ctx.wait(fn(r.value, index++));
          yield r.value;
        }
      } finally {
        await reader.close();
      }
    }, options);
}
