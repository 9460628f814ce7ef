/** Helpers for the RxJS operator tests. */
import type { Observable } from 'rxjs';

/** What a subscriber saw: values in order, then an error or completion (or neither yet). */
export interface Seen<T> {
  readonly values: T[];
  error?: unknown;
  completed: boolean;
}

/**
 * Subscribes and resolves once the Observable completes or errors; rejects if neither happens
 * within `ms` real milliseconds, so a hang fails clearly.
 */
export function collect<T>(observable: Observable<T>, ms = 2000): Promise<Seen<T>> {
  return new Promise((resolve, reject) => {
    const seen: Seen<T> = { values: [], completed: false };
    const timer = setTimeout(() => {
      subscription.unsubscribe();
      reject(new Error(`no completion or error within ${ms} ms (values so far: ${seen.values.length})`));
    }, ms);
    const subscription = observable.subscribe({
      next: (value) => seen.values.push(value),
      error: (error: unknown) => {
        clearTimeout(timer);
        seen.error = error;
        resolve(seen);
      },
      complete: () => {
        clearTimeout(timer);
        seen.completed = true;
        resolve(seen);
      },
    });
  });
}

/** A promise with its resolve function, to hold an async callback until the test lets it go. */
export function latch(): { readonly promise: Promise<void>; readonly open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Resolves once `condition()` holds, checking every few milliseconds; rejects after `ms` real milliseconds. */
export async function until(condition: () => boolean, ms = 2000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`${what} did not hold within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
