import { tf } from '../tensor/index.js';
import type { Tensor2D } from '../tensor/index.js';
import { matMul2d } from './fast-matmul.js';

/** Additive mask value for a key a query must not see (finite, so a masked row never becomes NaN). */
export const MASKED = -1e9;

/**
 * Multi-head scaled dot-product attention of n queries over m keys with an additive mask:
 * per head `softmax(q_h·k_hᵀ / √d_h + bias)·v_h`. Heads are looped over with plain 2-D matmuls
 * (on WASM, batched or flag-transposed matmuls are about ten times slower).
 *
 * @example
 * ```ts
 * const out = attention(q, k, v, bias, 4); // q: [n × d], k, v: [m × d], bias: [n × m]
 * ```
 * @param q - `[n × d]` queries.
 * @param k - `[m × d]` keys.
 * @param v - `[m × d]` values.
 * @param bias - `[n × m]`: 0 where a query sees a key, {@link MASKED} where not. Every row must see at least one key.
 * @param heads - Number of heads (d divisible by it).
 * @returns `[n × d]`, heads side by side.
 */
export function attention(q: Tensor2D, k: Tensor2D, v: Tensor2D, bias: Tensor2D, heads: number): Tensor2D {
  const hd = q.shape[1] / heads;
  // Per-head column blocks of q and v, row blocks of kᵀ: one split each instead of a slice per head.
  const perHead = (t: Tensor2D, axis: number) => (heads === 1 ? [t] : (tf.split(t, heads, axis) as Tensor2D[]));
  const qs = perHead(tf.mul<Tensor2D>(q, 1 / Math.sqrt(hd)), 1);
  const ks = perHead(tf.transpose<Tensor2D>(k), 0);
  const vs = perHead(v, 1);
  const outs = qs.map((qh, h) => matMul2d(tf.softmax(tf.add<Tensor2D>(matMul2d(qh, ks[h] as Tensor2D), bias)), vs[h] as Tensor2D));
  return heads === 1 ? (outs[0] as Tensor2D) : tf.concat(outs, 1);
}

/**
 * Mask of sliding-window causal attention with persistent tokens: n queries at stream positions
 * `start …`; keys are `persistent` always-visible tokens, then `cached` tokens just before
 * `start`, then the n queries' own tokens. A query at position p sees the persistent tokens and
 * every token at positions p − window + 1 … p.
 *
 * @example
 * ```ts
 * const bias = slidingWindowMask(3, 4, 2, 3); // [3 × 9]
 * ```
 * @param n - Queries.
 * @param persistent - Persistent tokens.
 * @param cached - Tokens before the queries (at most window − 1).
 * @param window - Window length, including the query's own token.
 * @returns `[n × (persistent + cached + n)]` additive mask (new tensor).
 */
export function slidingWindowMask(n: number, persistent: number, cached: number, window: number): Tensor2D {
  const m = persistent + cached + n;
  const bias = new Float32Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = persistent; j < m; j++) {
      const back = cached + i - (j - persistent); // how far before the query the key lies
      if (back < 0 || back >= window) bias[i * m + j] = MASKED;
    }
  }
  return tf.tensor2d(bias, [n, m]);
}

/**
 * Mask of MAC segment attention: keys are `persistent` always-visible tokens, then the n
 * retrieved memory tokens, then the n segment tokens; query i sees retrieved and segment tokens
 * j ≤ i (causal, so no token learns from a later one's retrieval).
 *
 * @example
 * ```ts
 * const bias = segmentMask(3, 4); // [3 × 10]
 * ```
 * @param n - Segment tokens (queries).
 * @param persistent - Persistent tokens.
 * @returns `[n × (persistent + 2n)]` additive mask (new tensor).
 */
export function segmentMask(n: number, persistent: number): Tensor2D {
  const m = persistent + 2 * n;
  const bias = new Float32Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      bias[i * m + persistent + j] = MASKED;
      bias[i * m + persistent + n + j] = MASKED;
    }
  }
  return tf.tensor2d(bias, [n, m]);
}
