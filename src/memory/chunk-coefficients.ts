import { tf } from '../tensor/index.js';
import type { Tensor2D, Tensor3D } from '../tensor/index.js';

/**
 * Gate values of one chunk, per head and token, all `[heads × C]`: θ_t (the learning rate,
 * absolute) and either η_t and α_t themselves, or log η_t and log(1 − α_t) (more accurate for
 * sigmoid gates: log σ(z) and log σ(−z) stay finite where 1 − σ(z) rounds to 0).
 */
export type ChunkGates = PlainChunkGates | LogChunkGates;

/** {@link ChunkGates} as θ, η, α. */
export interface PlainChunkGates {
  readonly lr: Tensor2D;
  readonly momentum: Tensor2D;
  readonly forget: Tensor2D;
}

/** {@link ChunkGates} as θ, log η, log(1 − α). */
export interface LogChunkGates {
  readonly lr: Tensor2D;
  readonly logMomentum: Tensor2D;
  readonly logRetention: Tensor2D;
}

/**
 * The scalars that turn per-token gradients into the chunk-end state, per head.
 *
 * With S_t = η_t·S_{t−1} − θ_t·u_t and M_t = (1 − α_t)·M_{t−1} + S_t over tokens 1..C:
 * M_C = B·M_0 + b·S_0 − Σ_j c_j·θ_j·u_j and S_C = E·S_0 − Σ_j e_j·θ_j·u_j with
 * B = Π β, E = Π η, e_j = Π_{m>j} η_m, c_j = Σ_{i≥j} (Π_{m>i} β_m)(Π_{j<m≤i} η_m),
 * b = Σ_{i≥1} (Π_{m>i} β_m)(Π_{m≤i} η_m), β = 1 − α.
 */
export interface ChunkCoefficients {
  /** `[heads × 2 × C]`: row 0 = −θ_j·c_j (weights of the W update), row 1 = −θ_j·e_j (of S). */
  readonly tokenWeights: Tensor3D;
  /** `[heads × 3]`: B, b, E. */
  readonly scalars: Tensor2D;
}

/** log 0, finite so that masked products (× 0) stay 0 instead of NaN; exp(LOG_ZERO) = 0 exactly. */
const LOG_ZERO = -1e30;
const TINY = 1e-30;

/**
 * log g, and exactly LOG_ZERO where g ≤ 0 (so that g = 0 gives an exact 0 product, not e^−69).
 * The mask is `step(g)`, not a comparison: comparisons have no registered gradient, and tf.grad
 * would fail on them even though they carry none.
 */
function logGate(g: Tensor2D): Tensor2D {
  return tf.add(tf.log(tf.maximum(g, TINY)), tf.mul(tf.sub(1, tf.step(g)), LOG_ZERO));
}

/** x shifted left by `o` columns, zeros entering on the right. */
function shiftLeft(x: Tensor2D, o: number): Tensor2D {
  const [h, n] = x.shape;
  return tf.pad(tf.slice(x, [0, o], [h, n - o]), [
    [0, 0],
    [0, o],
  ]);
}

/**
 * Chunk coefficients from the gates. B = Π β comes from a cumulative sum of log β; the token
 * coefficients c_j = Σ_{i≥j} (Π_{m>i} β_m)(Π_{j<m≤i} η_m) and e_j = Π_{m>j} η_m are the linear
 * recurrences x_j = v_j + η_{j+1}·x_{j+1} with v_j = Π_{m>j} β_m and v = [0, …, 0, 1] respectively,
 * solved together by recursive doubling in ⌈log₂(C+1)⌉ steps of `[2·heads × (C+1)]` ops —
 * products and sums of numbers in [0, 1], never a difference. Exact at the edges: α = 1 gives
 * B = 0 and c = e bit for bit (the chunk-start memory contributes exactly 0, M_C = S_C), η = 0
 * gives exactly no carried momentum, θ = 0 gives zero token weights. Built from tf ops only, so
 * it is differentiable.
 *
 * @example
 * ```ts
 * const { tokenWeights, scalars } = chunkCoefficients({ lr, momentum, forget });
 * ```
 * @param gates - θ and η, α (or their logs) per head and token.
 * @returns Token weights and decay scalars (new tensors).
 */
export function chunkCoefficients(gates: ChunkGates): ChunkCoefficients {
  const [h, c] = gates.lr.shape;
  const lgEta = 'logMomentum' in gates ? gates.logMomentum : logGate(gates.momentum);
  const lgBeta = 'logRetention' in gates ? gates.logRetention : logGate(tf.sub(1, gates.forget));
  // suffixBeta[h, k] = Π_{m>k} β_m for k = 0..C (k = 0: B; k = C: 1), each the exponential of the
  // sum of exactly its own factors' logs.
  const suffixBeta = tf.exp(tf.concat([tf.cumsum(lgBeta, 1, false, true), tf.zeros([h, 1])], 1)) as Tensor2D;
  // Rows 0..h−1 solve for c (v_0 = 0: b = c_0 has no i = 0 term), rows h..2h−1 for e; a_j = η_{j+1},
  // a_C = 0. After the step with offset o, x_j = v_j + a_j·x_{j+2o}.
  const zero = tf.zeros([h, 1]);
  let v = tf.concat([tf.concat([zero, tf.slice(suffixBeta, [0, 1], [h, c])], 1), tf.concat([tf.zeros([h, c]), tf.ones([h, 1])], 1)], 0) as Tensor2D;
  const eta = tf.concat([tf.exp(lgEta), zero], 1);
  let a = tf.concat([eta, eta], 0) as Tensor2D;
  for (let o = 1; o <= c; o *= 2) {
    v = tf.add(v, tf.mul(a, shiftLeft(v, o)));
    if (2 * o <= c) a = tf.mul(a, shiftLeft(a, o));
  }
  const ce = tf.transpose(tf.reshape(v, [2, h, c + 1]), [1, 0, 2]) as Tensor3D; // [h, 2, C+1]: b, c_1..c_C and E, e_1..e_C
  const tokenWeights = tf.mul(tf.slice(ce, [0, 0, 1], [h, 2, c]), tf.reshape(tf.neg(gates.lr), [h, 1, c])) as Tensor3D;
  const scalars = tf.concat([tf.slice(suffixBeta, [0, 0], [h, 1]), tf.reshape(tf.slice(ce, [0, 0, 0], [h, 2, 1]), [h, 2])], 1) as Tensor2D; // B, b, E
  return { tokenWeights, scalars };
}
