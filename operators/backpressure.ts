import { abortable } from '../src/stream/abortable.js';

/**
 * A gate shared by a pull source and the buffers downstream of it: the only way to get real
 * backpressure across RxJS, which has none.
 *
 * A buffer that fills up closes the gate ({@link Backpressure.close}) and reopens it as it
 * drains; a source that honours the gate ({@link fromAsyncIterable} with `{ backpressure }`, or
 * your own code calling {@link Backpressure.whenOpen} before each read) stops reading while it
 * is closed, so a Kafka consumer, an Arrow reader or a file stops at the source instead of
 * piling values up in memory. Several buffers may share one gate: it is open only when none of
 * them holds it closed.
 *
 * @example
 * ```ts
 * const gate = createBackpressure();
 * fromAsyncIterable(kafkaRecords, { backpressure: gate })
 *   .pipe(tokenize(tokenizer, { policy: 'block', capacity: 256, backpressure: gate }))
 *   .subscribe(console.log);
 * ```
 */
export interface Backpressure {
  /** True while no holder keeps the gate closed. */
  readonly open: boolean;
  /**
   * Closes the gate on behalf of one holder.
   *
   * @returns The function that withdraws this hold (calling it again does nothing). The gate
   * reopens when every hold has been withdrawn.
   */
  close(): () => void;
  /**
   * Waits until the gate is open.
   *
   * @param signal - Stops the wait.
   * @returns A promise that resolves at once if the gate is open, else when it reopens.
   * @throws `signal.reason` (as a rejection) if `signal` aborts first.
   */
  whenOpen(signal?: AbortSignal): Promise<void>;
}

/**
 * Creates an open {@link Backpressure} gate.
 *
 * @example
 * ```ts
 * const gate = createBackpressure();
 * const reopen = gate.close();
 * const reading = gate.whenOpen(); // pending
 * reopen(); // `reading` resolves
 * ```
 * @returns A new gate, open.
 */
export function createBackpressure(): Backpressure {
  return new Gate();
}

class Gate implements Backpressure {
  #holds = 0;
  #opened: Promise<void> | undefined;
  #reopen: (() => void) | undefined;

  get open(): boolean {
    return this.#holds === 0;
  }

  close(): () => void {
    if (this.#holds === 0) this.#opened = new Promise<void>((resolve) => (this.#reopen = resolve));
    this.#holds += 1;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#holds -= 1;
      if (this.#holds === 0) this.#reopen?.();
    };
  }

  whenOpen(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(signal.reason as unknown);
    const opened = this.#holds === 0 ? undefined : this.#opened;
    if (opened === undefined) return Promise.resolve();
    return signal === undefined ? opened : abortable(opened, signal);
  }
}
