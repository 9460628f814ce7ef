import { tf } from '../tensor/index.js';
import type { Tensor1D, Tensor2D } from '../tensor/index.js';

/** Names of the associative losses. */
export const LOSS_KINDS = ['l2', 'huber', 'lp'] as const;

/**
 * The associative loss ℓ(r) of a residual r = M(k) − v, summed over the value dimensions.
 *
 * - `l2`: ℓ = Σ r² (DESIGN §3).
 * - `huber`: ℓ = Σ h(r) with h(r) = r² for |r| ≤ delta, else 2·delta·|r| − delta² (twice the
 *   usual Huber loss, so that it equals `l2` in its quadratic zone).
 * - `lp`: ℓ = Σ |r|^p, p ≥ 1 (p = 2 is `l2`). For 1 ≤ p < 2 the second derivative is unbounded
 *   at r = 0; an outer loop that differentiates through the update should keep p ≥ 2 or use huber.
 */
export type MemoryLoss =
  | { readonly kind: 'l2' }
  | { readonly kind: 'huber'; readonly delta: number }
  | { readonly kind: 'lp'; readonly p: number };

/** Per-row loss and the error seed of the backward pass. */
export interface LossTerms {
  /** ℓ per row, [rows]. */
  readonly loss: Tensor1D;
  /** Half the gradient, ½·∂ℓ/∂y, [rows × dim]. (The factor 2 is folded into the token weights.) */
  readonly seed: Tensor2D;
}

/**
 * Loss per row and ½·∂ℓ/∂y for residuals `r = y − v`.
 *
 * @example
 * ```ts
 * const { loss, seed } = lossTerms({ kind: 'l2' }, tf.sub(y, v)); // seed === r for l2
 * ```
 * @param loss - Which loss.
 * @param r - Residuals, [rows × dim].
 * @returns The loss per row and the backward seed.
 */
export function lossTerms(loss: MemoryLoss, r: Tensor2D): LossTerms {
  switch (loss.kind) {
    case 'l2':
      return { loss: tf.sum(tf.square(r), 1), seed: r };
    case 'huber': {
      // c = clip(r): ℓ = Σ c·(2r − c) is r² inside the band and 2δ|r| − δ² outside; ½ℓ' = c.
      const c = tf.clipByValue(r, -loss.delta, loss.delta);
      return { loss: tf.sum(tf.mul(c, tf.sub(tf.mul(r, 2), c)), 1), seed: c };
    }
    case 'lp': {
      const abs = tf.abs(r);
      const seed = tf.mul<Tensor2D>(tf.mul(tf.pow(abs, loss.p - 1), tf.sign(r)), loss.p / 2);
      return { loss: tf.sum(tf.pow(abs, loss.p), 1), seed };
    }
  }
}
