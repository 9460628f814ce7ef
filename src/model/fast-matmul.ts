import { tf } from '../tensor/index.js';
import type { Tensor, Tensor2D } from '../tensor/index.js';

/**
 * A plain 2-D matmul whose gradient uses explicit transposes and plain matmuls only.
 *
 * tfjs registers the `matMul` gradient as `dy·bᵀ` and `aᵀ·dy` through the `transposeA` /
 * `transposeB` flags, which the WASM backend runs about ten times slower than a plain 2-D matmul
 * (FIELD-NOTES, TensorFlow.js). Here the same gradient is `dy · transpose(b)` and
 * `transpose(a) · dy`: the transposes are cheap copies and both matmuls take the fast path.
 * Values and gradients equal `tf.matMul`'s (up to float rounding). Used only while a gradient
 * tape records; otherwise {@link matMul2d} calls `tf.matMul` directly.
 */
const fast = tf.customGrad((...inputs: (Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = inputs as [Tensor2D, Tensor2D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [sa, sb] = saved as [Tensor2D, Tensor2D];
      return [tf.matMul(dy as Tensor2D, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy as Tensor2D)];
    },
  };
});

/**
 * `a · b` for 2-D tensors, with a backward pass that stays on the WASM fast path.
 *
 * @example
 * ```ts
 * const y = matMul2d(x, w); // [n × in] · [in × out]
 * const g = tf.grad((w: Tensor2D) => tf.sum(matMul2d(x, w)))(w);
 * ```
 * @param a - `[n × k]`.
 * @param b - `[k × m]`.
 * @returns `[n × m]`.
 */
export function matMul2d(a: Tensor2D, b: Tensor2D): Tensor2D {
  // Outside a gradient tape (inference) the custom-gradient wrapper only adds overhead.
  return tf.engine().isTapeOn() ? (fast(a, b) as Tensor2D) : tf.matMul(a, b);
}

/**
 * `a · bᵀ` for 2-D tensors as an explicit transpose and a plain matmul (see {@link matMul2d}).
 *
 * @example
 * ```ts
 * const scores = matMulT(queries, keys); // [n × d] · [m × d]ᵀ = [n × m]
 * ```
 * @param a - `[n × k]`.
 * @param b - `[m × k]`.
 * @returns `[n × m]`.
 */
export function matMulT(a: Tensor2D, b: Tensor2D): Tensor2D {
  return matMul2d(a, tf.transpose(b));
}
