import { tf } from '../tensor/index.js';
import type { Tensor, Tensor2D, Tensor3D } from '../tensor/index.js';
import type { SeededRandom } from '../random/index.js';
import type { Features } from './chunk-runner.js';
import type { ResolvedNeuralMemoryConfig } from './neural-memory-config.js';
import { splitHeads } from './split-heads.js';

/** The fixed (outer-loop) parameters of a {@link NeuralMemory}: projections and convolutions. */
export interface NeuralMemoryParams {
  /** `[dim × 2·heads·headDim]`: key projections of all heads, then query projections of all heads. */
  readonly keyQueryProjection: Tensor2D;
  /** `[dim × heads·headDim]`: value projections of all heads. */
  readonly valueProjection: Tensor2D;
  /** `[convKernel × 2·heads·headDim]` depthwise kernel over key/query projections (oldest tap first), when `convKernel > 0`. */
  readonly keyQueryConv: Tensor2D | undefined;
  /** `[convKernel × heads·headDim]` depthwise kernel over value projections, when `convKernel > 0`. */
  readonly valueConv: Tensor2D | undefined;
  /** `[heads·headDim × dim]` output projection of the concatenated retrievals. */
  readonly outProjection: Tensor2D;
}

const EPS = 1e-6;

/**
 * Seeded parameters: projections N(0, 1/fan-in), convolution taps U(−1/√K, 1/√K).
 *
 * @example
 * ```ts
 * const params = initNeuralMemoryParams(config, new SeededRandom(config.seed).fork());
 * ```
 * @param config - Resolved configuration.
 * @param rng - Source of the values.
 * @returns New tensors (the caller owns them).
 */
export function initNeuralMemoryParams(config: ResolvedNeuralMemoryConfig, rng: SeededRandom): NeuralMemoryParams {
  const width = config.heads * config.headDim;
  const normal = (rows: number, cols: number, std: number) => tf.tensor2d(rng.fillNormal(new Float32Array(rows * cols), 0, std), [rows, cols]);
  const taps = (cols: number) => {
    const k = config.convKernel;
    const data = new Float32Array(k * cols);
    for (let i = 0; i < data.length; i++) data[i] = (2 * rng.next() - 1) / Math.sqrt(k);
    return tf.tensor2d(data, [k, cols]);
  };
  const keyQueryProjection = normal(config.dim, 2 * width, 1 / Math.sqrt(config.dim));
  const valueProjection = normal(config.dim, width, 1 / Math.sqrt(config.dim));
  const conv = config.convKernel > 0;
  return {
    keyQueryProjection,
    valueProjection,
    keyQueryConv: conv ? taps(2 * width) : undefined,
    valueConv: conv ? taps(width) : undefined,
    outProjection: normal(width, config.dim, 1 / Math.sqrt(width)),
  };
}

/**
 * Robust RMS norm of each row: divide by the row's largest magnitude first (so that huge but
 * finite values cannot overflow when squared), then scale to unit RMS. Zero rows stay zero.
 *
 * @example
 * ```ts
 * const xn = normalizeRows(x);
 * ```
 * @param x - `[rows × dim]`.
 * @returns `[rows × dim]`.
 */
export function normalizeRows(x: Tensor2D): Tensor2D {
  const scaled = tf.div(x, tf.maximum(tf.max(tf.abs(x), 1, true), 1e-30));
  return tf.mul(scaled, tf.rsqrt(tf.add(tf.mean(tf.square(scaled), 1, true), EPS)));
}

/** Causal depthwise convolution of `[contextCount + m, width]` rows; missing context rows count as zero. */
function causalConv(p: Tensor2D, taps: Tensor2D, contextCount: number, m: number): Tensor2D {
  const k = taps.shape[0];
  const width = taps.shape[1];
  const missing = k - 1 - contextCount;
  const padded = missing > 0 ? tf.pad(p, [[missing, 0], [0, 0]]) : p;
  const filter = tf.reshape(taps, [k, 1, width, 1]) as tf.Tensor4D;
  return tf.reshape(tf.depthwiseConv2d(tf.reshape(padded, [1, m + k - 1, 1, width]) as tf.Tensor4D, filter, 1, 'valid'), [m, width]);
}

/** `[m × n·d]` → n tensors `[m × d]`. */
function blocks(t: Tensor2D, n: number, d: number): Tensor2D[] {
  if (n === 1) return [t];
  return splitHeads(tf.transpose(tf.reshape(t, [t.shape[0], n, d]), [1, 0, 2]) as Tensor3D);
}

/**
 * Per-head keys, values and queries of a {@link NeuralMemory}: optional robust input norm,
 * projections, optional causal depthwise convolution (missing context rows count as zero),
 * SiLU, and L2-normalised keys and queries. Pure tf ops (differentiable in the parameters).
 *
 * @example
 * ```ts
 * const f = neuralMemoryFeatures(config, params, rows, 0); // rows: [m × dim]
 * ```
 * @param config - Resolved configuration.
 * @param params - Projections and convolutions.
 * @param rows - `[contextCount + m × dim]` raw input rows.
 * @param contextCount - Leading rows that are context only (≤ convKernel − 1; 0 without convolution).
 * @returns Features of the last m rows; `gateSource` is the (normalised) input.
 */
export function neuralMemoryFeatures(config: ResolvedNeuralMemoryConfig, params: NeuralMemoryParams, rows: Tensor, contextCount: number): Features {
  const h = config.heads;
  const d = config.headDim;
  const x = config.normalizeInput ? normalizeRows(rows as Tensor2D) : (rows as Tensor2D);
  const m = (rows.shape[0] as number) - contextCount;
  const own = contextCount > 0 ? (tf.slice(x, contextCount, m) as Tensor2D) : x;
  const project = (w: Tensor2D, taps: Tensor2D | undefined): Tensor2D => {
    const p: Tensor2D = tf.matMul(taps ? x : own, w);
    const c = taps ? causalConv(p, taps, contextCount, m) : p;
    return tf.mul<Tensor2D>(c, tf.sigmoid(c));
  };
  let kq = project(params.keyQueryProjection, params.keyQueryConv);
  if (config.normalizeQueryKey) {
    const b = tf.reshape(kq, [m, 2 * h, d]);
    kq = tf.reshape(tf.mul(b, tf.rsqrt(tf.add(tf.sum(tf.square(b), 2, true), EPS))), [m, 2 * h * d]);
  }
  const kqHeads = blocks(kq, 2 * h, d);
  return {
    keys: kqHeads.slice(0, h),
    values: blocks(project(params.valueProjection, params.valueConv), h, d),
    queries: kqHeads.slice(h),
    gateSource: own,
  };
}
