import { abortable } from './abortable.js';
import type { OperatorContext } from './interruptible.js';

type Outcome<T> = { readonly ok: true; readonly result: IteratorResult<T> } | { readonly ok: false; readonly error: unknown };

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * Pulls values from one source on behalf of an operator, and knows how to let go of it.
 *
 * At most one `next()` call to the source is in flight. {@link SourceReader.pull} starts a
 * pull without taking its result, so the result can be awaited, raced against a timer and
 * still taken later: a pull is never lost. {@link SourceReader.close} releases the source
 * without waiting for a pull that has not answered (an idle Kafka partition, a quiet socket).
 *
 * @example
 * ```ts
 * const reader = new SourceReader(source, ctx); // ctx: the OperatorContext of an interruptible body
 * try {
 *   for (let r = await reader.next(); !r.done; r = await reader.next()) use(r.value);
 * } finally {
 *   await reader.close();
 * }
 * ```
 */
export class SourceReader<T> {
  readonly #iterator: AsyncIterator<T> | Iterator<T>;
  readonly #scope: Pick<OperatorContext, 'wait'> | undefined;
  #inFlight: Promise<void> | undefined;
  #outcome: Outcome<T> | undefined;
  #finished = false;

  /**
   * Opens the source (calls its `[Symbol.asyncIterator]()`, or `[Symbol.iterator]()` for a
   * synchronous iterable).
   *
   * @param source - The stream to read.
   * @param scope - What stops a waiting {@link SourceReader.next}: the operator's
   * {@link OperatorContext} (its waits are cheapest), or an `AbortSignal`.
   */
  constructor(source: AsyncIterable<T> | Iterable<T>, scope?: Pick<OperatorContext, 'wait'> | AbortSignal) {
    this.#iterator = openIterator(source);
    if (scope === undefined || 'wait' in scope) this.#scope = scope;
    else this.#scope = { wait: (value) => abortable(value, scope) };
  }

  /** Whether the result of a pull is ready to be taken by {@link SourceReader.next} without waiting. */
  get ready(): boolean {
    return this.#outcome !== undefined;
  }

  /**
   * Starts a pull from the source unless one is already in flight or its result is waiting.
   *
   * @returns A promise that resolves (never rejects) once the pull's result is ready.
   */
  pull(): Promise<void> {
    if (this.#outcome !== undefined || this.#finished) return Promise.resolve();
    if (this.#inFlight === undefined) {
      let next: Promise<IteratorResult<T>>;
      try {
        next = Promise.resolve(this.#iterator.next());
      } catch (error) {
        next = Promise.reject(error);
      }
      this.#inFlight = next.then(
        (result) => this.#settle({ ok: true, result }, result.done === true),
        (error: unknown) => this.#settle({ ok: false, error }, true),
      );
    }
    return this.#inFlight;
  }

  /**
   * Starts a pull (as {@link SourceReader.pull}) and waits for its result at most `ms`
   * milliseconds (a quiet source, a deadline to keep meanwhile).
   *
   * @param ms - How long to wait.
   * @returns true once the result is ready (take it with {@link SourceReader.next}); false when the time ran out first (the pull goes on).
   * @throws the abort reason if the scope stops while waiting.
   */
  async pullWithin(ms: number): Promise<boolean> {
    if (this.ready || this.#finished) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms), false)));
    const race = Promise.race([this.pull().then(() => true), timeout]);
    try {
      return await (this.#scope === undefined ? race : this.#scope.wait(race));
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Takes the next value: the pending pull's result if there is one, else a new pull.
   *
   * @returns The source's next result; `{ done: true }` once the source has ended.
   * @throws Whatever the source throws, unchanged; the abort reason if the scope stops while waiting.
   */
  async next(): Promise<IteratorResult<T, undefined>> {
    if (this.#outcome === undefined) {
      if (this.#finished) return DONE;
      const ready = this.pull();
      await (this.#scope === undefined ? ready : this.#scope.wait(ready));
    }
    const outcome = this.#outcome as Outcome<T>;
    this.#outcome = undefined;
    if (!outcome.ok) throw outcome.error;
    return outcome.result.done === true ? DONE : outcome.result;
  }

  /**
   * Releases the source by calling its `return()`, unless it has already ended or failed.
   *
   * If a pull is still in flight, `return()` is called at once and not awaited (the source may
   * be stuck waiting for data that never comes); its errors are then ignored. Otherwise its
   * completion is awaited and its errors propagate.
   *
   * @throws Whatever the source's `return()` throws when no pull was in flight.
   */
  async close(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    this.#outcome = undefined;
    const iterator = this.#iterator;
    if (this.#inFlight === undefined) {
      await iterator.return?.();
      return;
    }
    try {
      Promise.resolve(iterator.return?.()).catch(ignore);
    } catch {
      // The source failed to stop while a pull was in flight; nobody is left to tell.
    }
  }

  #settle(outcome: Outcome<T>, finished: boolean): void {
    this.#inFlight = undefined;
    if (this.#finished) return;
    this.#outcome = outcome;
    this.#finished = finished;
  }
}

/**
 * Calls `[Symbol.asyncIterator]()` of an async iterable, or `[Symbol.iterator]()` of a synchronous one.
 *
 * @throws {TypeError} if `source` is neither.
 */
export function openIterator<T>(source: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> | Iterator<T> {
  if (isAsyncIterable(source)) return source[Symbol.asyncIterator]();
  if (isIterable(source)) return source[Symbol.iterator]();
  throw new TypeError(`expected an iterable or async iterable, got ${typeof source}`);
}

/** Whether `value` has a `[Symbol.asyncIterator]` method. */
export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value != null && typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function';
}

/** Whether `value` (a string included) has a `[Symbol.iterator]` method. */
export function isIterable(value: unknown): value is Iterable<unknown> {
  return value != null && typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function';
}

function ignore(): void {}
