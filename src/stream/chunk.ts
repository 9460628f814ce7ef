import { interruptible } from './interruptible.js';
import { SourceReader } from './source-reader.js';
import type { AsyncOperator, OperatorOptions } from './types.js';
import { requirePositiveInteger } from './validate.js';

/**
 * Groups values into arrays of `size`; the last array holds what is left (never empty).
 *
 * @example
 * ```ts
 * const batches = pipe(records, chunk(64)); // [r0..r63], [r64..r127], ..., [rest]
 * ```
 * @param size - Values per chunk (a positive integer).
 * @param options - `signal` stops the stream.
 * @returns An operator emitting arrays of `size` values, the last one possibly shorter.
 * @throws {ConfigError} at once if `size` is not a positive integer. Source errors propagate unchanged (a partial chunk is then not emitted); `signal.reason` on abort.
 */
export function chunk<A>(size: number, options: OperatorOptions = {}): AsyncOperator<A, A[]> {
  requirePositiveInteger('chunk.size', size);
  return (source) =>
    interruptible(async function* (ctx) {
      const reader = new SourceReader(source, ctx);
      try {
        let current: A[] = [];
        for (let r = await reader.next(); r.done !== true; r = await reader.next()) {
          current.push(r.value);
          if (current.length === size) {
            yield current;
            current = [];
          }
        }
        if (current.length > 0) yield current;
      } finally {
        await reader.close();
      }
    }, options);
}
