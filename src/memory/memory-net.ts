import { tf } from '../tensor/index.js';
import type { Tensor1D, Tensor2D } from '../tensor/index.js';
import type { SeededRandom } from '../random/index.js';
import { activationDerivative, hiddenLayer } from './activation.js';
import type { Activation, HiddenLayer } from './activation.js';
import { lossTerms } from './memory-loss.js';
import type { MemoryLoss } from './memory-loss.js';

/**
 * The network of one memory head: `depth` bias-free layers headDim → hidden → … → headDim
 * (depth 1: one headDim × headDim matrix), an activation between layers, and optionally a
 * parameter-free layer norm on the last layer's output and a residual connection:
 * `M(k) = [k +] [LN](f(k))`.
 */
export interface MemoryNet {
  /** Width of keys, values and queries of one head. */
  readonly headDim: number;
  /** Hidden width (expansion × headDim); unused at depth 1. */
  readonly hidden: number;
  /** Number of layers, ≥ 1. */
  readonly depth: number;
  /** Activation between layers. */
  readonly activation: Activation;
  /** Add the key to the network output. */
  readonly residual: boolean;
  /** Parameter-free layer norm (zero mean, unit variance per row) on the last layer's output. */
  readonly norm: boolean;
  /** The associative loss. */
  readonly loss: MemoryLoss;
  /** Largest per-token, per-head gradient norm fed into the update (`null`: no clipping). */
  readonly clipSurprise: number | null;
}

/**
 * The memory of all heads: `weights[head][layer]` is the layer's weight W stacked on its
 * momentum S, `[2·rows × cols]` (rows 0..rows−1 = W, the rest = S). Layer 0 is stored as
 * W `[in × out]`; every later layer as Wᵀ `[out × in]` — the orientations that let the update and
 * the backward pass use plain 2-D matmuls only.
 */
export type MemoryWeights = readonly (readonly Tensor2D[])[];

/** Weights of one head in the forms the passes use (derived from {@link MemoryWeights}). */
export interface PreparedHead {
  /** W_l `[in × out]` per layer. */
  readonly w: readonly Tensor2D[];
  /** W_lᵀ `[out × in]` for layers l ≥ 1 (index 0 unused). */
  readonly wt: readonly (Tensor2D | undefined)[];
}

/** The keys pass of one head: forward, loss and backward at the given weights. */
export interface HeadPass {
  /** M(k), [C × headDim]. */
  readonly prediction: Tensor2D;
  /** ℓ_t per token, [C]. */
  readonly loss: Tensor1D;
  /** Input a_l of each layer, [C × in_l] (a_0 = keys). */
  readonly inputs: readonly Tensor2D[];
  /** δ_l = ∂ℓ_t/∂z_l of each layer's output z_l, [C × out_l]. */
  readonly deltas: readonly Tensor2D[];
  /** ‖∇_M ℓ_t‖² = Σ_l ‖a_l‖²·‖δ_l‖² per token, [C] (absent when not asked for). */
  readonly surpriseSq: Tensor1D | undefined;
}

const LN_EPS = 1e-5;

/**
 * `[in, out]` of every layer.
 *
 * @example
 * ```ts
 * layerDims({ headDim: 64, hidden: 256, depth: 2, ... }); // [[64, 256], [256, 64]]
 * ```
 * @param net - The head network.
 * @returns One `[in, out]` pair per layer.
 */
export function layerDims(net: MemoryNet): [number, number][] {
  const dims: [number, number][] = [];
  for (let l = 0; l < net.depth; l++) {
    dims.push([l === 0 ? net.headDim : net.hidden, l === net.depth - 1 ? net.headDim : net.hidden]);
  }
  return dims;
}

/**
 * Stored shape `[rows, cols]` of layer `l`'s weight (without the momentum half): `[in, out]` for
 * layer 0, `[out, in]` for later layers.
 *
 * @example
 * ```ts
 * storedShape(net, 1); // [headDim, hidden] for depth 2
 * ```
 * @param net - The head network.
 * @param l - Layer index.
 * @returns `[rows, cols]`.
 */
export function storedShape(net: MemoryNet, l: number): [number, number] {
  const [i, o] = layerDims(net)[l] ?? [0, 0];
  return l === 0 ? [i, o] : [o, i];
}

/**
 * Fresh memory weights: Xavier-normal W (std √(2/(in+out))) drawn from `rng` head by head and layer
 * by layer, momentum zero.
 *
 * @example
 * ```ts
 * const weights = initMemoryWeights(net, 4, new SeededRandom(7));
 * ```
 * @param net - The head network.
 * @param heads - Number of heads.
 * @param rng - Source of the initial weights.
 * @returns New tensors (the caller owns them).
 */
