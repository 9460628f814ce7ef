import { chunkGates, headRetrieve } from '../memory/index.js';
import type { ChunkGates, HeadWeights, ResolvedGate } from '../memory/index.js';
import { InputError } from '../errors/index.js';
import { tf } from '../tensor/index.js';
import type { Tensor, Tensor1D, Tensor2D } from '../tensor/index.js';
import { attention, segmentMask, slidingWindowMask } from './attention.js';
import { embed, lmHead } from './embedding.js';
import type { BlockConstants, InferenceConstants } from './inference-constants.js';
import { matMul2d } from './fast-matmul.js';
import { memoryScan } from './memory-scan.js';
import { mlp } from './mlp.js';
import type { ResolvedTitansModelConfig } from './model-config.js';
import { keepsCache } from './model-state.js';
import type { LayerState, ModelState } from './model-state.js';
import { dataGates, hasAttention, modelMemoryNet } from './model-weights.js';
import type { ModelWeights } from './model-weights.js';
import { rmsNorm } from './rms-norm.js';
import { applyRope, ropeAngles, ropeTables } from './rope.js';
import type { RopeTables } from './rope.js';

/** {@link forwardSegment}'s result. */
export interface SegmentResult {
  /** `[batch·n × vocab]`, row b·n + t: the prediction of the token after token t of stream b. */
  readonly logits: Tensor2D;
  /** The state after the segment (only with `update`). */
  readonly state: ModelState | undefined;
}

/** What every block of one segment shares. */
interface Context {
  readonly config: ResolvedTitansModelConfig;
  readonly w: ModelWeights;
  readonly batch: number;
  readonly n: number;
  readonly cached: number;
  readonly rope: RopeTables;
  /** RoPE angles of queries and keys side by side, `[n × 2d]` (inference, one stream). */
  readonly ropeWide: { readonly cos: Tensor2D; readonly sin: Tensor2D } | undefined;
  readonly mask: Tensor2D;
  readonly update: boolean;
  /** Precomputed per-model tensors (streaming inference only). */
  readonly constants: InferenceConstants | undefined;
}

function param<T extends Tensor = Tensor2D>(w: ModelWeights, name: string): T {
  const t = w[name];
  if (!t) throw new InputError('ERR_MODEL_WEIGHTS', `model weight "${name}" is missing`);
  return t as T;
}

/** Rows of stream b (`[n × …]` out of `[batch·n × …]`). */
function rowsOf(t: Tensor2D, b: number, n: number, batch: number): Tensor2D {
  return batch === 1 ? t : tf.slice(t, [b * n, 0], [n, -1]);
}

function catRows(parts: Tensor2D[]): Tensor2D {
  return parts.length === 1 ? (parts[0] as Tensor2D) : tf.concat(parts, 0);
}

/**
 * Multi-head attention of one block. Keys: the persistent tokens, then either the cached tokens
 * (sliding window) or, for MAC, the retrieved memory tokens, then the segment's own tokens.
 */
