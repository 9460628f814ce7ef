import { tf } from '../tensor/index.js';
import type { Tensor, Tensor2D } from '../tensor/index.js';
import { matMul2d, matMulT } from './fast-matmul.js';

/**
 * Token embedding as `oneHot(ids) · table`: a plain matmul whose gradient is a plain matmul too
 * (the gradient of `tf.gather` needs `UnsortedSegmentSum`, which the WASM backend lacks).
 *
 * @example
 * ```ts
 * const x = embed(table, tf.tensor1d([104, 105], 'int32')); // [2 × d]
 * ```
 * @param table - `[vocab × d]`.
 * @param ids - int32 token ids, `[n]`.
 * @returns `[n × d]`.
 */
export function embed(table: Tensor2D, ids: Tensor): Tensor2D {
  // int32 then cast: the WASM OneHot kernel writes integer bit patterns into a float32 output.
  const oneHot = tf.cast(tf.oneHot(ids as tf.Tensor1D, table.shape[0] as number), 'float32') as Tensor2D;
  return matMul2d(oneHot, table);
}

/**
 * LM head: logits `h · W` with an untied `[d × vocab]` head, or `h · Eᵀ` with tied embeddings
 * (`[vocab × d]`, transposed explicitly).
 *
 * @example
 * ```ts
 * const logits = lmHead(h, { tied: table }); // [n × vocab]
 * ```
 * @param h - `[n × d]` final hidden states.
 * @param weights - The untied head or the tied embedding table.
 * @returns `[n × vocab]`.
 */
export function lmHead(h: Tensor2D, weights: { readonly head: Tensor2D } | { readonly tied: Tensor2D }): Tensor2D {
  return 'head' in weights ? matMul2d(h, weights.head) : matMulT(h, weights.tied);
}