export function initMemoryWeights(net: MemoryNet, heads: number, rng: SeededRandom): Tensor2D[][] {
  const dims = layerDims(net);
  const out: Tensor2D[][] = [];
  for (let h = 0; h < heads; h++) {
    const layers: Tensor2D[] = [];
    dims.forEach(([i, o], l) => {
      const [rows, cols] = storedShape(net, l);
      const data = new Float32Array(2 * rows * cols);
      rng.fillNormal(data.subarray(0, rows * cols), 0, Math.sqrt(2 / (i + o)));
      layers.push(tf.tensor2d(data, [2 * rows, cols]));
    });
    out.push(layers);
  }
  return out;
}

/**
 * Splits one head's stacked weights into the forward weights W_l and the transposes W_lᵀ the
 * backward pass needs (one transpose per layer ≥ 1).
 *
 * @example
 * ```ts
 * const prep = prepareHead(net, weights[0]);
 * ```
 * @param net - The head network.
 * @param stacked - The head's `[W; S]` per layer.
 * @returns The prepared weights (new tensors).
 */
export function prepareHead(net: MemoryNet, stacked: readonly Tensor2D[]): PreparedHead {
  const w: Tensor2D[] = [];
  const wt: (Tensor2D | undefined)[] = [];
  stacked.forEach((ws, l) => {
    const [rows, cols] = storedShape(net, l);
    const top = tf.slice(ws, [0, 0], [rows, cols]);
    if (l === 0) {
      w.push(top);
      wt.push(undefined);
    } else {
      w.push(tf.transpose(top));
      wt.push(top);
    }
  });
  return { w, wt };
}

function layerNorm(z: Tensor2D): { n: Tensor2D; inv: Tensor2D } {
  const centred = tf.sub(z, tf.mean(z, 1, true));
  const inv = tf.rsqrt(tf.add(tf.mean(tf.square(centred), 1, true), LN_EPS)) as Tensor2D;
  return { n: tf.mul<Tensor2D>(centred, inv), inv };
}

function layerNormBackward(g: Tensor2D, n: Tensor2D, inv: Tensor2D): Tensor2D {
  const inner = tf.sub(tf.sub(g, tf.mean(g, 1, true)), tf.mul(n, tf.mean(tf.mul(g, n), 1, true)));
  return tf.mul(inner, inv);
}

function rowSq(x: Tensor2D): Tensor1D {
  return tf.sum(tf.square(x), 1);
}

/**
 * Retrieval y = M(q) at the given weights, no update.
 *
 * @example
 * ```ts
 * const y = headRetrieve(net, prep, queries); // [C × headDim]
 * ```
 * @param net - The head network.
 * @param prep - The head's prepared weights.
 * @param queries - `[C × headDim]`.
 * @returns `[C × headDim]`.
 */
export function headRetrieve(net: MemoryNet, prep: PreparedHead, queries: Tensor2D): Tensor2D {
  let a = queries;
  let y: Tensor2D = queries;
  for (let l = 0; l < net.depth; l++) {
    const w = prep.w[l] as Tensor2D;
    if (l < net.depth - 1) a = hiddenLayer(net.activation, a, w).a;
    else y = tf.matMul(a, w);
  }
  if (net.norm) y = layerNorm(y).n;
  return net.residual ? tf.add(y, queries) : y;
}

/**
 * The keys pass of one head: forward M(k), loss against the values, and the analytic backward
 * pass δ_l = ∂ℓ_t/∂z_l per token (δ_{l−1} = (δ_l·W_lᵀ) ⊙ σ'(z_{l−1})), all as plain 2-D ops.
 *
 * @example
 * ```ts
 * const pass = headPass(net, prep, keys, values, true);
 * ```
 * @param net - The head network.
 * @param prep - The head's prepared weights.
 * @param keys - `[C × headDim]`.
 * @param values - `[C × headDim]`.
 * @param withSurprise - Also compute the per-token gradient norms.
 * @returns Forward and backward quantities (new tensors).
 */
