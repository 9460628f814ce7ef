import type { TitansStreamConfig } from '../model/titans-stream-config.js';
import type { ResolvedNeuralMemoryConfig } from './neural-memory-config.js';
import type { ResolvedTokenMemoryConfig } from './token-memory-config.js';

/** One named array of a {@link MemoryState}. */
export interface StateArray {
  /** e.g. `h0.l1.weight`, `pending`. */
  readonly name: string;
  /** Row-major shape. */
  readonly shape: readonly number[];
  /** `float32` for weights and vectors, `int32` for token ids. */
  readonly dtype: 'float32' | 'int32';
  /** The values (owned by the state; copy before mutating). */
  readonly data: Float32Array | Int32Array;
}

/**
 * Everything a memory needs to continue a stream exactly where it stopped, as plain typed
 * arrays: import it into a memory of the same configuration and continue, and the results equal
 * an uninterrupted run.
 *
 * Arrays: per head h and layer l the memory weight and its momentum in the canonical
 * `[in × out]` orientation (`h{h}.l{l}.weight`, `h{h}.l{l}.momentum`); `pending`, the raw inputs of
 * the partial chunk not yet applied (`[p × dim]` vectors or `[p]` token ids); `context`, the raw
 * inputs just before it that the causal convolution / key summary still reads. Parameters that
 * are a function of the configuration (projections, embeddings, from `config.seed`) are not stored.
 *
 * Kind `titans-stream` is one stream of a trained Titans model (see `TitansStreamState`): per block
 * the memory weights and momentum, convolution context and attention cache, the next-token
 * log-probabilities and the pending segment's tokens. The model's weights are shared by every
 * stream and not stored; `config` names the model (its configuration and a fingerprint of its
 * weights) so that a state is never restored into a different model.
 */
export interface MemoryState {
  /** Format tag. */
  readonly format: 'titans-stream.memory-state';
  /** Format version. */
  readonly version: 1;
  /** Which class wrote it. */
  readonly kind: 'neural-memory' | 'token-memory' | 'titans-stream';
  /** The resolved configuration. */
  readonly config: ResolvedNeuralMemoryConfig | ResolvedTokenMemoryConfig | TitansStreamConfig;
  /** {@link configFingerprint} of `config`. */
  readonly fingerprint: string;
  /** Tokens (input rows) absorbed, including the pending ones. */
  readonly tokensSeen: number;
  /** Chunk updates applied (for `titans-stream`: completed segments). */
  readonly chunksApplied: number;
  /** Weights, momentum and stream buffers. */
  readonly arrays: readonly StateArray[];
}