function selfAttention(ctx: Context, p: string, c: BlockConstants | undefined, xn: Tensor2D, layer: LayerState, retrieved?: Tensor2D): { out: Tensor2D; keys: Tensor2D | undefined; values: Tensor2D | undefined } {
  const { config, batch, n } = ctx;
  const d = config.dim;
  const wqkv = param(ctx.w, p + 'attn.qkv');
  const wide = ctx.ropeWide;
  let q: Tensor2D;
  let k: Tensor2D;
  let v: Tensor2D;
  if (c?.queryKeyValueRotated && wide) {
    // Inference: queries and keys with their rotate-half copies from one matmul, rotated together.
    const [qk, v0, qkRotated] = tf.split(matMul2d(xn, c.queryKeyValueRotated), [2 * d, d, 2 * d], 1) as [Tensor2D, Tensor2D, Tensor2D];
    [q, k] = tf.split(tf.add(tf.mul(qk, wide.cos), tf.mul(qkRotated, wide.sin)), 2, 1) as [Tensor2D, Tensor2D];
    v = v0;
  } else {
    const [q0, k0, v0] = tf.split(matMul2d(xn, wqkv), 3, 1) as [Tensor2D, Tensor2D, Tensor2D];
    [q, k, v] = [applyRope(q0, ctx.rope), applyRope(k0, ctx.rope), v0];
  }
  const wkv = c?.keyValue ?? (tf.slice(wqkv, [0, d], [d, 2 * d]) as Tensor2D);
  let pk: Tensor2D | undefined;
  let pv: Tensor2D | undefined;
  if (c?.persistentKeys && c.persistentValues) [pk, pv] = [c.persistentKeys, c.persistentValues];
  else if (config.persistent > 0) [pk, pv] = tf.split(matMul2d(param(ctx.w, p + 'attn.persistent'), wkv), 2, 1) as [Tensor2D, Tensor2D];
  let rk: Tensor2D | undefined;
  let rv: Tensor2D | undefined;
  if (retrieved && c?.keyValueRotated) {
    const [rk0, rv0, rkRotated] = tf.split(matMul2d(retrieved, c.keyValueRotated), 3, 1) as [Tensor2D, Tensor2D, Tensor2D];
    rk = tf.add<Tensor2D>(tf.mul(rk0, ctx.rope.cos), tf.mul(rkRotated, ctx.rope.sin));
    rv = rv0;
  } else if (retrieved) {
    const [rk0, rv0] = tf.split(matMul2d(retrieved, wkv), 2, 1) as [Tensor2D, Tensor2D];
    rk = applyRope(rk0, ctx.rope);
    rv = rv0;
  }
  const outs: Tensor2D[] = [];
  const newKeys: Tensor2D[] = [];
  const newValues: Tensor2D[] = [];
  const keep = Math.min(config.window - 1, ctx.cached + n);
  for (let b = 0; b < batch; b++) {
    const own = (t: Tensor2D) => rowsOf(t, b, n, batch);
    const cachedRows = (t: Tensor2D | undefined) => (t ? (batch === 1 ? t : tf.slice(t, [b * ctx.cached, 0], [ctx.cached, -1])) : undefined);
    const middleK = retrieved ? own(rk as Tensor2D) : cachedRows(layer.keys);
    const middleV = retrieved ? own(rv as Tensor2D) : cachedRows(layer.values);
    const kb = [pk, middleK].filter((t): t is Tensor2D => t !== undefined);
    const vb = [pv, middleV].filter((t): t is Tensor2D => t !== undefined);
    const ownK = own(k);
    const ownV = own(v);
    outs.push(attention(own(q), tf.concat([...kb, ownK], 0), tf.concat([...vb, ownV], 0), ctx.mask, config.heads));
    if (ctx.update && !retrieved && keep > 0) {
      const allK = middleK ? tf.concat([middleK, ownK], 0) : ownK;
      const allV = middleV ? tf.concat([middleV, ownV], 0) : ownV;
      const total = allK.shape[0];
      newKeys.push(tf.slice(allK, total - keep, keep));
      newValues.push(tf.slice(allV, total - keep, keep));
    }
  }
  const out = matMul2d(catRows(outs), param(ctx.w, p + 'attn.out'));
  return newKeys.length > 0 ? { out, keys: catRows(newKeys), values: catRows(newValues) } : { out, keys: undefined, values: undefined };
}

function silu(z: Tensor2D): Tensor2D {
  return tf.mul(z, tf.sigmoid(z));
}

/** `[batch·n × heads·headDim]` (SiLU already applied), L2-normalised per head if asked, split into per-(stream, head) blocks. */
function headBlocks(ctx: Context, f: Tensor2D, normalize: boolean): Tensor2D[] {
  const { batch, n } = ctx;
  const { heads, headDim } = ctx.config.memory;
  if (normalize && heads === 1) {
    f = tf.mul(f, tf.rsqrt(tf.add(tf.sum(tf.square(f), 1, true), 1e-6)));
  } else if (normalize) {
    const blocks = tf.reshape(f, [batch * n, heads, headDim]);
    f = tf.reshape(tf.mul(blocks, tf.rsqrt(tf.add(tf.sum(tf.square(blocks), 2, true), 1e-6))), [batch * n, heads * headDim]);
  }
  if (batch === 1) return heads === 1 ? [f] : (tf.split(f, heads, 1) as Tensor2D[]);
  const out: Tensor2D[] = [];
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) out.push(heads === 1 ? tf.slice(f, b * n, n) : tf.slice(f, [b * n, h * headDim], [n, headDim]));
  }
  return out;
}

