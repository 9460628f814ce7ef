import { ConfigError, InputError } from '../errors/index.js';
import { SeededRandom } from '../random/index.js';
import { tf } from '../tensor/index.js';
import type { Tensor, Tensor1D, Tensor2D } from '../tensor/index.js';
import { ChunkRunner } from './chunk-runner.js';
import { initGateParams } from './gates.js';
import type { GateParams } from './gates.js';
import { MemoryBase } from './memory-base.js';
import { memoryNetOf } from './memory-config.js';
import { initMemoryWeights } from './memory-net.js';
import type { MemoryState } from './memory-state.js';
import { defined, tidy } from './tidy.js';
import { resolveTokenMemoryConfig } from './token-memory-config.js';
import type { ResolvedTokenMemoryConfig, TokenMemoryConfig } from './token-memory-config.js';
import { initTokenMemoryParams, tokenMemoryFeatures, tokenMemoryGateSource } from './token-memory-features.js';
import type { TokenMemoryParams } from './token-memory-features.js';

/** Which per-token outputs {@link TokenMemory.process} returns. */
export interface TokenMemoryOutputs {
  /** Top-k next-token predictions per token (k; 0 = none). Default 0. */
  readonly predictions?: number;
  /** The retrieved embedding (the memory's guess of the next token's embedding), `[n × dim]`. Default false. */
  readonly retrievals?: boolean;
  /** Associative loss of the token given what came before it. Default true. */
  readonly loss?: boolean;
  /** Surprise ‖∇_M ℓ_t‖ (before clipping). Default true. */
  readonly surprise?: boolean;
}

/** Options of {@link TokenMemory.process}. */
export interface TokenMemoryProcessOptions {
  /** Outputs to compute. */
  readonly outputs?: TokenMemoryOutputs;
}

/** Top-k next-token predictions: row i ranks the candidates for the token after token i. */
export interface TopK {
  /** Candidates per token. */
  readonly k: number;
  /** `[n × k]` token ids, most probable first. */
  readonly ids: Int32Array;
  /** `[n × k]` their softmax probabilities. */
  readonly probs: Float32Array;
}

/** Per-token outputs of one {@link TokenMemory.process} call, as plain arrays. */
export interface TokenMemoryResult {
  /** Tokens in this call. */
  readonly count: number;
  /** Stream index of the call's first token. */
  readonly firstIndex: number;
  /** `[count]`: ‖M(k_i) − e_i‖², how badly the memory expected token i after its context. */
  readonly loss?: Float32Array;
  /** `[count]`: gradient norm of that loss over all memory weights. */
  readonly surprise?: Float32Array;
  /** Next-token predictions. */
  readonly topK?: TopK;
  /** `[count × dim]` retrievals M(q_i). */
  readonly retrievals?: Float32Array;
}

/** Per-token outputs of {@link TokenMemory.processTensors}; the caller owns (and disposes) them. */
export interface TokenMemoryTensors {
  readonly loss?: Tensor1D;
  readonly surprise?: Tensor1D;
  /** `{ ids: int32 [n × k], probs: [n × k] }`. */
  readonly topK?: { readonly ids: Tensor2D; readonly probs: Tensor2D };
  readonly retrievals?: Tensor2D;
}

/**
 * The Titans memory wired to predict the next token, useful without any trained model.
 *
 * Token i has an embedding e_i (seeded random by default). Its key summarises the tokens before
 * it (a causal depthwise convolution over the last `contextSize` embeddings, projected and
 * L2-normalised per head), its value is e_i, and its query summarises the tokens up to and
 * including it — the key of the next token. So the memory learns "after this context comes this
 * token", and retrieving with the query predicts the next token: logits = M(q_i)·Eᵀ / temperature.
 * The per-token `loss` is the memory's error on the token that actually came; `surprise` is the
 * gradient norm of that loss.
 *
 * Streaming semantics as {@link NeuralMemory}: any number of tokens per call, outputs at the
 * chunk-start weights returned at once, partial chunks pending until filled; one call equals many
 * calls split anywhere; {@link exportState} / {@link importState} continue exactly.
 *
 * @example
 * ```ts
 * const memory = TokenMemory.create({ vocabSize: 260 });
 * const r = await memory.process(tokens, { outputs: { predictions: 5 } });
 * r.surprise;     // Float32Array, one per token
 * r.topK?.ids;    // Int32Array [count × 5]
 * memory.dispose();
 * ```
 */
export class TokenMemory extends MemoryBase<ResolvedTokenMemoryConfig> {
  private readonly params: TokenMemoryParams;
  private readonly gateParams: GateParams | undefined;

  private constructor(config: ResolvedTokenMemoryConfig) {
    const rng = new SeededRandom(config.seed);
    const weights = initMemoryWeights(memoryNetOf(config), config.heads, rng.fork());
    const params = initTokenMemoryParams(config, rng.fork());
    const gateParams = initGateParams(config, config.dim, rng.fork());
    const featurizer = {
      contextRows: config.contextSize,
      rowDtype: 'int32' as const,
      rowWidth: 1,
      featurize: (rows: Tensor, contextCount: number) => tokenMemoryFeatures(config, params, rows, contextCount),
      gateSource: (rows: Tensor, contextCount: number) => tokenMemoryGateSource(config, params, rows, contextCount),
    };
    super(config, new ChunkRunner(config, featurizer, weights, gateParams));
    this.params = params;
    this.gateParams = gateParams;
  }

