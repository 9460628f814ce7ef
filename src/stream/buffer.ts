import { interruptible } from './interruptible.js';
import { type BufferConfig, pushBridge, validateBufferConfig } from './push-bridge.js';
import { SourceReader } from './source-reader.js';
import type { AsyncOperator, OperatorOptions } from './types.js';

/**
 * Reads ahead from the source into a bounded queue, so a bursty source and a slow consumer
 * can each run at their own pace.
 *
 * The source is pulled as fast as it answers until the queue holds `capacity` values; then
 * `block` stops pulling until the consumer takes one (at most `capacity` values queued plus
 * one in hand), `drop-oldest` keeps pulling and discards the oldest queued value (reported
 * to `onDrop`), and `error` fails the stream with a {@link BufferOverflowError} once the
 * values queued before the overflow have been delivered. A source error is delivered the
 * same way: after the values read before it.
 *
 * @example
 * ```ts
 * // Keep reading the socket while the model is busy; never hold more than 10 000 lines.
 * const lines = pipe(socketLines, buffer({ capacity: 10_000, policy: 'drop-oldest', onDrop: () => metrics.dropped++ }));
 * ```
 * @param config - `capacity`, `policy`, optional `onDrop` and `name` (used in error messages).
 * @param options - `signal` stops the stream.
 * @returns An operator emitting the source's values (minus those dropped) in order.
 * @throws {ConfigError} at once if `capacity` is not a positive integer or `policy` unknown.
 * Source and `onDrop` errors propagate unchanged; {@link BufferOverflowError} under `error`; `signal.reason` on abort.
 */
export function buffer<A>(config: BufferConfig<A>, options: OperatorOptions = {}): AsyncOperator<A, A> {
  validateBufferConfig('buffer', config);
  return (source) =>
    interruptible(async function* (ctx) {
      const bridge = pushBridge<A>({ name: 'buffer', ...config, signal: ctx.signal });
      const reader = new SourceReader(source, ctx);
      const pump = (async () => {
        try {
          for (let r = await reader.next(); r.done !== true; r = await reader.next()) await bridge.push(r.value);
          bridge.end();
        } catch (error) {
          bridge.fail(error);
        }
      })();
      try {
        yield* bridge;
      } finally {
        await reader.close();
        await pump;
      }
    }, options);
}