/**
 * Keys, values and queries of the rows for every (stream, head): the `mem.kvq` projection, the
 * causal depthwise convolution over the previous convKernel − 1 rows (carried in `context` across
 * segments; zeros at a stream's start), SiLU, and L2-normalised keys and queries. With `update`,
 * also the context the next segment needs.
 */
function memoryFeatures(ctx: Context, p: string, bc: BlockConstants | undefined, rows: Tensor2D, context: Tensor2D | undefined): { keys: Tensor2D[]; values: Tensor2D[]; queries: Tensor2D[]; context: Tensor2D | undefined } {
  const { batch, n } = ctx;
  const kvq = param(ctx.w, p + 'mem.kvq');
  const c = ctx.config.convKernel - 1;
  let z: Tensor2D;
  let next: Tensor2D | undefined;
  if (c > 0 && context) {
    const full = Array.from({ length: batch }, (_, b) => tf.concat([batch === 1 ? context : tf.slice(context, [b * c, 0], [c, -1]), rowsOf(rows, b, n, batch)]));
    if (ctx.update) next = catRows(full.map((f) => tf.slice(f, n, c)));
    const proj = matMul2d(catRows(full), kvq); // [batch·(c + n) × 3W]
    const width = proj.shape[1];
    if (bc?.convFilter && batch === 1) {
      // Inference: the same sums as one depthwise convolution (WASM lacks its gradient kernels).
      z = tf.reshape(tf.depthwiseConv2d(tf.reshape(proj, [1, c + n, 1, width]) as tf.Tensor4D, bc.convFilter, 1, 'valid'), [n, width]);
    } else {
      const taps = param(ctx.w, p + 'mem.conv');
      const convolved = Array.from({ length: batch }, (_, b) => {
        const pb = batch === 1 ? proj : tf.slice(proj, b * (c + n), c + n);
        return tf.addN(Array.from({ length: c + 1 }, (_, j) => tf.mul(tf.slice(pb, j, n), tf.slice(taps, j, 1)))) as Tensor2D;
      });
      z = catRows(convolved);
    }
  } else {
    z = matMul2d(rows, kvq);
  }
  const [k, v, q] = tf.split(silu(z), 3, 1) as [Tensor2D, Tensor2D, Tensor2D];
  return { keys: headBlocks(ctx, k, true), values: headBlocks(ctx, v, false), queries: headBlocks(ctx, q, true), context: next };
}

/** Per-(stream, head) results `[n × headDim]` side by side per stream, streams stacked, through the memory's output projection. */
function memoryOutput(ctx: Context, p: string, perHead: Tensor2D[]): Tensor2D {
  const heads = ctx.config.memory.heads;
  const rows: Tensor2D[] = [];
  for (let b = 0; b < ctx.batch; b++) {
    const hs = perHead.slice(b * heads, (b + 1) * heads);
    rows.push(hs.length === 1 ? (hs[0] as Tensor2D) : tf.concat(hs, 1));
  }
  return matMul2d(catRows(rows), param(ctx.w, p + 'mem.out'));
}

/**
 * θ, η, α of every stream and head, `[batch·heads × n]`, from each token's memory input. (Not
 * `chunkLogGates`: `tf.logSigmoid`'s gradient reads its input without saving it, so `tf.grad`
 * through it fails once the input has been freed.)
 */
