import { TitansError } from '../errors/titans-error.js';
import type { OperatorOptions } from './types.js';

/** What an {@link interruptible} body gets to stop promptly. */
export interface OperatorContext {
  /**
   * Aborts when the iteration is stopped from outside: the consumer called `return()` (a
   * `break` in `for await`) or the caller's signal aborted. Give it to every
   * {@link SourceReader} and long wait of the body.
   */
  readonly signal: AbortSignal;
  /**
   * Waits for a value (a callback's result, a timer), rejecting at once when
   * {@link OperatorContext.signal} aborts.
   */
  wait<T>(value: T | PromiseLike<T>): Promise<T>;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * Turns an async-generator body into a stream that stops at once when asked to.
 *
 * A plain async generator cannot be stopped while it awaits: its `return()` waits in line
 * behind the pending `next()`, so a `break` over an idle source hangs. Here `return()` and
 * the caller's signal abort {@link OperatorContext.signal} first; every wait of the body that
 * goes through the context rejects, its `finally` blocks run (releasing its sources), and
 * then the iteration ends: `return()` resolves, a pending `next()` resolves `{ done: true }`
 * after `return()`, or rejects with `signal.reason` after an abort.
 *
 * Each `[Symbol.asyncIterator]()` call runs the body afresh.
 *
 * @example
 * ```ts
 * const double = (source: AsyncIterable<number>) =>
 *   interruptible(async function* (ctx) {
 *     const reader = new SourceReader(source, ctx);
 *     try {
 *       for (let r = await reader.next(); !r.done; r = await reader.next()) yield r.value * 2;
 *     } finally {
 *       await reader.close();
 *     }
 *   });
 * ```
 * @param body - The operator's logic. Must route its waits through `ctx` (or `ctx.signal`) and release resources in `finally`.
 * @param options - `signal` stops the iteration with `signal.reason`.
 * @returns A stream running `body`.
 */
export function interruptible<T>(body: (ctx: OperatorContext) => AsyncGenerator<T, void, undefined>, options: OperatorOptions = {}): AsyncIterable<T> {
  return { [Symbol.asyncIterator]: () => new InterruptibleIterator(body, options.signal) };
}

class InterruptibleIterator<T> implements AsyncIterableIterator<T> {
  readonly #controller = new AbortController();
  readonly #returned = new TitansError('ERR_ITERATION_RETURNED', 'the consumer stopped the iteration (return() was called)');
  readonly #generator: AsyncGenerator<T, void, undefined>;
  readonly #external: AbortSignal | undefined;
  #finished = false;
  /** The caller's abort, until some `next()` has reported it. */
  #abort: { readonly reason: unknown } | undefined;

  constructor(body: (ctx: OperatorContext) => AsyncGenerator<T, void, undefined>, external: AbortSignal | undefined) {
    this.#generator = body(contextFor(this.#controller.signal));
    this.#external = external;
    if (external === undefined) return;
    if (external.aborted) this.#onAbort();
    else external.addEventListener('abort', this.#onAbort, { once: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<T, undefined>> {
    if (!this.#finished) {
      try {
        const result = await this.#generator.next();
        if (result.done !== true) return result;
      } catch (error) {
        this.#finish();
        if (error !== this.#returned) {
          if (this.#abort !== undefined && error === this.#abort.reason) this.#abort = undefined;
          throw error;
        }
      }
      this.#finish();
    }
    const abort = this.#abort;
    if (abort !== undefined) {
      this.#abort = undefined;
      throw abort.reason;
    }
    return DONE;
  }

  async return(): Promise<IteratorResult<T, undefined>> {
    this.#abort = undefined;
    if (!this.#finished) {
      if (!this.#controller.signal.aborted) this.#controller.abort(this.#returned);
      try {
        await this.#generator.return(undefined);
      } finally {
        this.#finish();
      }
    }
    return DONE;
  }

  readonly #onAbort = (): void => {
    const external = this.#external as AbortSignal;
    if (this.#finished || this.#controller.signal.aborted) return;
    this.#abort = { reason: external.reason as unknown };
    this.#controller.abort(external.reason);
    // Run the body's cleanup now, even if nobody calls next() again.
    this.#generator.return(undefined).catch(ignore);
  };

  #finish(): void {
    this.#finished = true;
    this.#external?.removeEventListener('abort', this.#onAbort);
    if (!this.#controller.signal.aborted) this.#controller.abort(this.#returned);
  }
}

/**
 * The context of one iteration. `wait` keeps its pending waits in a set served by a single
 * abort listener: cheaper per value than an `addEventListener` per wait.
 */
function contextFor(signal: AbortSignal): OperatorContext {
  const waiting = new Set<(reason: unknown) => void>();
  signal.addEventListener(
    'abort',
    () => {
      for (const reject of waiting) reject(signal.reason);
      waiting.clear();
    },
    { once: true },
  );
  return {
    signal,
    wait<T>(value: T | PromiseLike<T>): Promise<T> {
      if (signal.aborted) {
        Promise.resolve(value).catch(ignore);
        return Promise.reject(signal.reason as unknown);
      }
      if (!isPromiseLike(value)) return Promise.resolve(value);
      return new Promise<T>((resolve, reject) => {
        waiting.add(reject);
        value.then(
          (v) => {
            waiting.delete(reject);
            resolve(v);
          },
          (error: unknown) => {
            waiting.delete(reject);
            reject(error);
          },
        );
      });
    },
  };
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

function ignore(): void {}
