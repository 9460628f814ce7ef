import { config } from 'rxjs';

/**
 * Hands an error that no subscriber can receive any more (a source's `return()` failing after
 * an unsubscribe) to RxJS's `config.onUnhandledError`, if the application set one; otherwise
 * it is dropped, as the subscriber asked to hear nothing more.
 *
 * @example
 * ```ts
 * reader.close().catch(reportLateError);
 * ```
 * @param error - The error to report.
 */
export function reportLateError(error: unknown): void {
  config.onUnhandledError?.(error);
}
