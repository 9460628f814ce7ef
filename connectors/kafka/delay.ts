/**
 * Waits `ms` milliseconds; an abort of `signal` ends the wait at once with `signal.reason` and
 * clears the timer (so nothing keeps the process alive).
 *
 * @example
 * ```ts
 * await delay(500, signal);
 * ```
 * @param ms - how long to wait.
 * @param signal - stops the wait.
 * @returns a promise resolved after `ms`.
 * @throws `signal.reason` (as a rejection) when `signal` aborts first or is already aborted.
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return Promise.reject(signal.reason as unknown);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject((signal as AbortSignal).reason as unknown);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
