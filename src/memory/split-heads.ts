import { tf } from '../tensor/index.js';
import type { Tensor2D, Tensor3D } from '../tensor/index.js';

/**
 * `tf.unstack` along axis 0, except for a single slice, which is reshaped instead: tfjs's Unpack
 * gradient fails when the op has one output (its engine passes that output's dy unwrapped to
 * `stack`), and a reshape is cheaper anyway.
 *
 * @example
 * ```ts
 * const perHead = splitHeads(tf.zeros([4, 64, 16]) as Tensor3D); // 4 × [64 × 16]
 * ```
 * @param t - `[n × rows × cols]`.
 * @returns n tensors `[rows × cols]`.
 */
export function splitHeads(t: Tensor3D): Tensor2D[] {
  return t.shape[0] === 1 ? [tf.reshape(t, [t.shape[1], t.shape[2]])] : (tf.unstack(t) as Tensor2D[]);
}
