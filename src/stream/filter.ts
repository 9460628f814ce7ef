import { interruptible } from './interruptible.js';
import { SourceReader } from './source-reader.js';
import type { AsyncOperator, OperatorOptions } from './types.js';

/**
 * Keeps the values for which `predicate` holds. With a type-guard predicate the output type
 * is narrowed.
 *
 * @example
 * ```ts
 * const numbers = pipe(mixed, filter((x: number | string): x is number => typeof x === 'number'));
 * const nonEmpty = pipe(lines, filter(async (line: string) => line.trim() !== ''));
 * ```
 * @param predicate - Called with each value and its 0-based index; may return a promise.
 * @param options - `signal` stops the stream.
 * @returns An operator emitting the kept values in order.
 * @throws Whatever `predicate` or the source throws, unchanged; `signal.reason` on abort.
 */
export function filter<A, B extends A>(predicate: (value: A, index: number) => value is B, options?: OperatorOptions): AsyncOperator<A, B>;
export function filter<A>(predicate: (value: A, index: number) => boolean | PromiseLike<boolean>, options?: OperatorOptions): AsyncOperator<A, A>;
export function filter<A>(predicate: (value: A, index: number) => boolean | PromiseLike<boolean>, options: OperatorOptions = {}): AsyncOperator<A, A> {
  return (source) =>
    interruptible(async function* (ctx) {
      const reader = new SourceReader(source, ctx);
      try {
        let index = 0;
        for (let r = await reader.next(); r.done !== true; r = await reader.next()) {
          if (await ctx.wait(predicate(r.value, index++))) yield r.value;
        }
      } finally {
        await reader.close();
      }
    }, options);
}
