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

/**
 * Chunk coefficients from the gates, in log space: every product Π_{m∈(j,i]} is the exponential
 * of a cumulative sum over exactly the factors of that segment (a masked `cumsum` of a
 * `[(C+1) × C]` triangular layout), so no difference of large cumulative sums is ever
 * taken. Exact at the edges: α = 1 gives B = 0 (the chunk-start memory contributes exactly 0),
 * η = 0 gives exactly no carried momentum, θ = 0 gives zero token weights. Built from tf ops
 * only, so it is differentiable.
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
  // Layout [h, j, i]: column j = 0..C, token i = r + 1 (r = 0..C−1) on the last axis, because
  // tfjs's Cumsum gradient is wrong for any other axis. strict: i > j; upperNeg: i < j.
  const strict = new Float32Array((c + 1) * c);
  const upperNeg = new Float32Array((c + 1) * c);
  for (let j = 0; j <= c; j++) {
    for (let r = 0; r < c; r++) {
      if (r + 1 > j) strict[j * c + r] = 1;
      if (r + 1 < j) upperNeg[j * c + r] = LOG_ZERO;
    }
  }
  // D[h, j, i] = Σ_{m ∈ (j, i]} log η_m; P = exp(D) for i ≥ j, 0 for i < j.
  const d = tf.cumsum(tf.mul(tf.reshape(lgEta, [h, 1, c]), tf.tensor2d(strict, [c + 1, c])), 2);
  const p = tf.exp(tf.add(d, tf.tensor2d(upperNeg, [c + 1, c]))) as Tensor3D;
  // suffixBeta[h, k] = Π_{m > k} β_m for k = 0..C (k = 0: B; k = C: 1).
  const suffixBeta = tf.exp(tf.concat([tf.cumsum(lgBeta, 1, false, true), tf.zeros([h, 1])], 1)) as Tensor2D;
  const beta = tf.slice(suffixBeta, [0, 1], [h, c]);
  const cRow = tf.sum(tf.mul(tf.reshape(beta, [h, 1, c]), p), 2); // [h, C+1]: b, c_1..c_C
  const eRow = tf.reshape(tf.slice(p, [0, 0, c - 1], [h, c + 1, 1]), [h, c + 1]); // E, e_1..e_C
  const ce = tf.stack([cRow, eRow], 1) as Tensor3D; // [h, 2, C+1]
  const tokenWeights = tf.mul(tf.slice(ce, [0, 0, 1], [h, 2, c]), tf.reshape(tf.neg(gates.lr), [h, 1, c])) as Tensor3D;
  const scalars = tf.concat([tf.slice(suffixBeta, [0, 0], [h, 1]), tf.reshape(tf.slice(ce, [0, 0, 0], [h, 2, 1]), [h, 2])], 1) as Tensor2D; // B, b, E
  return { tokenWeights, scalars };
}