  /**
   * Creates a token memory with seeded embeddings, projections and initial weights.
   *
   * @example
   * ```ts
   * const memory = TokenMemory.create({ vocabSize: 260, dim: 64, seed: 1 });
   * ```
   * @param config - The configuration.
   * @returns A new memory.
   * @throws {@link ConfigError} naming the first invalid field.
   */
  static create(config: TokenMemoryConfig): TokenMemory {
    return new TokenMemory(resolveTokenMemoryConfig(config));
  }

  /**
   * Creates a token memory from a snapshot of {@link exportState}.
   *
   * @example
   * ```ts
   * const resumed = TokenMemory.fromState(snapshot);
   * ```
   * @param state - A snapshot.
   * @returns A memory that continues where the snapshot stopped.
   * @throws {@link ConfigError} if it is not a token-memory snapshot; {@link InputError} if it is malformed.
   */
  static fromState(state: MemoryState): TokenMemory {
    if (state.kind !== 'token-memory') throw new ConfigError('state.kind', `expected a token-memory snapshot, got ${String(state.kind)}`);
    const memory = TokenMemory.create(state.config as TokenMemoryConfig);
    try {
      memory.importState(state);
    } catch (e) {
      memory.dispose();
      throw e;
    }
    return memory;
  }

  /**
   * Like {@link process}, but synchronous and returning tensors. The caller owns them.
   *
   * @example
   * ```ts
   * const { surprise } = memory.processTensors(tokens);
   * surprise?.dispose();
   * ```
   * @param tokens - Token ids in [0, vocabSize).
   * @param options - Outputs to compute.
   * @returns The requested outputs.
   * @throws {@link InputError} `ERR_TOKEN_RANGE` for an id outside the vocabulary; {@link ConfigError}
   *   `outputs.predictions` for a k outside [0, vocabSize].
   */
  processTensors(tokens: Int32Array, options: TokenMemoryProcessOptions = {}): TokenMemoryTensors {
    this.check();
    const { vocabSize } = this.config;
    for (let i = 0; i < tokens.length; i++) {
      const id = tokens[i] as number;
      if (id < 0 || id >= vocabSize) {
        throw new InputError('ERR_TOKEN_RANGE', `token id ${id} at index ${i} of the call (stream index ${this.tokensSeen + i}) is outside the vocabulary [0, ${vocabSize})`);
      }
    }
    const o = options.outputs ?? {};
    const k = o.predictions ?? 0;
    if (!Number.isInteger(k) || k < 0 || k > vocabSize) {
      throw new ConfigError('outputs.predictions', `must be an integer in [0, ${vocabSize}], got ${String(k)}`);
    }
    const want = { retrievals: (o.retrievals ?? false) || k > 0, loss: o.loss ?? true, surprise: o.surprise ?? true };
    const out = this.runner.run(tokens, want);
    if (k === 0) return out;
    const retrievals = out.retrievals as Tensor2D;
    const topK = tidy(() => {
      const probs = tf.softmax(tf.div(tf.matMul(retrievals, this.params.embeddingsT), this.config.temperature));
      const { values, indices } = tf.topk(probs, k);
      return { ids: indices as Tensor2D, probs: values as Tensor2D };
    });
    if (o.retrievals) return { ...out, topK };
    retrievals.dispose();
    return { ...(out.loss ? { loss: out.loss } : {}), ...(out.surprise ? { surprise: out.surprise } : {}), topK };
  }

  /**
   * Feeds tokens through the memory: per-token outputs at the chunk-start weights, and a memory
   * update for every chunk that becomes complete.
   *
   * @example
   * ```ts
   * const { loss, topK } = await memory.process(new Int32Array([72, 105, 33]), { outputs: { predictions: 3 } });
   * ```
   * @param tokens - Token ids in [0, vocabSize).
   * @param options - Outputs to compute (default: loss and surprise).
   * @returns The outputs as plain arrays.
   * @throws {@link InputError} `ERR_TOKEN_RANGE` for an id outside the vocabulary.
   */
  async process(tokens: Int32Array, options: TokenMemoryProcessOptions = {}): Promise<TokenMemoryResult> {
    const firstIndex = this.tokensSeen;
    const out = this.processTensors(tokens, options);
    try {
      return {
        count: tokens.length,
        firstIndex,
        ...(out.loss ? { loss: (await out.loss.data()) as Float32Array } : {}),
        ...(out.surprise ? { surprise: (await out.surprise.data()) as Float32Array } : {}),
        ...(out.topK
          ? { topK: { k: out.topK.ids.shape[1], ids: (await out.topK.ids.data()) as Int32Array, probs: (await out.topK.probs.data()) as Float32Array } }
          : {}),
        ...(out.retrievals ? { retrievals: (await out.retrievals.data()) as Float32Array } : {}),
      };
    } finally {
      tf.dispose([out.loss, out.surprise, out.topK?.ids, out.topK?.probs, out.retrievals].filter(defined));
    }
  }

  protected override disposeParams(): void {
    tf.dispose([this.params.embeddings, this.params.embeddingsT, this.params.conv, this.params.keyProjection]);
    if (this.gateParams) tf.dispose([this.gateParams.weight, this.gateParams.bias]);
  }
}