function memoryGates(ctx: Context, p: string, rows: Tensor2D): ChunkGates {
  const o = ctx.config.memory;
  const gates = dataGates(o);
  const params = gates.length > 0 ? { weight: param(ctx.w, p + 'mem.gates.weight'), bias: param<Tensor1D>(ctx.w, p + 'mem.gates.bias'), gates } : undefined;
  if (params && ctx.batch === 1 && o.gateGranularity === 'token') {
    // chunkGates' values with one sigmoid and one split for all data gates (it slices and squashes gate by gate).
    const squashed = tf.split(tf.transpose(tf.sigmoid(tf.add(tf.matMul(rows, params.weight), params.bias))), gates.length, 0) as Tensor2D[];
    const pick = (name: 'lr' | 'momentum' | 'forget', gate: ResolvedGate): Tensor2D => {
      if (gate.kind === 'fixed') return tf.fill([o.heads, ctx.n], gate.value) as Tensor2D;
      const squashedRows = squashed[gates.indexOf(name)] as Tensor2D;
      return name === 'lr' ? tf.mul(squashedRows, o.maxLearningRate) : squashedRows;
    };
    return { lr: pick('lr', o.learningRate), momentum: pick('momentum', o.momentum), forget: pick('forget', o.forget) };
  }
  const parts = Array.from({ length: ctx.batch }, (_, b) => chunkGates(o, params, params ? rowsOf(rows, b, ctx.n, ctx.batch) : undefined, ctx.n));
  if (parts.length === 1) return parts[0] as ChunkGates;
  const cat = (pick: (g: (typeof parts)[number]) => Tensor2D) => tf.concat(parts.map(pick), 0) as Tensor2D;
  return { lr: cat((g) => g.lr), momentum: cat((g) => g.momentum), forget: cat((g) => g.forget) };
}

/**
 * The memory as a sequence layer: the rows' keys and values update it token by token (chunked),
 * and each row reads it right after its own update ({@link memoryScan}).
 */
function memoryLayer(ctx: Context, p: string, bc: BlockConstants | undefined, rows: Tensor2D, layer: LayerState): { out: Tensor2D; memory: HeadWeights[] | undefined; conv: Tensor2D | undefined } {
  const f = memoryFeatures(ctx, p, bc, rows, layer.conv);
  const tables = ctx.constants?.scan;
  const options = tables ? { tables } : {};
  const scan = memoryScan(modelMemoryNet(ctx.config), layer.memory as readonly HeadWeights[], f, memoryGates(ctx, p, rows), ctx.update, options);
  return { out: memoryOutput(ctx, p, scan.retrievals), memory: scan.weights, conv: f.context };
}

/**
 * Reads the memory as of the segment start with the rows' queries (MAC's retrieval before
 * attention; the query projection without the convolution, whose context follows the update path).
 */
function memoryRead(ctx: Context, p: string, c: BlockConstants | undefined, rows: Tensor2D, memory: readonly HeadWeights[]): Tensor2D {
  const net = modelMemoryNet(ctx.config);
  const width = ctx.config.memory.heads * ctx.config.memory.headDim;
  const wq = c?.memoryQuery ?? (tf.slice(param(ctx.w, p + 'mem.kvq'), [0, 2 * width], [ctx.config.dim, width]) as Tensor2D);
  const queries = headBlocks(ctx, silu(matMul2d(rows, wq)), true);
  return memoryOutput(
    ctx,
    p,
    memory.map((head, i) => headRetrieve(net, head, queries[i] as Tensor2D)),
  );
}

function norm(ctx: Context, p: string, name: string, x: Tensor2D): Tensor2D {
  return rmsNorm(x, param<Tensor1D>(ctx.w, p + name));
}

function feedForward(ctx: Context, p: string, x: Tensor2D): Tensor2D {
  return mlp(ctx.config.mlp, { up: param(ctx.w, p + 'mlp.up'), down: param(ctx.w, p + 'mlp.down') }, x);
}

