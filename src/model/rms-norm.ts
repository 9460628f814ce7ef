import { tf } from '../tensor/index.js';
import type { Tensor1D, Tensor2D } from '../tensor/index.js';

/**
 * RMSNorm of each row: `x / √(mean(x²) + eps) ⊙ gain` (no gain: parameter-free).
 *
 * @example
 * ```ts
 * const xn = rmsNorm(x, gain); // x: [n × d], gain: [d]
 * ```
 * @param x - `[n × d]`.
 * @param gain - `[d]` learned scale, or `undefined` for none.
 * @param eps - Added to the mean square (default 1e-6).
 * @returns `[n × d]`.
 */
export function rmsNorm(x: Tensor2D, gain: Tensor1D | undefined, eps = 1e-6): Tensor2D {
  const normed = tf.mul<Tensor2D>(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), 1, true), eps)));
  return gain ? tf.mul<Tensor2D>(normed, gain) : normed;
}
