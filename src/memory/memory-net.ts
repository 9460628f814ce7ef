import { tf } from '../tensor/index.js';
import type { Tensor, Tensor1D, Tensor2D } from '../tensor/index.js';
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
 * One head's memory: per layer the weight W_l and its momentum S_l, both in the *stored*
 * orientation — layer 0 as W `[in × out]`, every later layer as Wᵀ `[out × in]`. These are the
 * orientations in which the forward pass (layer 0), the backward pass (layers ≥ 1, which need
 * Wᵀ) and the weighted gradient sums all run as plain 2-D matmuls.
 */
export interface HeadWeights {
  /** W_l per layer, stored orientation. */
  readonly w: readonly Tensor2D[];
  /** S_l per layer, stored orientation. */
  readonly s: readonly Tensor2D[];
}

/** The memory of all heads. */
export type MemoryWeights = readonly HeadWeights[];

/**
 * Weights of one head in the forms the passes use (derived from {@link HeadWeights}). `w[0]` is
 * the stored layer-0 weight itself (not a copy); the other entries are new tensors — free them
 * with {@link disposePrepared}.
 */
export interface PreparedHead {
  /** W_l `[in × out]` per layer. */
  readonly w: readonly Tensor2D[];
  /** W_lᵀ `[out × in]` for layers l ≥ 1 (the stored tensors; index 0 unused). */
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
export function initMemoryWeights(net: MemoryNet, heads: number, rng: SeededRandom): HeadWeights[] {
  const dims = layerDims(net);
  const out: HeadWeights[] = [];
  for (let h = 0; h < heads; h++) {
    const w: Tensor2D[] = [];
    const s: Tensor2D[] = [];
    dims.forEach(([i, o], l) => {
      const shape = storedShape(net, l);
      w.push(tf.tensor2d(rng.fillNormal(new Float32Array(i * o), 0, Math.sqrt(2 / (i + o))), shape));
      s.push(tf.zeros(shape));
    });
    out.push({ w, s });
  }
  return out;
}

/**
 * The forward weights W_l and backward transposes W_lᵀ of one head: one transpose per layer ≥ 1
 * (layer 0 is used as stored).
 *
 * @example
 * ```ts
 * const prep = prepareHead(weights[0]);
 * ```
 * @param head - The head's weights.
 * @returns The prepared weights.
 */
export function prepareHead(head: HeadWeights): PreparedHead {
  return {
    w: head.w.map((t, l) => (l === 0 ? t : tf.transpose(t))),
    wt: head.w.map((t, l) => (l === 0 ? undefined : t)),
  };
}

/**
 * Frees the tensors {@link prepareHead} created (not the stored weights it refers to).
 *
 * @example
 * ```ts
 * disposePrepared(prep);
 * ```
 * @param prep - Prepared weights.
 */
export function disposePrepared(prep: PreparedHead): void {
  prep.w.forEach((t, l) => {
    if (l > 0) t.dispose();
  });
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
 * @param half - Return ½·δ_l and ¼·‖∇_M ℓ_t‖² (one op fewer per head; the caller doubles its
 *   token weights instead, as `memoryChunk` does).
 * @returns Forward and backward quantities (new tensors).
 */
export function headPass(net: MemoryNet, prep: PreparedHead, keys: Tensor2D, values: Tensor2D, withSurprise: boolean, half = false): HeadPass {
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
  let delta: Tensor2D = half ? seed : tf.add(seed, seed); // ∂ℓ/∂y = 2·seed
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
      // For l2 without norm, ‖δ_last‖² = ‖2r‖² = 4ℓ (‖r‖² = ℓ when halved): reuse the loss.
      const reuse = l === net.depth - 1 && net.loss.kind === 'l2' && !net.norm;
      const deltaSq = reuse ? (half ? loss : tf.mul(loss, 4)) : rowSq(deltas[l] as Tensor2D);
      const term = tf.mul<Tensor1D>(rowSq(inputs[l] as Tensor2D), deltaSq);
      surpriseSq = surpriseSq ? tf.add<Tensor1D>(surpriseSq, term) : term;
    }
  }
  return { prediction, loss, inputs, deltas, surpriseSq };
}

/**
 * Weighted sums of per-token gradients, Σ_t w_t·∇_{W_l} ℓ_t for each weight row w of
 * `tokenWeights`, as plain 2-D matmuls in the stored orientation of {@link HeadWeights}: layer 0
 * as (Kᵀ ⊙ w)·Δ_0 `[in × out]`, layers l ≥ 1 as (Δ_lᵀ ⊙ w)·A_l `[out × in]`. All rows share the
 * right operand, so the backend packs it once.
 *
 * @example
 * ```ts
 * const [[g0], [g1]] = headGradients(net, pass, [tf.ones([1, C])]); // Σ_t ∇ℓ_t per layer
 * ```
 * @param net - The head network.
 * @param pass - The keys pass.
 * @param tokenWeights - Weight rows, each `[1 × C]`.
 * @returns Per layer, one gradient sum per weight row.
 */
export function headGradients(net: MemoryNet, pass: Pick<HeadPass, 'inputs' | 'deltas'>, tokenWeights: readonly Tensor2D[]): Tensor2D[][] {
  const grads: Tensor2D[][] = [];
  for (let l = 0; l < net.depth; l++) {
    const a = pass.inputs[l] as Tensor2D;
    const d = pass.deltas[l] as Tensor2D;
    const [left, right] = l === 0 ? [a, d] : [d, a];
    const leftT = tf.transpose(left); // [r × C]
    grads.push(tokenWeights.map((w) => tf.matMul(tf.mul<Tensor2D>(leftT, w), right)));
  }
  return grads;
}

/** Per-head scalars of a chunk-end update (see {@link ChunkCoefficients}). */
export interface UpdateScalars {
  /** B = Π(1 − α): decay of W. */
  readonly decay: Tensor;
  /** b: how much of S_0 enters W. */
  readonly carry: Tensor;
  /** E = Π η: decay of S. */
  readonly momentumDecay: Tensor;
}

/**
 * Chunk-end weights of one head: W' = B·W + b·S + G_W and S' = E·S + G_S per layer, where the
 * gradient sums G already carry the −θ·coefficient weights.
 *
 * @example
 * ```ts
 * const next = applyUpdate(head, grads, { decay, carry, momentumDecay });
 * ```
 * @param head - Chunk-start weights.
 * @param grads - Per layer `[G_W, G_S]` from {@link headGradients}.
 * @param k - The head's decay scalars.
 * @returns The new weights (new tensors).
 */
export function applyUpdate(head: HeadWeights, grads: readonly (readonly Tensor2D[])[], k: UpdateScalars): HeadWeights {
  return {
    w: head.w.map((w, l) => {
      const [gw] = grads[l] as Tensor2D[];
      return tf.addN([tf.mul<Tensor2D>(w, k.decay), tf.mul<Tensor2D>(head.s[l] as Tensor2D, k.carry), gw as Tensor2D]);
    }),
    s: head.s.map((s, l) => tf.add<Tensor2D>(tf.mul(s, k.momentumDecay), (grads[l] as Tensor2D[])[1] as Tensor2D)),
  };
}
