import { tf } from '../tensor/index.js';
import type { Tensor2D } from '../tensor/index.js';
import { matMul2d } from './fast-matmul.js';

/** Feed-forward kinds: SwiGLU (`silu(x·W_gate) ⊙ (x·W_up)`) or GELU (tanh approximation). */
export const MLP_KINDS = ['swiglu', 'gelu'] as const;

/** A feed-forward kind. */
export type MlpKind = (typeof MLP_KINDS)[number];

/** Weights of a feed-forward block. */
export interface MlpWeights {
  /** `[d × 2h]` for SwiGLU (gate columns, then up columns), `[d × h]` for GELU. */
  readonly up: Tensor2D;
  /** `[h × d]`. */
  readonly down: Tensor2D;
}

/**
 * The position-wise feed-forward block: SwiGLU `(silu(x·W_g) ⊙ x·W_u)·W_down` or GELU
 * `gelu(x·W_up)·W_down`, built on {@link matMul2d}.
 *
 * @example
 * ```ts
 * const y = mlp('swiglu', { up, down }, x); // x: [n × d] → [n × d]
 * ```
 * @param kind - SwiGLU or GELU.
 * @param w - The weights.
 * @param x - `[n × d]`.
 * @returns `[n × d]`.
 */
export function mlp(kind: MlpKind, w: MlpWeights, x: Tensor2D): Tensor2D {
  const u = matMul2d(x, w.up);
  let hidden: Tensor2D;
  if (kind === 'swiglu') {
    const h = (w.up.shape[1] as number) / 2;
    const [gate, up] = tf.split(u, [h, h], 1) as [Tensor2D, Tensor2D];
    hidden = tf.mul(tf.mul(gate, tf.sigmoid(gate)), up);
  } else {
    hidden = gelu(u);
  }
  return matMul2d(hidden, w.down);
}

const GELU_C = Math.sqrt(2 / Math.PI);

/** GELU, tanh approximation, from differentiable elementwise ops. */
function gelu(z: Tensor2D): Tensor2D {
  const t = tf.tanh(tf.mul(tf.add(z, tf.mul(tf.pow(z, 3), 0.044715)), GELU_C));
  return tf.mul(tf.mul(z, 0.5), tf.add(t, 1));
}
