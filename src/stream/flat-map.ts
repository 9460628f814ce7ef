import { Arrivals } from './arrivals.js';
import { closeAll } from './close-all.js';
import { interruptible } from './interruptible.js';
import { isAsyncIterable, isIterable, openIterator, SourceReader } from './source-reader.js';
import type { AsyncOperator, OperatorOptions } from './types.js';
import { requirePositiveInteger } from './validate.js';

/** What a {@link flatMap} callback may return: a stream, an array (any iterable), or a promise of one. */
export type FlatMapResult<B> = AsyncIterable<B> | Iterable<B> | PromiseLike<AsyncIterable<B> | Iterable<B>>;

/** Options of {@link flatMap}. */
export interface FlatMapOptions extends OperatorOptions {
  /** How many inner streams may run at once (a positive integer or `Infinity`). Default 1. */
  concurrency?: number;
  /**
   * Emit the inner streams one after another in input order (default `false`: emit values as
   * they arrive). The `concurrency` inner streams still start at once and each reads one
   * value ahead while it waits for its turn.
   */
  ordered?: boolean;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * Maps each value to a stream (or array, or promise of either) and emits the values of those
 * inner streams, running up to `concurrency` of them at a time.
 *
 * The source is pulled only while fewer than `concurrency` inner streams are running. With
 * `concurrency: 1` (the default) inner streams run one after another, so the output keeps the
 * input order; with more, values are emitted as they arrive unless `ordered` is set. Each
 * inner stream is read one value at a time. When the output stops early, the `return()` of
 * the source and of every running inner stream is called.
 *
 * @example
 * ```ts
 * const lines = pipe(files, flatMap((file: string) => readLines(file), { concurrency: 4, ordered: true }));
 * ```
 * @param fn - Called with each source value and its 0-based index.
 * @param options - `concurrency`, `ordered` and `signal`.
 * @returns An operator emitting the values of every inner stream.
 * @throws {ConfigError} at once if `concurrency` is not a positive integer or `Infinity`.
 * Errors of the source, of `fn` and of the inner streams propagate unchanged; `signal.reason` on abort.
 */
export function flatMap<A, B>(fn: (value: A, index: number) => FlatMapResult<B>, options: FlatMapOptions = {}): AsyncOperator<A, B> {
  const concurrency = options.concurrency ?? 1;
  requirePositiveInteger('flatMap.concurrency', concurrency, true);
  const ordered = options.ordered ?? false;
  return (source) =>
    interruptible(async function* (ctx) {
      const outer = new SourceReader(source, ctx);
      const lanes: SourceReader<B>[] = [];
      const arrivals = new Arrivals<A | B>();
      let index = 0;
      let outerDone = false;
      try {
        for (;;) {
          if (!outerDone && lanes.length < concurrency) arrivals.watch(outer);
          else if (outerDone && lanes.length === 0) return;
          const reader = await arrivals.take(ctx, ordered ? [lanes[0], outer] : undefined);
          if (reader === outer) {
            const result = await outer.next();
            if (result.done === true) {
              outerDone = true;
              continue;
            }
            const lane = new SourceReader(innerStream(fn(result.value, index++)), ctx);
            lanes.push(lane);
            arrivals.watch(lane);
            continue;
          }
          const lane = reader as SourceReader<B>;
          const result = await lane.next();
          if (result.done === true) {
            lanes.splice(lanes.indexOf(lane), 1);
            continue;
          }
          yield result.value;
          arrivals.watch(lane);
        }
      } finally {
        await closeAll([outer, ...lanes]);
      }
    }, options);
}

/** The callback's result as a stream; a promised stream is opened when first pulled. */
function innerStream<B>(result: FlatMapResult<B>): AsyncIterable<B> | Iterable<B> {
  if (isAsyncIterable(result) || isIterable(result)) return result as AsyncIterable<B> | Iterable<B>;
  const promised = result;
  let iterator: AsyncIterator<B> | Iterator<B> | undefined;
  let closed = false;
  const deferred: AsyncIterator<B> = {
    async next() {
      if (iterator === undefined) {
        const iterable = await promised;
        if (closed) return DONE;
        iterator = openIterator(iterable);
      }
      return iterator.next();
    },
    async return() {
      closed = true;
      await iterator?.return?.();
      return DONE;
    },
  };
  return { [Symbol.asyncIterator]: () => deferred };
}
