/**
 * A curried stream operator: takes a source and returns the transformed stream.
 *
 * @example
 * ```ts
 * const double: AsyncOperator<number, number> = map((x: number) => x * 2);
 * for await (const y of double(source)) console.log(y);
 * ```
 */
export type AsyncOperator<A, B> = (source: AsyncIterable<A>) => AsyncIterable<B>;

/** Options every stream operator accepts. */
export interface OperatorOptions {
  /**
   * Stops the iteration: a pending `next()` rejects with `signal.reason` at once (even while
   * the source has not answered yet) and the source's `return()` is called.
   */
  signal?: AbortSignal;
}
