/** Test sources that record how they are used. */

/** How a {@link probe} source behaves after its values: end, throw, or never answer again. */
export type ProbeEnd = 'done' | 'hang' | { readonly error: unknown };

/** What a {@link probe} source has seen. */
export interface ProbeStats {
  /** `[Symbol.asyncIterator]()` calls. */
  opened: number;
  /** `next()` calls. */
  nextCalls: number;
  /** `return()` calls. */
  returnCalls: number;
}

/** A hand-written async iterable that records its use. */
export interface Probe<T> extends AsyncIterable<T> {
  readonly stats: ProbeStats;
}

/**
 * A source that yields `values` (each on a later microtask), then ends as `end` says. A
 * hanging source's pending `next()` never settles, even after `return()`, like a consumer
 * stuck on an idle broker.
 */
export function probe<T>(values: readonly T[], end: ProbeEnd = 'done'): Probe<T> {
  const stats: ProbeStats = { opened: 0, nextCalls: 0, returnCalls: 0 };
  return {
    stats,
    [Symbol.asyncIterator]() {
      stats.opened += 1;
      let index = 0;
      let closed = false;
      return {
        next(): Promise<IteratorResult<T, undefined>> {
          stats.nextCalls += 1;
          if (closed) return Promise.resolve({ done: true, value: undefined });
          if (index < values.length) return Promise.resolve({ done: false, value: values[index++] as T });
          if (end === 'hang') return new Promise(() => {});
          closed = true;
          if (end === 'done') return Promise.resolve({ done: true, value: undefined });
          return Promise.reject(end.error);
        },
        return(): Promise<IteratorResult<T, undefined>> {
          stats.returnCalls += 1;
          closed = true;
          return Promise.resolve({ done: true, value: undefined });
        },
      };
    },
  };
}

/** An async generator that yields `values` then awaits a promise that never settles. */
export async function* hangingGenerator<T>(values: readonly T[]): AsyncGenerator<T, void, undefined> {
  yield* values;
  await new Promise(() => {});
}

/** An async generator that yields `values` with `delaysMs[i]` of real time before each. */
export async function* delayed<T>(values: readonly T[], delaysMs: readonly number[]): AsyncGenerator<T, void, undefined> {
  for (const [i, value] of values.entries()) {
    const ms = delaysMs[i % Math.max(1, delaysMs.length)] ?? 0;
    if (ms > 0) await sleep(ms);
    yield value;
  }
}

/** Resolves after `ms` milliseconds (a real or fake timer, whichever is installed). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Lets pending promise callbacks and I/O callbacks run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Rejects if `promise` has not settled within `ms` real milliseconds: turns a hang into a clear failure. */
export async function within<T>(promise: Promise<T>, ms = 1000, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The numbers 1..n. */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}

/** Calls `iterator.return()` and fails the test if it does not settle within a second. */
export async function stop(iterator: AsyncIterator<unknown>): Promise<void> {
  await within(Promise.resolve(iterator.return?.()), 1000, 'return()');
}
