import type { AsyncOperator } from './types.js';

/**
 * Applies operators to a stream, left to right.
 *
 * @example
 * ```ts
 * const batches = pipe(
 *   fromIterable(lines),
 *   filter((line: string) => line !== ''),
 *   map((line) => line.length),
 *   chunk(32),
 * ); // AsyncIterable<number[]>
 * ```
 * @param source - The stream to start from.
 * @param operators - Up to nine operators, each fed the previous one's output.
 * @returns The last operator's output (`source` itself when there are none).
 */
export function pipe<A>(source: AsyncIterable<A>): AsyncIterable<A>;
export function pipe<A, B>(source: AsyncIterable<A>, op1: AsyncOperator<A, B>): AsyncIterable<B>;
export function pipe<A, B, C>(source: AsyncIterable<A>, op1: AsyncOperator<A, B>, op2: AsyncOperator<B, C>): AsyncIterable<C>;
export function pipe<A, B, C, D>(source: AsyncIterable<A>, op1: AsyncOperator<A, B>, op2: AsyncOperator<B, C>, op3: AsyncOperator<C, D>): AsyncIterable<D>;
export function pipe<A, B, C, D, E>(
  source: AsyncIterable<A>,
  op1: AsyncOperator<A, B>,
  op2: AsyncOperator<B, C>,
  op3: AsyncOperator<C, D>,
  op4: AsyncOperator<D, E>,
): AsyncIterable<E>;
export function pipe<A, B, C, D, E, F>(
  source: AsyncIterable<A>,
  op1: AsyncOperator<A, B>,
  op2: AsyncOperator<B, C>,
  op3: AsyncOperator<C, D>,
  op4: AsyncOperator<D, E>,
  op5: AsyncOperator<E, F>,
): AsyncIterable<F>;
export function pipe<A, B, C, D, E, F, G>(
  source: AsyncIterable<A>,
  op1: AsyncOperator<A, B>,
  op2: AsyncOperator<B, C>,
  op3: AsyncOperator<C, D>,
  op4: AsyncOperator<D, E>,
  op5: AsyncOperator<E, F>,
  op6: AsyncOperator<F, G>,
): AsyncIterable<G>;
export function pipe<A, B, C, D, E, F, G, H>(
  source: AsyncIterable<A>,
  op1: AsyncOperator<A, B>,
  op2: AsyncOperator<B, C>,
  op3: AsyncOperator<C, D>,
  op4: AsyncOperator<D, E>,
  op5: AsyncOperator<E, F>,
  op6: AsyncOperator<F, G>,
  op7: AsyncOperator<G, H>,
): AsyncIterable<H>;
export function pipe<A, B, C, D, E, F, G, H, I>(
  source: AsyncIterable<A>,
  op1: AsyncOperator<A, B>,
  op2: AsyncOperator<B, C>,
  op3: AsyncOperator<C, D>,
  op4: AsyncOperator<D, E>,
  op5: AsyncOperator<E, F>,
  op6: AsyncOperator<F, G>,
  op7: AsyncOperator<G, H>,
  op8: AsyncOperator<H, I>,
): AsyncIterable<I>;
export function pipe<A, B, C, D, E, F, G, H, I, J>(
  source: AsyncIterable<A>,
  op1: AsyncOperator<A, B>,
  op2: AsyncOperator<B, C>,
  op3: AsyncOperator<C, D>,
  op4: AsyncOperator<D, E>,
  op5: AsyncOperator<E, F>,
  op6: AsyncOperator<F, G>,
  op7: AsyncOperator<G, H>,
  op8: AsyncOperator<H, I>,
  op9: AsyncOperator<I, J>,
): AsyncIterable<J>;
export function pipe(source: AsyncIterable<unknown>, ...operators: AsyncOperator<unknown, unknown>[]): AsyncIterable<unknown> {
  return operators.reduce((stream, operator) => operator(stream), source);
}
