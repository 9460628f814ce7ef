import { tf } from '../tensor/index.js';
import type { Tensor1D, Tensor2D } from '../tensor/index.js';
import { chunkCoefficients } from './chunk-coefficients.js';
import type { ChunkCoefficients, ChunkGates } from './chunk-coefficients.js';
import { splitHeads } from './split-heads.js';
import { applyUpdate, headGradients, headPass, headRetrieve } from './memory-net.js';
import type { HeadWeights, MemoryNet, MemoryWeights } from './memory-net.js';
import { tidy } from './tidy.js';

/** Per-head inputs of C tokens, every tensor `[C × headDim]`. */
export interface HeadInputs {
  /** k_t per head. */
  readonly keys: readonly Tensor2D[];
  /** v_t per head. */
  readonly values: readonly Tensor2D[];
  /** q_t per head; omit to skip retrieval. */
  readonly queries?: readonly Tensor2D[] | undefined;
}

/** Per-token outputs of C tokens, all at the chunk-start weights. */
export interface MemoryChunkOutputs {
  /** y_t = M_0(q_t) per head, `[C × headDim]` (absent without queries). */
  readonly retrievals: Tensor2D[] | undefined;
  /** Σ_heads ℓ_t, `[C]`. */
  readonly loss: Tensor1D;
  /** ‖∇_M ℓ_t‖ over all heads and layers (before clipping), `[C]` (absent when not asked for). */
  readonly surprise: Tensor1D | undefined;
}

/** {@link memoryChunk}'s result: the outputs and the chunk-end memory. */
export interface MemoryChunkResult extends MemoryChunkOutputs {
  /** The memory after the chunk's C updates. */
  readonly weights: MemoryWeights;
}

/** Options of {@link memoryChunk} and {@link memoryOutputs}. */
export interface MemoryChunkOptions {
  /** Also return the per-token surprise (default true). */
  readonly surprise?: boolean;
}

function sumAll(xs: Tensor1D[]): Tensor1D {
  return xs.length === 1 ? (xs[0] as Tensor1D) : (tf.addN(xs) as Tensor1D);
}

/** One head's per-token outputs at the chunk-start weights, from a pass with halved δ. */
interface HeadOutputs {
  readonly loss: Tensor1D;
  /** ¼‖∇_M ℓ_t‖² (absent when not asked for). */
  readonly surpriseSq: Tensor1D | undefined;
  readonly retrieval: Tensor2D | undefined;
}

/** The outputs of all heads: retrievals per head, loss summed, surprise over all heads. */
function combineHeads(heads: HeadOutputs[], withQueries: boolean, withSurprise: boolean): MemoryChunkOutputs {
  return {
    retrievals: withQueries ? heads.map((r) => r.retrieval as Tensor2D) : undefined,
    loss: sumAll(heads.map((r) => r.loss)),
    surprise: withSurprise ? tf.sqrt(tf.mul<Tensor1D>(sumAll(heads.map((r) => r.surpriseSq as Tensor1D)), 4)) : undefined, // the passes' δ are halved
  };
}

/**
 * Outputs of up to C tokens at the given weights, without updating them (a partial chunk).
 *
 * @example
 * ```ts
 * const { retrievals, loss } = memoryOutputs(net, weights, { keys, values, queries });
 * ```
 * @param net - The head network.
 * @param weights - Current memory.
 * @param inputs - Keys, values and (optionally) queries per head.
 * @param options - Whether to compute surprise.
 * @returns Per-token outputs (new tensors).
 */
export function memoryOutputs(net: MemoryNet, weights: MemoryWeights, inputs: HeadInputs, options: MemoryChunkOptions = {}): MemoryChunkOutputs {
  const withSurprise = options.surprise ?? true;
  const heads = weights.map((head, i): HeadOutputs => {
    const pass = headPass(net, head, inputs.keys[i] as Tensor2D, inputs.values[i] as Tensor2D, withSurprise, true);
    const q = inputs.queries?.[i];
    return { loss: pass.loss, surpriseSq: pass.surpriseSq, retrieval: q ? headRetrieve(net, head, q) : undefined };
  });
  return combineHeads(heads, inputs.queries !== undefined, withSurprise);
}