/** One block of the configured variant; returns the new residual stream and (with update) its state. */
function block(ctx: Context, i: number, x: Tensor2D, layer: LayerState): { x: Tensor2D; state: LayerState } {
  const p = `layers.${i}.`;
  const c = ctx.constants?.blocks[i];
  let state: LayerState = { memory: undefined, conv: undefined, keys: undefined, values: undefined };
  switch (ctx.config.arch) {
    case 'swa': {
      const a = selfAttention(ctx, p, c, norm(ctx, p, 'norm1', x), layer);
      x = tf.add(x, a.out);
      state = { ...state, keys: a.keys, values: a.values };
      break;
    }
    case 'lmm': {
      const m = memoryLayer(ctx, p, c, norm(ctx, p, 'norm1', x), layer);
      x = tf.add(x, m.out);
      state = { ...state, memory: m.memory, conv: m.conv };
      break;
    }
    case 'mal': {
      const m = memoryLayer(ctx, p, c, norm(ctx, p, 'norm1', x), layer);
      x = tf.add(x, m.out);
      const a = selfAttention(ctx, p, c, norm(ctx, p, 'norm2', x), layer);
      x = tf.add(x, a.out);
      state = { memory: m.memory, conv: m.conv, keys: a.keys, values: a.values };
      break;
    }
    case 'mag': {
      const xn = norm(ctx, p, 'norm1', x);
      const a = selfAttention(ctx, p, c, xn, layer);
      const m = memoryLayer(ctx, p, c, xn, layer);
      const g = tf.sigmoid(tf.add(matMul2d(xn, param(ctx.w, p + 'gate.weight')), param<Tensor1D>(ctx.w, p + 'gate.bias'))) as Tensor2D;
      x = tf.add(x, tf.add(tf.mul(g, a.out), tf.mul(tf.sub(1, g), m.out)));
      state = { memory: m.memory, conv: m.conv, keys: a.keys, values: a.values };
      break;
    }
    case 'mac': {
      const xn = norm(ctx, p, 'norm1', x);
      const retrieved = memoryRead(ctx, p, c, xn, layer.memory as readonly HeadWeights[]);
      const y = selfAttention(ctx, p, c, xn, layer, retrieved).out;
      const m = memoryLayer(ctx, p, c, rmsNorm(y, undefined), layer);
      x = tf.add(x, tf.mul(y, tf.sigmoid(m.out)));
      state = { ...state, memory: m.memory, conv: m.conv };
      break;
    }
  }
  const last = ctx.config.arch === 'mal' ? 'norm3' : 'norm2';
  return { x: tf.add(x, feedForward(ctx, p, norm(ctx, p, last, x))), state };
}

/**
 * One segment of `batch` parallel streams through the model: embedding, the blocks of the
 * configured variant (DESIGN §4), final norm and LM head. Every output row depends only on the
 * state and on tokens up to its own (causal), so a partial segment (n < segment, `update` false)
 * gives the same rows as the full one. Pure tf ops: `tf.grad` differentiates the logits and the
 * new state with respect to the weights and the old state (nothing is detached).
 *
 * - **SWA**: x += Attn(norm x) over [persistent ‖ window]; x += MLP(norm x).
 * - **LMM**: x += Mem(norm x); x += MLP.
 * - **MAL**: x += Mem(norm x); x += Attn(norm x); x += MLP.
 * - **MAG**: with x̂ = norm x, g = σ(x̂·W_g + b_g): x += g ⊙ Attn(x̂) + (1 − g) ⊙ Mem(x̂); x += MLP.
 * - **MAC** (the paper's order): h = M_{s−1}(q(x̂)) read with the segment's queries; y = Attn over
 *   [persistent ‖ h ‖ x̂] (causal in the segment); the memory absorbs y; x += y ⊙ σ(M_t(q(y))),
 *   read from the memory updated through token t; x += MLP.
 *
 * Mem(·): keys, values and queries from a projection, a causal depthwise convolution over the
 * last convKernel tokens, SiLU and L2 norm; then {@link memoryScan} (token t reads the memory right
 * after its own update) and an output projection.
 *
 * @example
 * ```ts
 * const { logits, state: next } = forwardSegment(config, weights, state, ids, true);
 * ```
 * @param config - Resolved configuration.
 * @param w - The parameters.
 * @param state - State at the segment start (not disposed).
 * @param ids - int32 `[batch·n]` token ids, stream-major.
 * @param update - Return the state after the segment (n must equal `segment`).
 * @returns Logits and (with update) the new state (all new tensors).
 * @throws {@link InputError} `ERR_SEGMENT` when n is 0, exceeds the segment, or is short with `update`.
 */
