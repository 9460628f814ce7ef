import { tf } from '../tensor/index.js';
import type { Tensor, Tensor2D } from '../tensor/index.js';
import type { SeededRandom } from '../random/index.js';
import type { Features } from './chunk-runner.js';
import type { ResolvedNeuralMemoryConfig } from './neural-memory-config.js';

/** The fixed (outer-loop) parameters of a {@link NeuralMemory}: projections and convolutions. */
export interface NeuralMemoryParams {
  /** Per head `[dim × headDim]` key projection. */
  readonly keyProjections: readonly Tensor2D[];
  /** Per head `[dim × headDim]` value projection. */
  readonly valueProjections: readonly Tensor2D[];
  /** Per head `[dim × headDim]` query projection. */
  readonly queryProjections: readonly Tensor2D[];
  /** Per head `[convKernel × headDim]` depthwise kernels (oldest tap first) of keys, values and queries, when `convKernel > 0`. */
  readonly convs: { readonly keys: readonly Tensor2D[]; readonly values: readonly Tensor2D[]; readonly queries: readonly Tensor2D[] } | undefined;
  /** `[heads·headDim × dim]` output projection of the concatenated retrievals. */
  readonly outProjection: Tensor2D;
}

const EPS = 1e-6;

/**
 * Seeded parameters: projections N(0, 1/fan-in), convolution taps U(−1/√K, 1/√K). Per-head
 * projections (rather than one wide one) give each head's features as their own tensors, with no
 * split afterwards (a split on WASM copies its whole input once per part).
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
  const { dim, heads, headDim, convKernel: k } = config;
  const normal = (rows: number, cols: number, std: number) => tf.tensor2d(rng.fillNormal(new Float32Array(rows * cols), 0, std), [rows, cols]);
  const perHead = (make: () => Tensor2D) => Array.from({ length: heads }, make);
  const projection = () => normal(dim, headDim, 1 / Math.sqrt(dim));
  const taps = () => {
    const data = new Float32Array(k * headDim);
    for (let i = 0; i < data.length; i++) data[i] = (2 * rng.next() - 1) / Math.sqrt(k);
    return tf.tensor2d(data, [k, headDim]);
  };
  const keyProjections = perHead(projection);
  const valueProjections = perHead(projection);
  const queryProjections = perHead(projection);
  const convs = k > 0 ? { keys: perHead(taps), values: perHead(taps), queries: perHead(taps) } : undefined;
  return { keyProjections, valueProjections, queryProjections, convs, outProjection: normal(heads * headDim, dim, 1 / Math.sqrt(heads * headDim)) };
}

/**
 * Every tensor of a {@link NeuralMemoryParams} (to dispose them, or to train them).
 *
 * @example
 * ```ts
 * tf.dispose(neuralMemoryParamTensors(params));
 * ```
 * @param p - The parameters.
 * @returns Their tensors.
 */
export function neuralMemoryParamTensors(p: NeuralMemoryParams): Tensor2D[] {
  const convs = p.convs ? [...p.convs.keys, ...p.convs.values, ...p.convs.queries] : [];
  return [...p.keyProjections, ...p.valueProjections, ...p.queryProjections, ...convs, p.outProjection];
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

/**
 * Per-head keys, values and queries of a {@link NeuralMemory}: optional robust input norm,
 * per-head projections, optional causal depthwise convolution (missing context rows count as
 * zero), SiLU, and L2-normalised keys and queries. Pure tf ops (differentiable in the parameters).
 *
 * @example
 * ```ts
 * const f = neuralMemoryFeatures(config, params, rows, 0); // rows: [m × dim]
 * ```
 * @param config - Resolved configuration.
 * @param params - Projections and convolutions.
 * @param rows - `[contextCount + m × dim]` raw input rows.
 * @param contextCount - Leading rows that are context only (≤ convKernel − 1; 0 without convolution).
 * @returns Features of the last m rows.
 */
export function neuralMemoryFeatures(config: ResolvedNeuralMemoryConfig, params: NeuralMemoryParams, rows: Tensor, contextCount: number): Features {
  const x = config.normalizeInput ? normalizeRows(rows as Tensor2D) : (rows as Tensor2D);
  const m = (rows.shape[0] as number) - contextCount;
  const own = contextCount > 0 ? (tf.slice(x, contextCount, m) as Tensor2D) : x;
  const feature = (w: Tensor2D, taps: Tensor2D | undefined, unit: boolean): Tensor2D => {
    const p: Tensor2D = tf.matMul(taps ? x : own, w);
    const c = taps ? causalConv(p, taps, contextCount, m) : p;
    const a = tf.mul<Tensor2D>(c, tf.sigmoid(c));
    return unit ? tf.mul(a, tf.rsqrt(tf.add(tf.sum(tf.square(a), 1, true), EPS))) : a;
  };
  const unit = config.normalizeQueryKey;
  return {
    keys: params.keyProjections.map((w, h) => feature(w, params.convs?.keys[h], unit)),
    values: params.valueProjections.map((w, h) => feature(w, params.convs?.values[h], false)),
    queries: params.queryProjections.map((w, h) => feature(w, params.convs?.queries[h], unit)),
  };
}

/**
 * The vectors the data-dependent gates of a {@link NeuralMemory} read: the input rows after the
 * first `contextCount`, normalised as the features' input is (with `normalizeInput`). The runner
 * calls it once for a group of chunks and {@link neuralMemoryFeatures} once per chunk, so the rows
 * are normalised twice: nine small ops per chunk, cheaper on WASM than slicing a group's
 * normalised rows per chunk.
 *
 * @example
 * ```ts
 * const source = neuralMemoryGateSource(config, rows, 0); // [m × dim]
 * ```
 * @param config - Resolved configuration.
 * @param rows - `[contextCount + m × dim]` raw input rows.
 * @param contextCount - Leading rows that are context only.
 * @returns `[m × dim]`.
 */
export function neuralMemoryGateSource(config: ResolvedNeuralMemoryConfig, rows: Tensor, contextCount: number): Tensor2D {
  const own = contextCount > 0 ? (tf.slice(rows, contextCount) as Tensor2D) : (rows as Tensor2D);
  return config.normalizeInput ? normalizeRows(own) : own;
}
