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
 * orientation — layer 0 of a multi-layer network as W₀ᵀ `[out × in]`, every other layer
 * (including the one layer at depth 1) as W_l `[in × out]`.
 *
 * These are the orientations in which every pass runs as plain 2-D matmuls whose right operand
 * (the one the WASM backend packs again when it is new) is small: layer 0 forward as W₀ᵀ·Kᵀ
 * (right operand Kᵀ, `[headDim × C]`, instead of the `[headDim × hidden]` weight), later layers
 * forward as A_l·W_l (the weight, shared by keys and queries), the backward pass as W_l·δ_lᵀ and
 * the weighted gradient sums as (δ₀ᵀ ⊙ w)·K and (A_lᵀ ⊙ w)·δ_l (right operands of C rows). See
 * {@link headPass}.
 */
export interface HeadWeights {
  /** W_l per layer, stored orientation. */
  readonly w: readonly Tensor2D[];
  /** S_l per layer, stored orientation. */
  readonly s: readonly Tensor2D[];
}

/** The memory of all heads. */
export type MemoryWeights = readonly HeadWeights[];

/** The keys pass of one head: forward, loss and backward at the given weights. */
export interface HeadPass {
  /** M(k), [C × headDim]. */
  readonly prediction: Tensor2D;
  /** ℓ_t per token, [C]. */
  readonly loss: Tensor1D;
  /** Input a_l of each layer as rows, [C × in_l] (a_0 = keys). */
  readonly inputs: readonly Tensor2D[];
  /** a_lᵀ, [in_l × C], where the forward pass made it: a_1ᵀ, the output of layer 0 (which runs in columns); other entries undefined. */
  readonly inputsT: readonly (Tensor2D | undefined)[];
  /** δ_lᵀ = (∂ℓ_t/∂z_l)ᵀ of the output z_l of every layer but the last, [out_l × C]. */
  readonly deltasT: readonly Tensor2D[];
  /** δ of the last layer as rows, [C × headDim]. */
  readonly outputDelta: Tensor2D;
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
 * Whether layer `l` is stored transposed, as W_lᵀ `[out × in]` (layer 0 of a multi-layer network).
 *
 * @example
 * ```ts
 * storedTransposed({ depth: 2, ... }, 0); // true
 * ```
 * @param net - The head network.
 * @param l - Layer index.
 * @returns `true` for `[out × in]`, `false` for `[in × out]`.
 */
export function storedTransposed(net: MemoryNet, l: number): boolean {
  return l === 0 && net.depth > 1;
}

/**
 * Stored shape `[rows, cols]` of layer `l`'s weight: `[out, in]` for layer 0 of a multi-layer
 * network, `[in, out]` for every other layer.
 *
 * @example
 * ```ts
 * storedShape(net, 0); // [hidden, headDim] for depth 2
 * ```
 * @param net - The head network.
 * @param l - Layer index.
 * @returns `[rows, cols]`.
 */
export function storedShape(net: MemoryNet, l: number): [number, number] {
  const [i, o] = layerDims(net)[l] ?? [0, 0];
  return storedTransposed(net, l) ? [o, i] : [i, o];
}

/**
 * Turns a layer's weight (or momentum) between the stored orientation of {@link HeadWeights} and
 * the canonical `[in × out]` one; the conversion is its own inverse. A transposed layer comes back
 * as a new tensor, any other as it is.
 *
 * @example
 * ```ts
 * const canonical = swapOrientation(net, head.w[0], 0); // [headDim × hidden]
 * ```
 * @param net - The head network.
 * @param t - The weight in one orientation.
 * @param l - Layer index.
 * @returns The weight in the other orientation.
 */
export function swapOrientation(net: MemoryNet, t: Tensor2D, l: number): Tensor2D {
  return storedTransposed(net, l) ? tf.transpose(t) : t;
}

/**
 * Fresh memory weights: Xavier-normal W (std √(2/(in+out))) drawn from `rng` head by head and layer
 * by layer in the stored orientation, momentum zero.
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
 * Σ over rows of x², `[cols]`, as 1ᵀ·x² with `transposeA`: on WASM that runs the backend's plain
 * loop without packing x², about three times faster here than `tf.sum(·, 0)`, which transposes
 * first.
 */
function columnSq(x: Tensor2D): Tensor1D {
  return tf.reshape(tf.matMul(tf.ones([x.shape[0], 1]), tf.square(x), true, false), [x.shape[1]]);
}

/** The forward pass of one head up to the last layer's output z, with what the backward needs. */
interface Forward {
  /** z of the last layer, rows [C × headDim]. */
  readonly out: Tensor2D;
  /** a_l as rows, [C × in_l] (a_0 = the input). */
  readonly inputs: Tensor2D[];
  /** a_lᵀ, [in_l × C], where made (a_1ᵀ: layer 0's activation comes out in this layout). */
  readonly inputsT: (Tensor2D | undefined)[];
  /** Hidden layer l (output of layer l, input of l + 1); layer 0's in columns, later ones in rows. */
  readonly hidden: HiddenLayer[];
}

/**
 * Layer 0 of a multi-layer network in columns (W₀ᵀ·xᵀ: the right operand is the small xᵀ), then
 * back to rows for the later layers (A_l·W_l: the right operand is the weight, the same for keys
 * and queries). At depth 1 the one layer runs in rows (x·W₀, all operands `[headDim × …]`).
 */
function forward(net: MemoryNet, head: HeadWeights, x: Tensor2D): Forward {
  const w0 = head.w[0] as Tensor2D;
  const inputs: Tensor2D[] = [x];
  const inputsT: (Tensor2D | undefined)[] = [undefined];
  const hidden: HiddenLayer[] = [];
  if (net.depth === 1) return { out: tf.matMul(x, w0), inputs, inputsT, hidden };
  const first = hiddenLayer(net.activation, w0, tf.transpose(x)); // [hidden × C]
  hidden.push(first);
  inputsT.push(first.a);
  inputs.push(tf.transpose(first.a));
  let out: Tensor2D = x;
  for (let l = 1; l < net.depth; l++) {
    const a = inputs[l] as Tensor2D;
    const w = head.w[l] as Tensor2D;
    if (l < net.depth - 1) {
      const layer = hiddenLayer(net.activation, a, w);
      hidden.push(layer);
      inputs.push(layer.a);
    } else {
      out = tf.matMul(a, w);
    }
  }
  return { out, inputs, inputsT, hidden };
}

/**
 * Retrieval y = M(q) at the given weights, no update.
 *
 * @example
 * ```ts
 * const y = headRetrieve(net, weights[0], queries); // [C × headDim]
 * ```
 * @param net - The head network.
 * @param head - The head's weights.
 * @param queries - `[C × headDim]`.
 * @returns `[C × headDim]`.
 */
export function headRetrieve(net: MemoryNet, head: HeadWeights, queries: Tensor2D): Tensor2D {
  let y = forward(net, head, queries).out;
  if (net.norm) y = layerNorm(y).n;
  return net.residual ? tf.add(y, queries) : y;
}

/**
 * The keys pass of one head: forward M(k), loss against the values, and the analytic backward
 * pass δ_{l−1}ᵀ = (W_l·δ_lᵀ) ⊙ σ'(z_{l−1})ᵀ per token, all as plain 2-D ops. The backward runs in
 * columns, so that its right operands are the small δ_lᵀ rather than a weight.
 *
 * @example
 * ```ts
 * const pass = headPass(net, weights[0], keys, values, true);
 * ```
 * @param net - The head network.
 * @param head - The head's weights.
 * @param keys - `[C × headDim]`.
 * @param values - `[C × headDim]`.
 * @param withSurprise - Also compute the per-token gradient norms.
 * @param half - Return ½·δ_l and ¼·‖∇_M ℓ_t‖² (one op fewer per head; the caller doubles its
 *   token weights instead, as `memoryChunk` does).
 * @returns Forward and backward quantities (new tensors).
 */
export function headPass(net: MemoryNet, head: HeadWeights, keys: Tensor2D, values: Tensor2D, withSurprise: boolean, half = false): HeadPass {
  const { out, inputs, inputsT, hidden } = forward(net, head, keys);
  let prediction = out;
  let ln: { n: Tensor2D; inv: Tensor2D } | undefined;
  if (net.norm) {
    ln = layerNorm(out);
    prediction = ln.n;
  }
  if (net.residual) prediction = tf.add(prediction, keys);
  const { loss, seed } = lossTerms(net.loss, tf.sub(prediction, values));
  let outputDelta: Tensor2D = half ? seed : tf.add(seed, seed); // ∂ℓ/∂y = 2·seed
  if (ln) outputDelta = layerNormBackward(outputDelta, ln.n, ln.inv);
  const deltasT: Tensor2D[] = new Array<Tensor2D>(net.depth - 1);
  for (let l = net.depth - 1; l >= 1; l--) {
    const deltaT = l === net.depth - 1 ? tf.transpose(outputDelta) : (deltasT[l] as Tensor2D);
    const derivative = activationDerivative(net.activation, hidden[l - 1] as HiddenLayer);
    const back = tf.matMul(head.w[l] as Tensor2D, deltaT); // [in_l × C]
    deltasT[l - 1] = tf.mul(back, l - 1 === 0 ? derivative : tf.transpose(derivative));
  }
  let surpriseSq: Tensor1D | undefined;
  if (withSurprise) {
    for (let l = 0; l < net.depth; l++) {
      // For l2 without norm, ‖δ_last‖² = ‖2r‖² = 4ℓ (‖r‖² = ℓ when halved): reuse the loss.
      const last = l === net.depth - 1;
      const reuse = last && net.loss.kind === 'l2' && !net.norm;
      const deltaSq = reuse ? (half ? loss : tf.mul(loss, 4)) : last ? rowSq(outputDelta) : columnSq(deltasT[l] as Tensor2D);
      const term = tf.mul<Tensor1D>(rowSq(inputs[l] as Tensor2D), deltaSq);
      surpriseSq = surpriseSq ? tf.add<Tensor1D>(surpriseSq, term) : term;
    }
  }
  return { prediction, loss, inputs, inputsT, deltasT, outputDelta, surpriseSq };
}

/**
 * Weighted sums of per-token gradients, Σ_t w_t·∇_{W_l} ℓ_t for each weight row w of
 * `tokenWeights`, as plain 2-D matmuls in the stored orientation of {@link HeadWeights}: a
 * transposed layer 0 as (δ₀ᵀ ⊙ w)·K `[out × in]`, every other layer as (a_lᵀ ⊙ w)·δ_l
 * `[in × out]`. All rows share the right operand (C rows), so the backend packs it once.
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
export function headGradients(net: MemoryNet, pass: Pick<HeadPass, 'inputs' | 'inputsT' | 'deltasT' | 'outputDelta'>, tokenWeights: readonly Tensor2D[]): Tensor2D[][] {
  const grads: Tensor2D[][] = [];
  for (let l = 0; l < net.depth; l++) {
    const last = l === net.depth - 1;
    const transposed = storedTransposed(net, l);
    const left = transposed ? (pass.deltasT[0] as Tensor2D) : (pass.inputsT[l] ?? tf.transpose(pass.inputs[l] as Tensor2D));
    const right = transposed ? (pass.inputs[0] as Tensor2D) : last ? pass.outputDelta : tf.transpose(pass.deltasT[l] as Tensor2D);
    grads.push(tokenWeights.map((w) => tf.matMul(tf.mul<Tensor2D>(left, w), right)));
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
