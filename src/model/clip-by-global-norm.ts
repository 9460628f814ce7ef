import { tf } from '../tensor/index.js';
import type { Scalar, Tensor } from '../tensor/index.js';

/**
 * Scales gradients so that their global L2 norm is at most `maxNorm`.
 *
 * @example
 * ```ts
 * const { grads: clipped, norm } = clipByGlobalNorm(grads, 1);
 * ```
 * @param grads - Gradients by name (not disposed).
 * @param maxNorm - Largest allowed global norm.
 * @returns The scaled gradients and the norm before scaling (new tensors).
 */
export function clipByGlobalNorm(grads: Readonly<Record<string, Tensor>>, maxNorm: number): { grads: Record<string, Tensor>; norm: Scalar } {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))) as Scalar;
    const scale = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-12)));
    const out: Record<string, Tensor> = {};
    for (const [name, g] of Object.entries(grads)) out[name] = tf.mul(g, scale);
    return { grads: out, norm } as unknown as tf.TensorContainer;
  }) as unknown as { grads: Record<string, Tensor>; norm: Scalar };
}
