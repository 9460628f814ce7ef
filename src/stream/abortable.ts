/**
 * Waits for `value`, but rejects with `signal.reason` as soon as `signal` aborts.
 *
 * The abandoned promise keeps running; its eventual rejection is swallowed, so it never
 * surfaces as an unhandled rejection.
 *
 * @example
 * ```ts
 * const result = await abortable(iterator.next(), signal);
 * ```
 * @param value - A promise (or plain value) to wait for.
 * @param signal - Aborting it stops the wait.
 * @returns The settled value of `value`.
 * @throws `signal.reason` when `signal` aborts first (or is already aborted); otherwise whatever `value` rejects with.
 */
export function abortable<T>(value: T | PromiseLike<T>, signal: AbortSignal): Promise<T> {
  const promise = Promise.resolve(value);
  if (signal.aborted) {
    promise.catch(ignore);
    return Promise.reject(signal.reason as unknown);
  }
  if (!isPromiseLike(value)) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as unknown);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

function ignore(): void {}
