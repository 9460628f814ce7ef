import { interruptible } from './interruptible.js';
import { SourceReader } from './source-reader.js';
import type { OperatorOptions } from './types.js';

/**
 * Wraps any iterable (an array, a generator, another stream) as a stream that honours an
 * abort signal and releases the source promptly on `return()`.
 *
 * @example
 * ```ts
 * const s = fromIterable(['a', 'b', 'c'], { signal });
 * ```
 * @param source - A synchronous or asynchronous iterable. Values are passed on as they are (promises are not awaited).
 * @param options - `signal` stops the stream.
 * @returns A stream of the source's values.
 * @throws Whatever the source throws, unchanged; `signal.reason` on abort.
 */
export function fromIterable<T>(source: AsyncIterable<T> | Iterable<T>, options: OperatorOptions = {}): AsyncIterable<T> {
  return interruptible(async function* (ctx) {
    const reader = new SourceReader(source, ctx);
    try {
      for (let r = await reader.next(); r.done !== true; r = await reader.next()) yield r.value;
    } finally {
      await reader.close();
    }
  }, options);
}