export function forwardSegment(config: ResolvedTitansModelConfig, w: ModelWeights, state: ModelState, ids: Tensor, update: boolean): SegmentResult {
  const r = forwardHidden(config, w, state, embed(param(w, 'embed'), ids), update);
  const logits = lmHead(r.hidden, config.tieEmbeddings ? { tied: param(w, 'embed') } : { head: param(w, 'head') });
  return { logits, state: r.state };
}

/** {@link forwardHidden}'s result. */
export interface HiddenResult {
  /** `[batch·n × d]`: the final-normed hidden states, the LM head's input. */
  readonly hidden: Tensor2D;
  /** The state after the segment (only with `update`). */
  readonly state: ModelState | undefined;
}

/**
 * {@link forwardSegment} from the embedded rows to the final norm, without the embedding lookup
 * and the LM head — so that streaming inference can embed and score the rows of many segments
 * with one op each. With `constants` (for a full segment they supply the mask and scan tables
 * too) the per-model tensors are not recomputed; the results are the same. Without them, pure
 * tf ops that `tf.grad` differentiates, as {@link forwardSegment}.
 *
 * @example
 * ```ts
 * const { hidden, state: next } = forwardHidden(config, weights, state, x, true, constants);
 * ```
 * @param config - Resolved configuration.
 * @param w - The parameters.
 * @param state - State at the segment start (not disposed).
 * @param x - `[batch·n × d]` embedded tokens, stream-major.
 * @param update - Return the state after the segment (n must equal `segment`).
 * @param constants - {@link inferenceConstants} of these weights (inference only).
 * @returns Hidden states and (with update) the new state (all new tensors).
 * @throws {@link InputError} `ERR_SEGMENT` when n is 0, exceeds the segment, or is short with `update`.
 */
export function forwardHidden(config: ResolvedTitansModelConfig, w: ModelWeights, state: ModelState, x: Tensor2D, update: boolean, constants?: InferenceConstants): HiddenResult {
  const batch = state.batch;
  const n = x.shape[0] / batch;
  if (!Number.isInteger(n) || n < 1 || n > config.segment || (update && n !== config.segment)) {
    throw new InputError('ERR_SEGMENT', `a segment needs 1…${config.segment} tokens per stream (exactly ${config.segment} to update), got ${x.shape[0]} tokens for ${batch} streams`);
  }
  const cached = state.cached;
  const tables = ropeTables(state.position, n, config.dim, config.heads, config.ropeBase, constants?.rot);
  const rope = batch === 1 ? tables : { cos: tf.tile(tables.cos, [batch, 1]), sin: tf.tile(tables.sin, [batch, 1]), rot: tables.rot };
  const mask = config.arch === 'mac' ? ((n === config.segment ? constants?.segmentMask : undefined) ?? segmentMask(n, config.persistent)) : slidingWindowMask(n, config.persistent, cached, config.window);
  const ropeWide = constants && batch === 1 && hasAttention(config) ? ropeAngles(state.position, n, 2 * config.dim, 2 * config.heads, config.ropeBase) : undefined;
  const ctx: Context = { config, w, batch, n, cached, rope, ropeWide, mask, update, constants };
  const layers: LayerState[] = [];
  state.layers.forEach((layer, i) => {
    const r = block(ctx, i, x, layer);
    x = r.x;
    layers.push(r.state);
  });
  const hidden = rmsNorm(x, param<Tensor1D>(w, 'norm.out'));
  if (!update) return { hidden, state: undefined };
  const nextCached = keepsCache(config) ? Math.min(config.window - 1, cached + n) : 0;
  return { hidden, state: { batch, position: state.position + n, cached: nextCached, layers } };
}
