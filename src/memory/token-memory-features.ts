import { tf } from '../tensor/index.js';
import type { Tensor, Tensor2D, Tensor3D } from '../tensor/index.js';
import type { SeededRandom } from '../random/index.js';
import type { Features } from './chunk-runner.js';
import { splitHeads } from './split-heads.js';
import type { ResolvedTokenMemoryConfig } from './token-memory-config.js';

/** The fixed parameters of a {@link TokenMemory}. */
export interface TokenMemoryParams {
  /** `[vocabSize × dim]` token embeddings E (values are rows of E; predictions score against E). */
  readonly embeddings: Tensor2D;
  /** `[dim × vocabSize]`, Eᵀ, kept for the logits. */
  readonly embeddingsT: Tensor2D;
  /** `[contextSize × dim]` depthwise kernel of the context summary (oldest tap first). */
  readonly conv: Tensor2D;
  /** `[dim × dim]` projection of the summary into keys and queries. */
  readonly keyProjection: Tensor2D;
}

const EPS = 1e-6;

/**
 * Seeded parameters: embeddings N(0, 1/dim) (rows of norm ≈ 1), summary taps N(0, 1/K),
 * key projection N(0, 1/dim).
 *
 * @example
 * ```ts
 * const params = initTokenMemoryParams(config, new SeededRandom(config.seed).fork());
 * ```
 * @param config - Resolved configuration.
 * @param rng - Source of the values.
 * @returns New tensors (the caller owns them).
 */
export function initTokenMemoryParams(config: ResolvedTokenMemoryConfig, rng: SeededRandom): TokenMemoryParams {
  const { vocabSize, dim, contextSize } = config;
  const normal = (rows: number, cols: number, std: number) => tf.tensor2d(rng.fillNormal(new Float32Array(rows * cols), 0, std), [rows, cols]);
  const embeddings = normal(vocabSize, dim, 1 / Math.sqrt(dim));
  return {
    embeddings,
    embeddingsT: tf.transpose(embeddings),
    conv: normal(contextSize, dim, 1 / Math.sqrt(contextSize)),
    keyProjection: normal(dim, dim, 1 / Math.sqrt(dim)),
  };
}

/**
 * Per-head features of the predictive wiring. With e_i the embedding of token i and
 * s_i = Σ_j w_j ⊙ e_{i−K+1+j} a causal depthwise summary of the last K = `contextSize` tokens up
 * to i, per head: key k_i = normalise(s_{i−1}·P) (what came before token i), value v_i = e_i (the
 * token itself), query q_i = normalise(s_i·P) (everything up to i). Since q_i is the key of token
 * i + 1, the retrieval M(q_i) is the memory's guess of the next token's embedding. Tokens before
 * the stream start count as zero embeddings. Pure tf ops.
 *
 * @example
 * ```ts
 * const f = tokenMemoryFeatures(config, params, ids, 0); // ids: int32 [m]
 * ```
 * @param config - Resolved configuration.
 * @param params - Embeddings and projections.
 * @param rows - int32 `[contextCount + m]` token ids.
 * @param contextCount - Leading ids that are context only (≤ contextSize).
 * @returns Features of the last m ids.
 */
export function tokenMemoryFeatures(config: ResolvedTokenMemoryConfig, params: TokenMemoryParams, rows: Tensor, contextCount: number): Features {
  const { heads: h, headDim: d, dim, contextSize: k } = config;
  const m = (rows.shape[0] as number) - contextCount;
  let e = embed(config, params, rows as tf.Tensor1D);
  if (contextCount < k) e = tf.pad(e, [[k - contextCount, 0], [0, 0]]);
  // s for positions start−1 … start+m−1: [m + 1, dim].
  const filter = tf.reshape(params.conv, [k, 1, dim, 1]) as tf.Tensor4D;
  const s = tf.reshape(tf.depthwiseConv2d(tf.reshape(e, [1, k + m, 1, dim]) as tf.Tensor4D, filter, 1, 'valid'), [m + 1, dim]);
  const proj = tf.reshape(tf.matMul(s, params.keyProjection), [m + 1, h, d]);
  const unit = tf.mul(proj, tf.rsqrt(tf.add(tf.sum(tf.square(proj), 2, true), EPS))) as Tensor3D;
  // [rows, h, d] → h tensors [rows × d] (a reshape for one head).
  const perHead = (t: Tensor3D) => (h === 1 ? [tf.reshape(t, [t.shape[0], d]) as Tensor2D] : splitHeads(tf.transpose(t, [1, 0, 2])));
  const summaries = perHead(unit);
  const current = tf.slice(e, k, m) as Tensor2D;
  return {
    keys: summaries.map((t) => tf.slice(t, 0, m) as Tensor2D),
    values: perHead(tf.reshape(current, [m, h, d])),
    queries: summaries.map((t) => tf.slice(t, 1, m) as Tensor2D),
  };
}

/**
 * The vectors the data-dependent gates of a {@link TokenMemory} read: the embeddings of the ids
 * after the first `contextCount`.
 *
 * @example
 * ```ts
 * const source = tokenMemoryGateSource(config, params, ids, 0); // [m × dim]
 * ```
 * @param config - Resolved configuration.
 * @param params - Embeddings and projections.
 * @param rows - int32 `[contextCount + m]` token ids.
 * @param contextCount - Leading ids that are context only.
 * @returns `[m × dim]`.
 */
export function tokenMemoryGateSource(config: ResolvedTokenMemoryConfig, params: TokenMemoryParams, rows: Tensor, contextCount: number): Tensor2D {
  return embed(config, params, tf.slice(rows as tf.Tensor1D, contextCount));
}

/**
 * Embeddings of token ids, as oneHot·E rather than a gather: a plain matmul against a constant
 * operand is several times faster on WASM than its Gather kernel, and just as differentiable in E.
 * (int32 oneHot, then a cast: the WASM OneHot kernel writes int32 bit patterns into float32
 * outputs.)
 */
function embed(config: ResolvedTokenMemoryConfig, params: TokenMemoryParams, ids: tf.Tensor1D): Tensor2D {
  return tf.matMul(tf.cast(tf.oneHot(ids, config.vocabSize), 'float32') as Tensor2D, params.embeddings);
}
