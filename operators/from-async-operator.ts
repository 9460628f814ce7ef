import type { OperatorFunction } from 'rxjs';
import type { BufferPolicy } from '../src/stream/push-bridge.js';
import type { AsyncOperator } from '../src/stream/types.js';
import type { Backpressure } from './backpressure.js';
import { fromAsyncIterable } from './from-async-iterable.js';
import { toAsyncIterable, validateBridgeOptions } from './to-async-iterable.js';

/**
 * How an RxJS operator buffers its input before the async operator underneath pulls it.
 * Every RxJS operator of this package takes these options.
 */
export interface BridgeOptions<A> {
  /** Most input values held while the async operator is busy (a positive integer). Default 1024. */
  capacity?: number;
  /**
   * What happens when a value arrives while the buffer is full. Default `error`.
   * - `error`: the upstream subscription ends and the subscriber gets a `BufferOverflowError`
   *   (with the buffer's name and capacity) once the values already queued are processed;
   * - `drop-oldest`: the oldest queued value is discarded and reported to `onDrop`;
   * - `block`: nothing is lost and the source stops reading. Needs `backpressure`: the same
   *   gate given to the source, `fromAsyncIterable(source, { backpressure })`, and to the other
   *   buffering operators of the chain. Values already past the source when the gate closed
   *   (those in buffers upstream, and what their operators make of them) still come and wait
   *   in line behind the buffer; a source that ignores the gate is not bounded at all.
   */
  policy?: BufferPolicy;
  /**
   * A gate held closed while the buffer is full and reopened as it drains (see
   * {@link Backpressure}). Required for `block`; with the other policies it keeps a
   * gate-aware source from overrunning the buffer in the first place.
   */
  backpressure?: Backpressure;
  /** Called with each value discarded under `drop-oldest` and the running count of discarded values. If it throws, the subscriber gets that error. */
  onDrop?: (value: A, dropped: number) => void;
  /** Names the buffer in error messages. Default: the operator's name. */
  name?: string;
}

/** Default {@link BridgeOptions.capacity}. */
export const DEFAULT_BRIDGE_CAPACITY = 1024;

/**
 * Turns an async-iterable operator into an RxJS operator.
 *
 * Per subscription, the upstream Observable feeds a bounded buffer (see {@link BridgeOptions}
 * for the policies: RxJS has no backpressure, so the push side must be bounded), the async
 * operator pulls from it at its own pace, and its outputs are emitted in order. The
 * subscriber gets `complete` once the operator has drained its input and ended, and
 * `error` with whatever the upstream or the operator throws (an upstream error arrives
 * through the operator, after the values before it, so the operator can add context).
 *
 * Unsubscribing calls the operator's `return()` at once, which runs its cleanup (closing its
 * readers, disposing tensors) without waiting for another value, and ends the upstream
 * subscription in the same call.
 *
 * @example
 * ```ts
 * import { map } from 'titans-stream';
 * const lengths = fromAsyncOperator(map((line: string) => line.length), { capacity: 64 });
 * lines$.pipe(lengths).subscribe(console.log);
 * ```
 * @param op - The async-iterable operator; it is applied afresh for each subscription.
 * @param options - The input buffer: `capacity` (default 1024), `policy` (default `error`), `backpressure`, `onDrop`, `name`.
 * @returns The RxJS operator.
 * @throws {ConfigError} at once if `capacity` is not a positive integer, `policy` is unknown, or `policy` is `block` without `backpressure`.
 */
export function fromAsyncOperator<A, B>(op: AsyncOperator<A, B>, options: BridgeOptions<A> = {}): OperatorFunction<A, B> {
  const { capacity = DEFAULT_BRIDGE_CAPACITY, policy = 'error', name = 'fromAsyncOperator', ...rest } = options;
  const buffer = { ...rest, capacity, policy, name };
  validateBridgeOptions(name, buffer);
  return (source) => fromAsyncIterable((signal) => op(toAsyncIterable(source, { ...buffer, signal })));
}
