import { fromIterable } from './from-iterable.js';
import type { OperatorOptions } from './types.js';

/**
 * Collects a whole stream into an array. Meant for tests and small, finite streams.
 *
 * @example
 * ```ts
 * const chunks = await toArray(pipe(fromIterable([1, 2, 3]), chunk(2))); // [[1, 2], [3]]
 * ```
 * @param source - A finite synchronous or asynchronous iterable.
 * @param options - `signal` stops the collection (the source's `return()` is called).
 * @returns All values, in order.
 * @throws Whatever the source throws, unchanged; `signal.reason` on abort.
 */
export async function toArray<T>(source: AsyncIterable<T> | Iterable<T>, options: OperatorOptions = {}): Promise<T[]> {
  const values: T[] = [];
  for await (const value of fromIterable(source, options)) values.push(value);
  return values;
}
