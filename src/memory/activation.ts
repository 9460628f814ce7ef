import { tf } from '../tensor/index.js';
import type { Tensor2D } from '../tensor/index.js';

/** Hidden-layer activations of the memory MLP. `gelu` is the tanh approximation. */
export const ACTIVATIONS = ['silu', 'relu', 'gelu', 'tanh'] as const;

/** A hidden-layer activation of the memory MLP. */
export type Activation = (typeof ACTIVATIONS)[number];

/** A hidden layer's output with what its derivative needs. */
export interface HiddenLayer {
  /** Activation output a = σ(z), [rows × width]. */
  readonly a: Tensor2D;
  /** Pre-activation z = x·W (absent for `relu`, whose derivative only needs `a`). */
  readonly z: Tensor2D | undefined;
  /** sigmoid(z) for `silu`, tanh(u) for `gelu`; else absent. */
  readonly aux: Tensor2D | undefined;
}

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_K = 0.044715;

/**
 * One hidden layer of the memory MLP: `σ(x·w)`, as plain 2-D ops.
 *
 * @example
 * ```ts
 * const { a } = hiddenLayer('silu', keys, w0); // [C × hidden]
 * ```
 * @param kind - The activation.
 * @param x - Layer input, [rows × in].
 * @param w - Weight, [in × out].
 * @returns The activation and what {@link activationDerivative} needs.
 */
export function hiddenLayer(kind: Activation, x: Tensor2D, w: Tensor2D): HiddenLayer {
  const z: Tensor2D = tf.matMul(x, w);
  // Not tf.fused.matMul for relu: the fused kernel is slower on WASM than a plain matmul + relu.
  if (kind === 'relu') return { a: tf.relu(z), z: undefined, aux: undefined };
  switch (kind) {
    case 'silu': {
      const s: Tensor2D = tf.sigmoid(z);
      return { a: tf.mul<Tensor2D>(z, s), z, aux: s };
    }
    case 'tanh':
      return { a: tf.tanh<Tensor2D>(z), z, aux: undefined };
    case 'gelu': {
      const t = tf.tanh(tf.mul(tf.add(z, tf.mul(tf.mul(z, tf.square(z)), GELU_K)), GELU_C)) as Tensor2D;
      return { a: tf.mul<Tensor2D>(tf.mul(z, 0.5), tf.add(t, 1)), z, aux: t };
    }
  }
}

/**
 * Elementwise derivative dσ/dz of a hidden layer computed by {@link hiddenLayer}.
 *
 * silu: s + a − a·s; relu: step(a); tanh: 1 − a²; gelu: ½(1 + t) + ½·z·(1 − t²)·c·(1 + 3k·z²).
 *
 * @example
 * ```ts
 * const delta = tf.mul(tf.matMul(deltaNext, wNextT), activationDerivative('silu', layer));
 * ```
 * @param kind - The activation used in {@link hiddenLayer}.
 * @param layer - The layer's output.
 * @returns dσ/dz, same shape as `layer.a`.
 */
export function activationDerivative(kind: Activation, layer: HiddenLayer): Tensor2D {
  const { a, z, aux } = layer;
  switch (kind) {
    case 'relu':
      return tf.step(a);
    case 'tanh':
      return tf.sub(1, tf.square(a));
    case 'silu': {
      const s = aux as Tensor2D;
      return tf.sub(tf.add(s, a), tf.mul(a, s));
    }
    case 'gelu': {
      const t = aux as Tensor2D;
      const zz = z as Tensor2D;
      const inner = tf.mul(tf.add(tf.mul(tf.square(zz), 3 * GELU_K), 1), GELU_C);
      return tf.add(tf.mul(tf.add(t, 1), 0.5), tf.mul(tf.mul(tf.mul(zz, 0.5), tf.sub(1, tf.square(t))), inner));
    }
  }
}
