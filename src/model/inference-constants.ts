import { tf } from '../tensor/index.js';
import type { Tensor, Tensor2D } from '../tensor/index.js';
import { segmentMask } from './attention.js';
import { scanTables } from './memory-scan.js';
import type { ScanTables } from './memory-scan.js';
import type { ResolvedTitansModelConfig } from './model-config.js';
import { hasAttention, hasMemory } from './model-weights.js';
import type { ModelWeights } from './model-weights.js';
import { rotateHalf } from './rope.js';

/** Per-block tensors derived from the weights once instead of in every segment. */
export interface BlockConstants {
  /** The key and value columns of `attn.qkv`, `[d × 2d]` (with attention). */
  readonly keyValue: Tensor2D | undefined;
  /** Keys of the persistent tokens, `persistent · W_k` `[persistent × d]` (with persistent tokens). */
  readonly persistentKeys: Tensor2D | undefined;
  /** Their values, `persistent · W_v`. */
  readonly persistentValues: Tensor2D | undefined;
  /** The query columns of `mem.kvq`, `[d × heads·headDim]` (MAC's read before attention). */
  readonly memoryQuery: Tensor2D | undefined;
  /** `[W_q | W_k | W_v | W_q·rot | W_k·rot]` `[d × 5d]`: queries, keys, values and the rotate-half copies RoPE needs, from one matmul (with attention). */
  readonly queryKeyValueRotated: Tensor2D | undefined;
  /** `[W_k | W_v | W_k·rot]` `[d × 3d]` for MAC's retrieved tokens. */
  readonly keyValueRotated: Tensor2D | undefined;
  /** `mem.conv` as a depthwise-convolution filter `[convKernel, 1, 3·heads·headDim, 1]` (with memory and convolution). */
  readonly convFilter: tf.Tensor4D | undefined;
}

/**
 * Everything streaming inference can compute once per model instead of once per segment: tensors
 * derived from the weights (the LM head in matmul orientation, weight column blocks, the persistent
 * tokens' keys and values, projection weights with RoPE's rotate-half folded in, the convolution
 * taps as a depthwise filter) and shape-only tables of a full segment (the RoPE rotation, MAC's
 * mask, the memory scan's coefficient tables). With them `forwardHidden` gives the values
 * `forwardSegment` computes inline (identical in our checks; at worst float rounding). Not
 * differentiable with respect to the weights: training does not use them.
 */
export interface InferenceConstants {
  /** Data ids of the weights they were derived from, in `Object.values(weights)` order. */
  readonly sources: readonly unknown[];
  /** `[d × vocab]`: the untied head, or the transposed embedding table. */
  readonly head: Tensor2D;
  /** `[d × d]` rotate-half matrix (with attention). */
  readonly rot: Tensor2D | undefined;
  /** MAC's attention mask of a full segment. */
  readonly segmentMask: Tensor2D | undefined;
  /** Memory-scan tables of a full segment (with memory). */
  readonly scan: ScanTables | undefined;
  /** Per block. */
  readonly blocks: readonly BlockConstants[];
}

function weightOf(w: ModelWeights, name: string): Tensor2D {
  return w[name] as Tensor2D;
}

/**
 * The {@link InferenceConstants} of a model's current weights.
 *
 * @example
 * ```ts
 * const constants = inferenceConstants(model.config, model.tensors);
 * ```
 * @param config - Resolved configuration.
 * @param w - The parameters.
 * @returns New tensors (free them with {@link disposeInferenceConstants}).
 */
export function inferenceConstants(config: ResolvedTitansModelConfig, w: ModelWeights): InferenceConstants {
  return tf.tidy(() => {
    const d = config.dim;
    const width = config.memory.heads * config.memory.headDim;
    const blocks: BlockConstants[] = [];
    const rot = hasAttention(config) ? rotateHalf(d, config.heads) : undefined;
    const rot2 = hasAttention(config) ? rotateHalf(2 * d, 2 * config.heads) : undefined;
    for (let i = 0; i < config.layers; i++) {
      const p = `layers.${i}.`;
      const qkv = hasAttention(config) ? weightOf(w, p + 'attn.qkv') : undefined;
      const keyValue = qkv ? (tf.slice(qkv, [0, d], [d, 2 * d]) as Tensor2D) : undefined;
      // x·(W·rot) equals (x·W)·rot exactly: rot only permutes columns and flips signs.
      const rotated = qkv && rot2 ? tf.matMul(tf.slice(qkv, [0, 0], [d, 2 * d]), rot2) : undefined;
      const queryKeyValueRotated = qkv && rotated ? (tf.concat([qkv, rotated], 1) as Tensor2D) : undefined;
      const keyValueRotated = keyValue && rot && config.arch === 'mac' ? (tf.concat([keyValue, tf.slice(rotated as Tensor2D, [0, d], [d, d])], 1) as Tensor2D) : undefined;
      const persistent = keyValue && config.persistent > 0 ? (tf.split(tf.matMul(weightOf(w, p + 'attn.persistent'), keyValue), 2, 1) as Tensor2D[]) : undefined;
      const memoryQuery = hasMemory(config) && config.arch === 'mac' ? (tf.slice(weightOf(w, p + 'mem.kvq'), [0, 2 * width], [d, width]) as Tensor2D) : undefined;
      const taps = hasMemory(config) && config.convKernel > 1 ? weightOf(w, p + 'mem.conv') : undefined;
      const convFilter = taps ? (tf.reshape(taps, [config.convKernel, 1, 3 * width, 1]) as tf.Tensor4D) : undefined;
      blocks.push({ keyValue, persistentKeys: persistent?.[0], persistentValues: persistent?.[1], memoryQuery, queryKeyValueRotated, keyValueRotated, convFilter });
    }
    const constants: InferenceConstants = {
      sources: weightSources(w),
      head: config.tieEmbeddings ? (tf.transpose(weightOf(w, 'embed')) as Tensor2D) : tf.clone(weightOf(w, 'head')),
      rot,
      segmentMask: config.arch === 'mac' ? segmentMask(config.segment, config.persistent) : undefined,
      scan: hasMemory(config) ? scanTables(config.segment) : undefined,
      blocks,
    };
    constantTensors(constants).forEach((t) => tf.keep(t));
    return constants as unknown as tf.TensorContainer;
  }) as unknown as InferenceConstants;
}

/**
 * The data ids of a model's weights: they change when a weight is assigned (`tf.Variable.assign`),
 * so comparing them with {@link InferenceConstants.sources} tells whether the constants are stale.
 *
 * @example
 * ```ts
 * const stale = weightSources(model.tensors).some((id, i) => id !== constants.sources[i]);
 * ```
 * @param w - The parameters.
 * @returns One data id per weight, in `Object.values(w)` order.
 */
export function weightSources(w: ModelWeights): unknown[] {
  return Object.values(w).map((t) => t.dataId);
}

function constantTensors(c: InferenceConstants): Tensor[] {
  const all: (Tensor | undefined)[] = [c.head, c.rot, c.segmentMask, c.scan?.beta, c.scan?.eta, c.scan?.invalid];
  for (const b of c.blocks) all.push(b.keyValue, b.persistentKeys, b.persistentValues, b.memoryQuery, b.queryKeyValueRotated, b.keyValueRotated, b.convFilter);
  return all.filter((t): t is Tensor => t !== undefined);
}

/**
 * Frees the tensors of {@link inferenceConstants}.
 *
 * @example
 * ```ts
 * disposeInferenceConstants(constants);
 * ```
 * @param constants - The constants.
 */
export function disposeInferenceConstants(constants: InferenceConstants): void {
  tf.dispose(constantTensors(constants));
}
