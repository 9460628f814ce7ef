import { Observable } from 'rxjs';
import { TitansError } from '../src/errors/titans-error.js';
import { SourceReader } from '../src/stream/source-reader.js';
import type { Backpressure } from './backpressure.js';
import { reportLateError } from './report-late-error.js';

/**
 * What {@link fromAsyncIterable} reads: an async (or synchronous) iterable, or a function that
 * opens one for each subscription and gets a signal that aborts when the subscriber
 * unsubscribes (pass it on to the Kafka consumer, file reader or operator that supports one).
 */
export type AsyncIterableSource<T> = AsyncIterable<T> | Iterable<T> | ((signal: AbortSignal) => AsyncIterable<T> | Iterable<T>);

/** Options of {@link fromAsyncIterable}. */
export interface FromAsyncIterableOptions {
  /**
   * A gate checked before each pull: while a buffer downstream holds it closed (see
   * {@link Backpressure}), the source is not read. Give the same gate to the buffering
   * operators downstream (policy `block`).
   */
  backpressure?: Backpressure;
}

/**
 * Turns a pull source into an Observable that reads one value at a time and stops the source
 * at once on unsubscribe.
 *
 * Each subscription opens the source afresh (call the factory, or `[Symbol.asyncIterator]()`),
 * then pulls a value, emits it, and pulls the next, never more than one `next()` at a time.
 * Unlike RxJS's `from(asyncIterable)`, which reads ahead as fast as it can and notices an
 * unsubscribe only when the next value arrives, unsubscribing here calls the iterator's
 * `return()` synchronously, even while a `next()` is pending that will never answer (an idle
 * Kafka topic), and aborts the signal given to a factory. Errors of the source (or of opening
 * it) go to `subscriber.error`; its end to `subscriber.complete`.
 *
 * A `return()` that fails after an unsubscribe is reported to RxJS's `config.onUnhandledError`
 * if set, and otherwise dropped.
 *
 * @example
 * ```ts
 * const gate = createBackpressure();
 * const subscription = fromAsyncIterable((signal) => sampleLogRecords({ count: Infinity, signal }), { backpressure: gate })
 *   .pipe(tokenize(new ByteTokenizer(), { policy: 'block', backpressure: gate }))
 *   .subscribe((run) => console.log(run.key, run.tokens.length));
 * setTimeout(() => subscription.unsubscribe(), 1000); // the sample generator's return() runs at once
 * ```
 * @param source - The iterable, or a function of an `AbortSignal` returning one per subscription.
 * @param options - `backpressure`: a gate to honour before each pull.
 * @returns A cold Observable of the source's values, in order.
 * @throws Nothing at the call; errors of the source and of `source(signal)` reach the subscriber.
 */
export function fromAsyncIterable<T>(source: AsyncIterableSource<T>, options: FromAsyncIterableOptions = {}): Observable<T> {
  const { backpressure } = options;
  return new Observable<T>((subscriber) => {
    const controller = new AbortController();
    let reader: SourceReader<T>;
    try {
      reader = new SourceReader(typeof source === 'function' ? source(controller.signal) : source, controller.signal);
    } catch (error) {
      subscriber.error(error);
      return undefined;
    }
    let finished = false;
    void (async () => {
      try {
        while (!subscriber.closed) {
          if (backpressure !== undefined && !backpressure.open) await backpressure.whenOpen(controller.signal);
          const result = await reader.next();
          if (result.done === true) {
            finished = true;
            subscriber.complete();
            return;
          }
          subscriber.next(result.value);
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        finished = true;
        subscriber.error(error);
      }
    })();
    return () => {
      if (finished) return;
      reader.close().catch(reportLateError);
      controller.abort(new TitansError('ERR_UNSUBSCRIBED', 'fromAsyncIterable: the subscriber unsubscribed'));
    };
  });
}