export function headPass(net: MemoryNet, prep: PreparedHead, keys: Tensor2D, values: Tensor2D, withSurprise: boolean): HeadPass {
  const inputs: Tensor2D[] = [keys];
  const hidden: HiddenLayer[] = [];
  let out: Tensor2D = keys;
  for (let l = 0; l < net.depth; l++) {
    const a = inputs[l] as Tensor2D;
    const w = prep.w[l] as Tensor2D;
    if (l < net.depth - 1) {
      const layer = hiddenLayer(net.activation, a, w);
      hidden.push(layer);
      inputs.push(layer.a);
    } else {
      out = tf.matMul(a, w);
    }
  }
  let prediction = out;
  let ln: { n: Tensor2D; inv: Tensor2D } | undefined;
  if (net.norm) {
    ln = layerNorm(out);
    prediction = ln.n;
  }
  if (net.residual) prediction = tf.add(prediction, keys);
  const { loss, seed } = lossTerms(net.loss, tf.sub(prediction, values));
  let delta: Tensor2D = tf.add(seed, seed); // ∂ℓ/∂y = 2·seed
  if (ln) delta = layerNormBackward(delta, ln.n, ln.inv);
  const deltas: Tensor2D[] = new Array<Tensor2D>(net.depth);
  deltas[net.depth - 1] = delta;
  for (let l = net.depth - 1; l >= 1; l--) {
    const back = tf.matMul(delta, prep.wt[l] as Tensor2D);
    delta = tf.mul(back, activationDerivative(net.activation, hidden[l - 1] as HiddenLayer));
    deltas[l - 1] = delta;
  }
  let surpriseSq: Tensor1D | undefined;
  if (withSurprise) {
    for (let l = 0; l < net.depth; l++) {
      const term = tf.mul<Tensor1D>(rowSq(inputs[l] as Tensor2D), rowSq(deltas[l] as Tensor2D));
      surpriseSq = surpriseSq ? tf.add<Tensor1D>(surpriseSq, term) : term;
    }
  }
  return { prediction, loss, inputs, deltas, surpriseSq };
}

/**
 * Weighted sums of per-token gradients, Σ_t W[i,t]·∇_{W_l} ℓ_t for every row i of
 * `tokenWeights`, one plain matmul per layer: layer 0 as (W ⊗ Kᵀ)·Δ_0 `[m·in × out]`, layers
 * l ≥ 1 transposed as (W ⊗ Δ_lᵀ)·A_l `[m·out × in]` — the stored orientation of
 * {@link MemoryWeights}, stacked over i.
 *
 * @example
 * ```ts
 * const [g0, g1] = headGradients(net, pass, tf.ones([1, C])); // Σ_t ∇ℓ_t per layer
 * ```
 * @param net - The head network.
 * @param pass - The keys pass.
 * @param tokenWeights - `[m × C]`.
 * @returns One `[m·rows × cols]` tensor per layer.
 */
export function headGradients(net: MemoryNet, pass: Pick<HeadPass, 'inputs' | 'deltas'>, tokenWeights: Tensor2D): Tensor2D[] {
  const [m, c] = tokenWeights.shape;
  const w3 = m === 1 ? tokenWeights : tf.reshape(tokenWeights, [m, 1, c]);
  const grads: Tensor2D[] = [];
  for (let l = 0; l < net.depth; l++) {
    const a = pass.inputs[l] as Tensor2D;
    const d = pass.deltas[l] as Tensor2D;
    const [left, right] = l === 0 ? [a, d] : [d, a];
    const leftT = tf.transpose(left); // [r × C]
    const weighted = m === 1 ? tf.mul(leftT, w3) : tf.reshape(tf.mul(leftT, w3), [m * (left.shape[1] as number), c]);
    grads.push(tf.matMul(weighted as Tensor2D, right));
  }
  return grads;
}

/**
 * One layer's chunk-end `[W; S]`: `[[a, b], [0, e]]·[W; S] + [G_W; G_S]` as a single
 * `[2 × 2]·[2 × rows·cols]` matmul and an add.
 *
 * @example
 * ```ts
 * const next = mixUpdate(stacked, grad, mix); // mix = [[B, b], [0, E]]
 * ```
 * @param stacked - `[W; S]`, `[2·rows × cols]`.
 * @param grad - `[G_W; G_S]`, same shape (already weighted by −θ·coefficients).
 * @param mix - `[2 × 2]` decay/momentum mixing matrix.
 * @returns The new `[W; S]`.
 */
export function mixUpdate(stacked: Tensor2D, grad: Tensor2D, mix: Tensor2D): Tensor2D {
  const [r2, cols] = stacked.shape;
  const flat: [number, number] = [2, (r2 / 2) * cols];
  return tf.reshape(tf.add(tf.matMul(mix, tf.reshape(stacked, flat)), tf.reshape(grad, flat)), [r2, cols]);
}
