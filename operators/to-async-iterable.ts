import type { Observable, Subscription } from 'rxjs';
import { BufferOverflowError } from '../src/errors/buffer-overflow-error.js';
import { ConfigError } from '../src/errors/config-error.js';
import { type BufferConfig, pushBridge, validateBufferConfig } from '../src/stream/push-bridge.js';
import type { Backpressure } from './backpressure.js';

/** Options of {@link toAsyncIterable}. */
export interface ToAsyncIterableOptions<T> extends BufferConfig<T> {
  /**
   * A gate this buffer holds closed while it is full and reopens as the consumer drains it, so
   * a source wrapped with `fromAsyncIterable(source, { backpressure })` stops reading.
   * Required for policy `block`.
   */
  backpressure?: Backpressure;
  /** Aborting it ends the iteration: the pending or next `next()` rejects with the reason, and the subscription ends. */
  signal?: AbortSignal;
}

/**
 * Turns an Observable into a pull stream through a bounded buffer with a named policy.
 *
 * RxJS has no backpressure: the Observable pushes whenever it likes, so its values wait in a
 * buffer of `capacity` values until the consumer pulls them. When a value arrives while the
 * buffer is full:
 * - `error`: the subscription ends and the consumer gets the values already queued, then a
 *   {@link BufferOverflowError} naming the buffer and its capacity;
 * - `drop-oldest`: the oldest queued value is discarded and reported to `onDrop` with the
 *   running count (if `onDrop` throws, the stream fails with that error);
 * - `block`: the value waits in line behind the buffer and nothing is lost. An Observable
 *   cannot be made to wait, so real blocking needs the source's cooperation: `block` requires
 *   a `backpressure` gate, given to the source as well. The buffer closes the gate when full
 *   and reopens it as it drains, and a gate-aware source (`fromAsyncIterable(source, {
 *   backpressure })`) stops reading meanwhile. What still arrives is what was already past
 *   the source when the gate closed: nothing when the source feeds the buffer directly; the
 *   contents of the buffers upstream, and what their operators make of them (a long record
 *   cut into many chunks), in a chain. A source that ignores the gate gets no bound at all.
 *
 * With a gate, every policy closes it while the buffer is full; the policy then only decides
 * about values that come anyway.
 *
 * Each `[Symbol.asyncIterator]()` call makes its own buffer and subscribes on its first
 * `next()`. `return()` (a `break` in `for await`) unsubscribes at once and discards what is
 * queued; the subscription also ends when the stream fails or ends.
 *
 * @example
 * ```ts
 * const clicks = toAsyncIterable(fromEvent(button, 'click'), { capacity: 100, policy: 'drop-oldest' });
 * for await (const click of clicks) await handle(click); // a break unsubscribes
 * ```
 * @param observable - The push source.
 * @param options - `capacity`, `policy`, optional `backpressure`, `onDrop`, `name` (for error messages, default `toAsyncIterable`) and `signal`.
 * @returns An async iterable of the Observable's values, in order (minus those dropped).
 * @throws {ConfigError} at once if `capacity` is not a positive integer, `policy` is unknown, or `policy` is `block` without a gate.
 * Errors of the Observable reach the consumer unchanged, after the values queued before them.
 */
export function toAsyncIterable<T>(observable: Observable<T>, options: ToAsyncIterableOptions<T>): AsyncIterable<T> {
  const { name = 'toAsyncIterable', ...rest } = options;
  validateBridgeOptions(name, options);
  return { [Symbol.asyncIterator]: () => iterate(observable, { ...rest, name }) };
}

/**
 * Checks the buffer options of a push-to-pull bridge; `name` prefixes the fields in errors.
 *
 * @throws {ConfigError} if `capacity` is not a positive integer, `policy` is unknown, or `policy` is `block` without a gate.
 */
export function validateBridgeOptions(name: string, options: Pick<ToAsyncIterableOptions<unknown>, 'capacity' | 'policy' | 'backpressure'>): void {
  validateBufferConfig(name, options);
  if (options.policy === 'block' && options.backpressure === undefined) {
    throw new ConfigError(
      `${name}.backpressure`,
      'policy "block" needs a backpressure gate: an Observable cannot be made to wait, so blocking only works when the source stops reading. ' +
        'Create one with createBackpressure(), pass it to the source (fromAsyncIterable(source, { backpressure })) and here; ' +
        'or choose policy "error" or "drop-oldest"',
    );
  }
}

function iterate<T>(observable: Observable<T>, options: ToAsyncIterableOptions<T> & { name: string }): AsyncIterableIterator<T> {
  const { capacity, policy, backpressure, signal, name } = options;
  const bridge = pushBridge<T>(options);
  const pulls = bridge[Symbol.asyncIterator]();
  let subscription: Subscription | undefined;
  let stopped = false;
  let reopen: (() => void) | undefined;

  const release = (): void => {
    reopen?.();
    reopen = undefined;
  };
  const stop = (): void => {
    stopped = true;
    subscription?.unsubscribe();
    release();
    signal?.removeEventListener('abort', stop);
  };
  const offer = (value: T): void => {
    if (stopped) return;
    if (bridge.tryPush(value)) {
      if (bridge.size >= capacity && backpressure !== undefined && reopen === undefined) reopen = backpressure.close();
    } else if (policy === 'block') {
      // Full: the value waits in line (the bridge keeps the order). It rejects only once the consumer has stopped.
      bridge.push(value).catch(stop);
    } else {
      // Full under `error`, or the bridge already failed (an `onDrop` error).
      stop();
      bridge.fail(new BufferOverflowError(name, capacity));
    }
  };
  const subscribe = (): void => {
    if (subscription !== undefined || stopped || signal?.aborted === true) return;
    signal?.addEventListener('abort', stop, { once: true });
    const current = observable.subscribe({ next: offer, error: (error: unknown) => bridge.fail(error), complete: () => bridge.end() });
    // A synchronous source may have overflowed before subscribe() returned.
    if (stopped) current.unsubscribe();
    else subscription = current;
  };

  const iterator: AsyncIterableIterator<T> = {
    next: () => {
      subscribe();
      const result = pulls.next();
      if (reopen !== undefined && bridge.size < capacity) release();
      return result.then(
        (r) => {
          if (r.done === true) stop();
          return r;
        },
        (error: unknown) => {
          stop();
          throw error;
        },
      );
    },
    return: () => {
      stop();
      return pulls.return?.() ?? Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
