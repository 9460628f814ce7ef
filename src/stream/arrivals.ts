import type { OperatorContext } from './interruptible.js';
import type { SourceReader } from './source-reader.js';

/**
 * Tracks several {@link SourceReader}s that pull at the same time and says which have a
 * result ready, in the order the results arrived. Internal to merge-like operators.
 *
 * Each watched pull gets exactly one listener, so a source that stays idle while others
 * stream does not accumulate promise reactions (as `Promise.race` in a loop would).
 */
export class Arrivals<T> {
  readonly #ready = new Set<SourceReader<T>>();
  readonly #watched = new Set<SourceReader<T>>();
  #wake: (() => void) | undefined;

  /** Starts a pull on `reader` (if none is pending) and records it as ready once it settles. */
  watch(reader: SourceReader<T>): void {
    if (this.#watched.has(reader) || this.#ready.has(reader)) return;
    this.#watched.add(reader);
    void reader.pull().then(() => {
      if (!this.#watched.delete(reader)) return;
      this.#ready.add(reader);
      const wake = this.#wake;
      this.#wake = undefined;
      wake?.();
    });
  }

  /** Forgets `reader`: it will not be reported as ready. */
  forget(reader: SourceReader<T>): void {
    this.#watched.delete(reader);
    this.#ready.delete(reader);
  }

  /**
   * Waits until one of `candidates` (or any watched reader, oldest arrival first, when
   * `candidates` is omitted) has a result ready, and returns it (no longer watched).
   *
   * @throws The context signal's reason if it aborts while waiting.
   */
  async take(ctx: OperatorContext, candidates?: ReadonlyArray<SourceReader<T> | undefined>): Promise<SourceReader<T>> {
    for (;;) {
      for (const reader of candidates ?? this.#ready) {
        if (reader !== undefined && this.#ready.delete(reader)) return reader;
      }
      await ctx.wait(new Promise<void>((resolve) => (this.#wake = resolve)));
    }
  }
}