/**
 * One chunk of the chunked parallel memory update (DESIGN §3), for all heads.
 *
 * Every token's loss gradient u_t is taken at the chunk-start weights M_0 (analytically, see
 * {@link headPass}); momentum and forgetting inside the chunk come from {@link chunkCoefficients};
 * per layer the chunk-end W and S are two weighted-gradient matmuls that share their right operand
 * plus a few elementwise ops ({@link headGradients}, {@link applyUpdate}). Per-token outputs (retrieval y_t = M_0(q_t), loss,
 * surprise) use M_0 as well. With `net.clipSurprise`, each token's gradient of each head is scaled
 * down to at most that norm before it enters the update.
 *
 * Pure and built from tf ops only — no reads of tensor values, nothing detached — so `tf.grad`
 * can differentiate the outputs and the new weights with respect to the inputs, gates and old
 * weights (outer-loop training).
 *
 * @example
 * ```ts
 * const next = tf.tidy(() => memoryChunk(net, weights, { keys, values, queries }, gates));
 * ```
 * @param net - The head network.
 * @param weights - Chunk-start memory M_0 (with momentum S_0).
 * @param inputs - C tokens' keys, values and (optionally) queries per head.
 * @param gates - θ, η, α per head and token, or their precomputed {@link chunkCoefficients}.
 * @param options - Whether to return surprise.
 * @returns Outputs at M_0 and the chunk-end memory (new tensors).
 */
export function memoryChunk(
  net: MemoryNet,
  weights: MemoryWeights,
  inputs: HeadInputs,
  gates: ChunkGates | ChunkCoefficients,
  options: MemoryChunkOptions = {},
): MemoryChunkResult {
  const coefficients = 'tokenWeights' in gates ? gates : chunkCoefficients(gates);
  const h = weights.length;
  const c = coefficients.tokenWeights.shape[2];
  const withSurprise = options.surprise ?? true;
  const clip = net.clipSurprise;
  // The passes return halved δ (so ¼ of the squared norms); the factor 2 of ∂ℓ/∂y goes into the
  // token weights: here, once for all heads, or with clipping into each head's clip scale.
  const rows = splitHeads(tf.reshape(clip === null ? tf.mul(coefficients.tokenWeights, 2) : coefficients.tokenWeights, [2 * h, 1, c])); // W row, S row per head
  const scalars = splitHeads(tf.reshape(coefficients.scalars, [3 * h, 1, 1])); // B, b, E per head
  // Head by head, each in its own tidy: the next head's intermediates reuse the memory (and
  // cache lines) this head's freed.
  const heads = weights.map((head: HeadWeights, i) =>
    tidy(() => {
      const pass = headPass(net, head, inputs.keys[i] as Tensor2D, inputs.values[i] as Tensor2D, withSurprise || clip !== null, true);
      let wRow = rows[2 * i] as Tensor2D;
      let sRow = rows[2 * i + 1] as Tensor2D;
      if (clip !== null) {
        // 2·min(1, clip / ‖u_t‖) = min(2, clip / √(¼‖u_t‖²)) per token; the tiny offset keeps
        // rsqrt's gradient finite at 0.
        const scale = tf.reshape(tf.minimum(2, tf.mul(tf.rsqrt(tf.add(pass.surpriseSq as Tensor1D, 1e-30)), clip)), [1, c]);
        wRow = tf.mul(wRow, scale);
        sRow = tf.mul(sRow, scale);
      }
      const grads = headGradients(net, pass, [wRow, sRow]);
      const q = inputs.queries?.[i];
      return {
        next: applyUpdate(head, grads, { decay: scalars[3 * i] as Tensor2D, carry: scalars[3 * i + 1] as Tensor2D, momentumDecay: scalars[3 * i + 2] as Tensor2D }),
        loss: pass.loss,
        surpriseSq: withSurprise ? pass.surpriseSq : undefined,
        retrieval: q ? headRetrieve(net, head, q) : undefined,
      };
    }),
  );
  return { weights: heads.map((r) => r.next), ...combineHeads(heads, inputs.queries !== undefined, withSurprise) };
}
