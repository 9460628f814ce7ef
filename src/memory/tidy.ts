import { tf } from '../tensor/index.js';

/**
 * `tf.tidy` typed by its callback's result: tfjs types the result as `TensorContainer`, which
 * readonly arrays and optional fields do not satisfy. Behaviour is exactly `tf.tidy`'s.
 *
 * @example
 * ```ts
 * const { keys } = tidy(() => ({ keys: [tf.zeros([2, 2])] }));
 * ```
 * @param fn - Synchronous function creating tensors; those it returns are kept.
 * @returns `fn()`'s result.
 */
export function tidy<T>(fn: () => T): T {
  return tf.tidy(fn as () => tf.TensorContainer) as T;
}

/**
 * Type guard for filtering out `undefined`.
 *
 * @example
 * ```ts
 * tf.dispose([a, maybeB].filter(defined));
 * ```
 * @param x - A value or `undefined`.
 * @returns Whether `x` is defined.
 */
export function defined<T>(x: T | undefined): x is T {
  return x !== undefined;
}
