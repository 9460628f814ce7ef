import { Arrivals } from './arrivals.js';
import { closeAll } from './close-all.js';
import { interruptible } from './interruptible.js';
import { isAsyncIterable, SourceReader } from './source-reader.js';
import type { OperatorOptions } from './types.js';

/**
 * Interleaves several streams, emitting each value as soon as its source produces it.
 *
 * Every source is read one value at a time: a source is pulled again only after its previous
 * value has been taken by the consumer. The merged stream ends when all sources have ended.
 * When it stops early (the consumer's `return()`, an abort, or an error from one source), the
 * `return()` of every source still running is called, without waiting for pending pulls.
 * A trailing options object (anything that is not an async iterable) is taken as
 * {@link OperatorOptions}.
 *
 * @example
 * ```ts
 * for await (const record of merge(partition0, partition1, { signal })) handle(record);
 * ```
 * @param sources - The streams to interleave, optionally followed by `{ signal }`.
 * @returns A stream of all the sources' values, in arrival order; each source's own order is kept.
 * @throws The first error any source throws, unchanged; `signal.reason` on abort.
 */
export function merge<T>(...sources: AsyncIterable<T>[]): AsyncIterable<T>;
export function merge<T>(...args: [...sources: AsyncIterable<T>[], options: OperatorOptions]): AsyncIterable<T>;
export function merge<T>(...args: Array<AsyncIterable<T> | OperatorOptions>): AsyncIterable<T> {
  const last = args.at(-1);
  const hasOptions = last !== undefined && !isAsyncIterable(last);
  const options = hasOptions ? (last as OperatorOptions) : {};
  const sources = (hasOptions ? args.slice(0, -1) : args) as AsyncIterable<T>[];
  return interruptible(async function* (ctx) {
    const readers: SourceReader<T>[] = [];
    const arrivals = new Arrivals<T>();
    try {
      for (const source of sources) {
        const reader = new SourceReader(source, ctx);
        readers.push(reader);
        arrivals.watch(reader);
      }
      let live = readers.length;
      while (live > 0) {
        const reader = await arrivals.take(ctx);
        const result = await reader.next();
        if (result.done === true) {
          live -= 1;
          continue;
        }
        yield result.value;
        arrivals.watch(reader);
      }
    } finally {
      await closeAll(readers);
    }
  }, options);
}
